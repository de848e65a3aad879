import Logging
import SluiceCore
import SluiceKafka
import Synchronization
import Tracing

/// One input's way through the node: decode, process with retries, produce, finish.
extension WorkerHost {
    /// Runs `first`, then each item that was waiting behind it on the same key.
    func runLane(from first: WorkItem, producer: KafkaProducer) async {
        var next: WorkItem? = first
        while let item = next {
            await handle(item, producer: producer)
            next = state.withLock { $0.processed(item) }
        }
    }

    private func handle(_ item: WorkItem, producer: KafkaProducer) async {
        let message = item.message
        let location = KafkaMessageLocation(topic: message.topic, partition: message.partition, offset: message.offset)
        var logger = logger.forInput(location)

        let envelope: Envelope
        do {
            envelope = try Envelope.decode(
                key: message.key, value: message.value, headers: message.headers.map { ($0.name, $0.value ?? []) },
                mode: entryTopics.contains(message.topic) ? .lenient : .strict,
                receivedAt: message.timestampMilliseconds)
        } catch {
            logger.warning("undecodable message sent to the dead-letter topic: \(error)")
            await deadLetter(item, error: "\(error)", attempts: 0, producer: producer)
            return
        }
        logger = self.logger.forInput(location, correlationID: envelope.correlationID)
        let input = NodeInput(
            envelope: envelope, topic: message.topic, partition: message.partition, offset: message.offset)

        var attempt = 1
        while true {
            let context = NodeContext(
                node: nodeName, instanceID: instanceID, config: spec.config, ports: spec.ports, logger: logger,
                input: input, attempt: attempt)
            do {
                let traceparent = try await process(input, context: context)
                let records = context.takeEmissions().map { output(input, emission: $0, traceparent: traceparent) }
                await send(records, finishing: item, producer: producer)
                metrics.processed.increment()
                return
            } catch {
                metrics.failed.increment()
                if Task.isCancelled {
                    // Shutdown ran out of time: not the input's fault. Its offset stays unfinished, so the next
                    // owner of the partition processes it again.
                    logger.warning("processing cancelled at attempt \(attempt): \(error)")
                    return
                }
                guard retryPolicy.allowsRetry(attempt) else {
                    logger.warning("input failed after \(attempt) attempt(s), sent to the dead-letter topic: \(error)")
                    await deadLetter(item, error: "\(error)", attempts: attempt, producer: producer)
                    return
                }
                logger.info("attempt \(attempt) failed, retrying: \(error)")
                try? await Task.sleep(for: retryPolicy.delay(forAttempt: attempt))
                attempt += 1
            }
        }
    }

    /// Calls the node inside a consumer span parented on the input's trace context.
    ///
    /// - Returns: the trace context for the outputs: the span's when a tracer is bootstrapped, else the input's.
    private func process(_ input: NodeInput, context: NodeContext) async throws -> String? {
        guard tracing else {
            try await node.process(input, context: context)
            return input.envelope.traceparent
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
            return carrier[Envelope.Header.traceparent] ?? input.envelope.traceparent
        }
    }

    /// The record for one emitted output: same correlation id and iteration as the input, this worker as origin.
    private func output(_ input: NodeInput, emission: NodeContext.Emission, traceparent: String?) -> KafkaRecord {
        let envelope = Envelope(
            rawPayload: emission.payload, correlationID: input.correlationID,
            iteration: input.iteration,
            origin: origin, specVersion: specVersion, traceparent: traceparent)
        // The port was checked by the context against the spec's ports, which all have a topic.
        let topic = topology.topic(forPort: emission.port) ?? topology.deadLetterTopic
        let encoded = envelope.encode()
        return KafkaRecord(
            topic: topic, key: encoded.key, value: encoded.value,
            headers: encoded.headers.map { KafkaHeader(name: $0.name, value: $0.value) })
    }

    /// Sends the original record to the dead-letter topic, with why it failed and where it came from.
    private func deadLetter(_ item: WorkItem, error: String, attempts: Int, producer: KafkaProducer) async {
        let message = item.message
        let reasons = [
            KafkaHeader(name: DeadLetterHeader.error, string: error),
            KafkaHeader(name: DeadLetterHeader.attempts, string: String(attempts)),
            KafkaHeader(name: DeadLetterHeader.node, string: nodeName),
            KafkaHeader(name: DeadLetterHeader.instance, string: instanceID),
            KafkaHeader(name: DeadLetterHeader.sourceTopic, string: message.topic),
            KafkaHeader(name: DeadLetterHeader.sourcePartition, string: String(message.partition)),
            KafkaHeader(name: DeadLetterHeader.sourceOffset, string: String(message.offset)),
        ]
        let record = KafkaRecord(
            topic: topology.deadLetterTopic, key: message.key, value: message.value, headers: message.headers + reasons)
        await send([record], finishing: item, producer: producer)
        metrics.deadLettered.increment()
    }

    /// Queues `records`; `item` finishes when the last one is acknowledged (at once when there are none).
    /// A delivery failure stops the host without finishing `item`, so its offset is not committed.
    /// Exactly-once: holds them for the transaction that commits `item`'s offset instead.
    private func send(_ records: [KafkaRecord], finishing item: WorkItem, producer: KafkaProducer) async {
        if exactlyOnce {
            hold(records, finishing: item)
            return
        }
        // The processing slot is free once the outputs are queued; the pending slot once they are acknowledged.
        defer { limit.release() }
        guard !records.isEmpty else {
            finish(item)
            return
        }
        let unacknowledged = Mutex(records.count)
        for record in records {
            do {
                try await producer.produce(record) { [self] result in
                    switch result {
                    case .success:
                        let remaining = unacknowledged.withLock { count in
                            count -= 1
                            return count
                        }
                        if remaining == 0 { finish(item) }
                    case .failure(let error):
                        fail(error)
                    }
                }
            } catch {
                fail(error)
                return
            }
        }
    }

    private func finish(_ item: WorkItem) {
        let inFlight = state.withLock { state in
            state.finished(item)
            return state.inFlight
        }
        pending.release()
        metrics.inFlight.record(inFlight)
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
