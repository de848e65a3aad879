import Logging
import SluiceCore
import SluiceKafka
import Synchronization
import Tracing

/// One input's way through the node: decode, process with retries, produce, finish.
extension WorkerHost {
    /// A lane: runs started items one after another, oldest first, until the intake is closed and nothing is ready.
    /// An item's key is held until the lane is done with it, so a key's inputs run one at a time and in order.
    /// Cancelled (not a graceful shutdown), it stops after its current item, as a crash would.
    ///
    /// Isolated to the node, with helpers that stay on their caller's executor (`nonisolated(nonsending)`): an
    /// input that does not suspend is decoded, processed and produced without leaving the node's actor.
    func runLane(on node: isolated any Node, producer: KafkaProducer) async {
        var lane = LaneCache()
        while !Task.isCancelled, let item = await nextReady() {
            await run(item, lane: &lane, producer: producer)
        }
    }

    /// The intake of a ``NodeExecution/synchronous`` node, which is also its only lane: reads chunks of messages
    /// while pending slots are free and runs their inputs in read order, on the node's actor, with no hand-off to
    /// another task. Cancelled (graceful shutdown included), it stops after its current input and drops the rest of
    /// the chunk, as ``pull(from:)`` does.
    func runInline(on node: isolated any Node, consumer: KafkaConsumer, producer: KafkaProducer) async {
        defer { closeIntake() }
        var lane = LaneCache()
        var batches = consumer.batches.makeAsyncIterator()
        while !Task.isCancelled, let batch = await batches.next() {
            guard await pending.acquire(batch.count) else { return }
            admit(batch)
            if let first = updateState({ $0.nextReady(orPark: nil) }) {
                await run(first, lane: &lane, producer: producer)
            }
        }
    }

    /// Runs `item`, then each item the state hands on when one is done, until none is ready or the task is
    /// cancelled (which leaves the ready items where they are).
    nonisolated(nonsending) private func run(
        _ item: WorkItem, lane: inout LaneCache, producer: KafkaProducer
    ) async {
        var current: WorkItem? = item
        while let item = current {
            let outputs = await handle(item, lane: &lane)
            current = await complete(item, outputs: outputs, producer: producer)
        }
    }

    /// The next started item, waiting for one; `nil` once the intake is closed and nothing is ready.
    nonisolated(nonsending) private func nextReady() async -> WorkItem? {
        if let item = updateState({ $0.nextReady(orPark: nil) }) { return item }
        return await withCheckedContinuation { lane in
            if let item = updateState({ $0.nextReady(orPark: lane) }) { lane.resume(returning: item) }
        }
    }

    /// Decodes and processes `item`, retrying as the node's `retries` allow, with what its lane has cached.
    ///
    /// - Returns: the records to produce for it (its outputs, or the dead-letter record), or `nil` if its
    ///   processing was cancelled: its offset then stays unfinished, so the next owner processes it again.
    nonisolated(nonsending) private func handle(_ item: WorkItem, lane: inout LaneCache) async -> InlineList<KafkaRecord>? {
        let message = item.message
        let rules = lane.rules(of: message.topic, in: inputTopics)
        var envelope: Envelope
        do {
            let packed = message.packedHeaders
            var headers = Envelope.RawHeaders(buffer: packed.bytes)
            packed.forEach { headers.collect(name: $0, value: $1) }
            envelope = try Envelope.decode(
                key: message.key, value: message.value, headers: headers, mode: rules.decoding,
                receivedAt: message.timestampMilliseconds)
        } catch {
            return deadLetter(
                message, error: "\(error)", attempts: 0, logger: inputLogger(message), "undecodable message")
        }
        if let bound = rules.maxIterations {
            // Coming round a loop: one more round, within the edge's bound.
            envelope.iteration += 1
            guard envelope.iteration <= bound else {
                let reason = "loop limit: round \(envelope.iteration) through \(message.topic), maxIterations is \(bound)"
                return deadLetter(
                    message, error: reason, attempts: 0, logger: inputLogger(message), "message over its loop limit")
            }
        }
        // The context holds the input; each attempt reads it from there rather than from a copy of its own.
        var context = NodeContext(
            host: contextTemplate,
            input: NodeInput(
                envelope: envelope, topic: message.topic, partition: message.partition, offset: message.offset),
            attempt: 1)
        while true {
            let attempt = context.attempt
            do {
                let traceparent = try await process(context)
                metrics.processed.increment()
                let shared = OutputFields(
                    correlationID: correlationKey(message.key, of: context.input),
                    traceparent: traceparent, iteration: outputHeaders.iteration(context.input.iteration),
                    producedAt: lane.clock.now())
                return context.takeEmissions().map { output($0, shared) }
            } catch {
                metrics.failed.increment()
                let logger = context.logger
                if Task.isCancelled {
                    // Shutdown ran out of time: not the input's fault.
                    logger.warning("processing cancelled at attempt \(attempt): \(error)")
                    return nil
                }
                guard retryPolicy.allowsRetry(attempt) else {
                    return deadLetter(
                        message, error: "\(error)", attempts: attempt, logger: logger,
                        "input failed after \(attempt) attempt(s)")
                }
                logger.info("attempt \(attempt) failed, retrying: \(error)")
                try? await Task.sleep(for: retryPolicy.delay(forAttempt: attempt))
                context = NodeContext(host: contextTemplate, input: context.input, attempt: attempt + 1)
            }
        }
    }

    /// Hands `item`'s records to the producer (at-least-once: `item` finishes when the last is acknowledged, at
    /// once when there are none) or holds them for a transaction (exactly-once). A delivery failure stops the host
    /// without finishing `item`, so its offset is not committed.
    ///
    /// - Returns: what the lane runs next (see ``HostState/next(after:taking:)``); nothing once its task is
    ///   cancelled.
    nonisolated(nonsending) private func complete(
        _ item: WorkItem, outputs records: consuming InlineList<KafkaRecord>?, producer: KafkaProducer
    ) async -> WorkItem? {
        if exactlyOnce, let records {
            let (counted, held, next) = updateState { state in
                (
                    state.hold(item, outputs: Array(records)), state.heldCount,
                    state.next(after: item, taking: !Task.isCancelled)
                )
            }
            if !counted { pending.release() }
            if held >= transactionTrigger { requestTransaction() }
            return next
        }
        var produced = records?.count
        var (first, rest) = records?.takeAll() ?? (nil, [])
        do {
            if let record = first.take() { try await send(record, tag: item.tag, producer: producer) }
            for record in rest { try await send(record, tag: item.tag, producer: producer) }
        } catch {
            // Not finished: the host stops, and the input is processed again after a restart.
            fail(error)
            produced = nil
        }
        // Only now may the next input of the key run: its outputs must not overtake these.
        let (finished, next) = updateState {
            $0.processed(item, produced: produced, takingNext: !Task.isCancelled)
        }
        if finished { pending.release() }
        return next
    }

    /// Hands one record to the producer, waiting for room in its queue if need be.
    nonisolated(nonsending) private func send(
        _ record: KafkaRecord, tag: Int, producer: KafkaProducer
    ) async throws(KafkaError) {
        if try !producer.produceIfRoom(record, tag: tag) {
            try await producer.produce(record, tag: tag)
        }
    }

    /// The delivery reports of records produced by ``complete(_:outputs:producer:)``.
    func delivered(_ reports: TaggedDeliveries) {
        if let failure = reports.failed.first { fail(failure.error) }
        let finished = state.withLock { $0.delivered(tags: reports.acknowledged) }
        pending.release(finished)
    }

    /// Calls the node inside a consumer span parented on the input's trace context.
    ///
    /// - Returns: the trace context for the outputs: the span's when a tracer is bootstrapped, else the input's.
    nonisolated(nonsending) private func process(_ context: NodeContext) async throws -> [UInt8]? {
        let input = context.input
        guard tracing else {
            try await node.process(input, context: context)
            return input.envelope.traceparentBytes.map(Array.init)
        }
        var parent = ServiceContext.topLevel
        if let traceparent = input.envelope.traceparent {
            InstrumentationSystem.instrument.extract(
                [Envelope.Header.traceparent: traceparent], into: &parent, using: TraceHeaders())
        }
        return try await withSpan("\(nodeName) process", context: parent, ofKind: .consumer) { span in
            span.attributes["sluice.node"] = nodeName
            span.attributes["sluice.correlation_id"] = input.correlationID
            span.attributes["sluice.attempt"] = context.attempt
            try await node.process(input, context: context)
            var carrier: [String: String] = [:]
            InstrumentationSystem.instrument.inject(span.context, into: &carrier, using: TraceHeaders())
            return carrier[Envelope.Header.traceparent].map { Array($0.utf8) }
                ?? input.envelope.traceparentBytes.map(Array.init)
        }
    }

    /// The header values every output of one input shares.
    private struct OutputFields {
        var correlationID: [UInt8]
        var traceparent: [UInt8]?
        var iteration: [UInt8]
        var producedAt: ProducedAtClock.Stamp
    }

    /// The record key of `input`'s outputs, its correlation id: the input's key bytes when it has one.
    private func correlationKey(_ key: [UInt8]?, of input: NodeInput) -> [UInt8] {
        if let key, !key.isEmpty { return key }
        return input.envelope.key
    }

    /// The record for one emitted output: same correlation id and iteration as the input, this worker as origin.
    private func output(_ emission: NodeContext.Emission, _ shared: OutputFields) -> KafkaRecord {
        var headers: [KafkaHeader] = []
        headers.reserveCapacity(Envelope.maxHeaderCount)
        Envelope.forEachHeader(
            messageID: Envelope.makeMessageIDBytes(), correlationID: shared.correlationID,
            traceparent: shared.traceparent, iteration: shared.iteration, producedAt: shared.producedAt.decimal,
            origin: outputHeaders.origin, specVersion: outputHeaders.specVersion
        ) { headers.append(KafkaHeader(name: $0, value: $1)) }
        // The port was checked by the context against the spec's ports, which all have a topic.
        let topic = topology.topic(forPort: emission.port) ?? topology.deadLetterTopic
        // The record's timestamp is the produced-at header's instant (librdkafka would read the clock again).
        return KafkaRecord(
            topic: topic, key: shared.correlationID, value: emission.payload, headers: headers,
            timestampMilliseconds: shared.producedAt.milliseconds)
    }

    private func inputLogger(_ message: KafkaMessage) -> Logger {
        logger.forInput(topic: message.topic, partition: message.partition, offset: message.offset)
    }

    /// Logs why `message` goes to the dead-letter topic and returns the record that takes it there.
    private func deadLetter(
        _ message: KafkaMessage, error: String, attempts: Int, logger: Logger, _ what: String
    ) -> InlineList<KafkaRecord> {
        logger.warning("\(what), sent to the dead-letter topic: \(error)")
        metrics.deadLettered.increment()
        return InlineList(deadLetterRecord(message, error: error, attempts: attempts))
    }

    /// The original record bound for the dead-letter topic, with why it failed and where it came from.
    private func deadLetterRecord(_ message: KafkaMessage, error: String, attempts: Int) -> KafkaRecord {
        let reasons = [
            KafkaHeader(name: DeadLetterHeader.error, string: error),
            KafkaHeader(name: DeadLetterHeader.attempts, string: String(attempts)),
            KafkaHeader(name: DeadLetterHeader.node, string: nodeName),
            KafkaHeader(name: DeadLetterHeader.instance, string: instanceID),
            KafkaHeader(name: DeadLetterHeader.sourceTopic, string: message.topic),
            KafkaHeader(name: DeadLetterHeader.sourcePartition, string: String(message.partition)),
            KafkaHeader(name: DeadLetterHeader.sourceOffset, string: String(message.offset)),
        ]
        return KafkaRecord(
            topic: topology.deadLetterTopic, key: message.key, value: message.value, headers: message.headers + reasons)
    }
}

/// How a worker reads the records of one of its input topics.
struct InputTopic: Sendable {
    /// Lenient for an entry topic (a user's plain JSON), strict for an edge topic.
    var decoding: Envelope.DecodingMode
    /// The edge closes a loop: a record may come round it at most this many times.
    var maxIterations: Int?

    /// One topic read through two inputs of the node: the same reading (it follows the topic), the lower bound.
    static func merging(_ a: InputTopic, _ b: InputTopic) -> InputTopic {
        InputTopic(decoding: a.decoding, maxIterations: [a.maxIterations, b.maxIterations].compactMap { $0 }.min())
    }
}

/// Header values every output of one worker shares, encoded once.
struct OutputHeaders: Sendable {
    let origin: [UInt8]
    let specVersion: [UInt8]
    /// Iterations 0 to 15, the ones loops use.
    private let smallIterations = (0..<16).map { Envelope.decimal($0) }

    init(origin: String, specVersion: Int) {
        self.origin = Array(origin.utf8)
        self.specVersion = Envelope.decimal(specVersion)
    }

    func iteration(_ iteration: Int) -> [UInt8] {
        smallIterations.indices.contains(iteration) ? smallIterations[iteration] : Envelope.decimal(iteration)
    }
}

/// What a lane keeps from one input to the next, so most inputs skip a lookup or a conversion.
struct LaneCache {
    var clock = ProducedAtClock()
    /// The input topic of the lane's last input and how it is read: a lane's inputs mostly come from one topic.
    private var lastTopic: (name: String, rules: InputTopic)?

    /// How records of `topic` are read (strict for a topic the host does not know).
    mutating func rules(of topic: String, in inputTopics: [String: InputTopic]) -> InputTopic {
        if let lastTopic, lastTopic.name == topic { return lastTopic.rules }
        let rules = inputTopics[topic] ?? InputTopic(decoding: .strict, maxIterations: nil)
        lastTopic = (topic, rules)
        return rules
    }
}

/// A lane's `sluice-produced-at` header value: the time in milliseconds, rendered in decimal once per millisecond
/// rather than once per output.
struct ProducedAtClock {
    /// One reading: the output record's timestamp and its header value.
    struct Stamp {
        var milliseconds: Int64
        var decimal: [UInt8]
    }

    private var last = Stamp(milliseconds: -1, decimal: [])

    mutating func now() -> Stamp {
        let now = Envelope.now()
        if now != last.milliseconds { last = Stamp(milliseconds: now, decimal: Envelope.decimal(now)) }
        return last
    }
}

/// The headers a dead-letter record carries besides the original ones.
public enum DeadLetterHeader {
    /// Why the input failed: the node's last error or the decoding error.
    public static let error = "sluice-error"
    /// How many times the node was called (0 for a message that could not be decoded).
    public static let attempts = "sluice-attempts"
    public static let node = "sluice-node"
    public static let instance = "sluice-instance"
    public static let sourceTopic = "sluice-source-topic"
    public static let sourcePartition = "sluice-source-partition"
    public static let sourceOffset = "sluice-source-offset"
}

/// Reads and writes W3C trace context in a header dictionary.
struct TraceHeaders: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
