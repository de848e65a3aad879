import Crdkafka
import Dispatch
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A consumer-group member whose messages arrive as an `AsyncSequence`.
///
/// ```
///  broker ──fetch──► librdkafka ──poll thread──► ConsumerBuffer (bounded) ──► for await m in messages
///                        ▲  pause when full / resume when half drained  │
///                        └───────────────────────────────────────────────┘
/// ```
/// The poll thread is owned by the consumer and keeps polling while the reader is slow, so heartbeats and
/// rebalances are served and the group never evicts a slow member: back-pressure shows as consumer lag.
/// Rebalances reach the `onRebalance` handler before offsets move. Offsets are stored explicitly
/// (``store(_:)``) and committed in the background, or committed at once with ``commit(_:)``.
/// Call ``close()`` to leave the group cleanly.
// @unchecked: librdkafka handles are thread-safe; `queue` is immutable and owned for the consumer's lifetime.
public final class KafkaConsumer: @unchecked Sendable {
    /// Runs on the consumer's poll thread, which waits for it: keep it bounded.
    public typealias RebalanceHandler = @Sendable (RebalanceEvent) async -> Void

    let client: RDKafkaClient
    public let configuration: KafkaConsumerConfiguration
    private let state: Mutex<State>
    private let queue: OpaquePointer
    let rebalanceHandler: RebalanceHandler?
    private let pollThread: Mutex<PollThread?> = Mutex(nil)

    private struct State: ~Copyable {
        var buffer: ConsumerBuffer
        var waiter: CheckedContinuation<[KafkaMessage], Never>?
        /// The poll thread waits for the reader to drain half of the full buffer.
        var pollWaitsForSpace = false
    }
    /// Counts revocations, so an iterator holding a chunk of messages drops those of revoked partitions.
    let revocations = Atomic<Int>(0)
    /// The chunk the reader is working through. Only readers touch it (the poll thread never does), so its
    /// lock is uncontended; it lives here, not in an iterator, so a dropped iterator loses nothing.
    private let readerChunk = Mutex(ReaderChunk())

    private struct ReaderChunk {
        var messages: [KafkaMessage] = []
        var index = 0
        /// ``revocations`` when the chunk was taken.
        var revocations = 0
    }
    /// Signalled when the reader has drained half of a full buffer.
    private let spaceAvailable = DispatchSemaphore(value: 0)

    public init(
        configuration: KafkaConsumerConfiguration, logger: Logger, onRebalance: RebalanceHandler? = nil
    ) throws(KafkaError) {
        client = try RDKafkaClient(kind: .consumer, properties: configuration.librdkafkaProperties, logger: logger) {
            _, conf in
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, _ in
                guard let rk, let partitions, let context = RDKafkaClient.context(of: rk) else { return }
                context.onRebalance?(rk, err, partitions)
            }
        }
        self.configuration = configuration
        self.rebalanceHandler = onRebalance
        state = Mutex(State(buffer: ConsumerBuffer(capacity: configuration.bufferCapacity)))
        rd_kafka_poll_set_consumer(client.handle)
        queue = rd_kafka_queue_get_consumer(client.handle)
        RDKafkaClient.context(of: client.handle)?.onRebalance = { [unowned self] rk, err, list in
            handleRebalance(rk, err, list)
        }
    }

    deinit {
        pollThread.withLock { $0 }?.stop()
        rd_kafka_queue_destroy(queue)
    }

    /// Joins the group and subscribes to `topics`; assignment follows asynchronously.
    public func subscribe(topics: [String]) throws(KafkaError) {
        let list = TopicPartitionList.make(topics.map { TopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_subscribe(client.handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "subscribe to \(topics)") }
        startPolling()
    }

    /// Reads these partitions from these offsets without group coordination (tools, replay, DLQ listing).
    /// Use ``KafkaOffset`` constants for the beginning or end.
    public func assign(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        try TopicPartitionList.with(offsets.map { ($0.key, $0.value) }) { list throws(KafkaError) in
            let err = rd_kafka_assign(client.handle, list)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "assign") }
        }
        _ = withBuffer { $0.assign(Set(offsets.keys)) }
        startPolling()
    }

    /// The messages of the assigned partitions, in order per partition. Iterate it from one task only;
    /// it ends after ``close()``.
    public var messages: Messages { Messages(consumer: self) }

    /// The same messages in the chunks they were fetched in (up to 1,024 each), for readers that handle a chunk at
    /// a time. Iterate it, or ``messages``, from one task only; it ends after ``close()``.
    public var batches: Batches { Batches(consumer: self) }

    /// The partitions currently assigned to this member.
    public var assignment: Set<TopicPartition> { state.withLock { $0.buffer.assignment } }

    /// Messages fetched but not yet taken from ``messages``: at most `bufferCapacity` plus two fetched batches
    /// (of up to 1,024 messages: one arriving, one being read).
    public var bufferedCount: Int {
        withBuffer { $0.count } + readerChunk.withLock { $0.messages.count - $0.index }
    }

    /// Stops fetching these partitions; lag grows until ``resume(_:)``. Messages already buffered are
    /// still delivered.
    public func pause(_ partitions: Set<TopicPartition>) throws(KafkaError) {
        try updateFlow { buffer in
            buffer.pause(partitions)
            return .pause(partitions)
        }
    }

    /// Resumes fetching of paused partitions.
    public func resume(_ partitions: Set<TopicPartition>) throws(KafkaError) {
        try updateFlow { $0.resume(partitions) }
    }

    /// Commits what is stored, leaves the group (revoking partitions through the rebalance handler) and
    /// ends ``messages``. Idempotent.
    public func close() async {
        guard let thread = pollThread.withLock({ $0 }), thread.isRunning else {
            finish()
            return
        }
        thread.stop()
        try? await client.blocking { [client] () throws(KafkaError) in
            let err = rd_kafka_consumer_close(client.handle)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { client.logger.warning("consumer close: \(KafkaError(err))") }
        }
        finish()
    }

    // MARK: - Poll thread

    private func startPolling() {
        pollThread.withLock { thread in
            guard thread == nil else { return }
            let reader = BatchReader(queue: queue)
            let patience = Duration.milliseconds(configuration.maxPollIntervalMilliseconds / 4)
            thread = PollThread(name: "sluice.consumer") { [weak self] in
                guard let self else { return }
                if waitWhileFull(since: &reader.fullSince, patience: patience) { return }
                let batch = reader.read(timeoutMilliseconds: 100, logger: client.logger)
                if !batch.isEmpty { deliver(batch) }
            }
        }
    }

    /// While the buffer is full, waits (100 ms at a time) instead of taking more from librdkafka. Returns
    /// `true` to skip this round's read. After `patience`, flow-pauses the partitions and reads on, so
    /// rebalances and the poll interval are still served while the reader is stuck.
    private func waitWhileFull(since fullSince: inout ContinuousClock.Instant?, patience: Duration) -> Bool {
        let (full, flowPaused) = state.withLock { state in
            state.pollWaitsForSpace = state.buffer.isFull
            return (state.buffer.isFull, state.buffer.isFlowPaused)
        }
        guard full else {
            fullSince = nil
            return false
        }
        if flowPaused { return false }
        let since = fullSince ?? .now
        fullSince = since
        if ContinuousClock.now - since >= patience {
            state.withLock { applyLocked($0.buffer.pauseForSlowReader()) }
            return false
        }
        _ = spaceAvailable.wait(timeout: .now() + .milliseconds(100))
        return true
    }

    private func deliver(_ batch: [KafkaMessage]) {
        let handoff = state.withLock { state -> (CheckedContinuation<[KafkaMessage], Never>, [KafkaMessage])? in
            state.buffer.append(batch)
            guard let waiter = state.waiter, case .deliver(let messages, let flow) = state.buffer.next()
            else { return nil }
            applyLocked(flow)
            state.waiter = nil
            return (waiter, messages)
        }
        if let (waiter, messages) = handoff { waiter.resume(returning: messages) }
    }

    func next() async -> KafkaMessage? {
        if let message = readerChunk.withLock({ takeFromChunk(&$0) }) { return message }
        let revocationsBefore = revocations.load(ordering: .acquiring)
        let fresh = await nextChunk()
        guard !fresh.isEmpty else { return nil }
        let first = readerChunk.withLock { chunk in
            chunk = ReaderChunk(messages: fresh, index: 0, revocations: revocationsBefore)
            return takeFromChunk(&chunk)
        }
        if let first { return first }
        return await next()  // every message of the chunk belonged to a partition revoked meanwhile
    }

    /// What is left of the current chunk, or the next chunk; empty once finished or cancelled.
    func nextBatch() async -> [KafkaMessage] {
        let rest = readerChunk.withLock { chunk -> [KafkaMessage] in
            guard chunk.index < chunk.messages.count else { return [] }
            defer { chunk = ReaderChunk() }
            let rest = chunk.index == 0 ? chunk.messages : Array(chunk.messages[chunk.index...])
            return revocations.load(ordering: .acquiring) == chunk.revocations ? rest : assigned(rest)
        }
        if !rest.isEmpty { return rest }
        let revocationsBefore = revocations.load(ordering: .acquiring)
        let fresh = await nextChunk()
        guard !fresh.isEmpty, revocations.load(ordering: .acquiring) != revocationsBefore else { return fresh }
        let kept = assigned(fresh)
        return kept.isEmpty ? await nextBatch() : kept
    }

    /// The messages of partitions still assigned.
    private func assigned(_ messages: [KafkaMessage]) -> [KafkaMessage] {
        let assigned = assignment
        return messages.filter { assigned.contains($0.topicPartition) }
    }

    /// The chunk's next message; first drops messages of partitions revoked since the chunk was taken.
    private func takeFromChunk(_ chunk: inout ReaderChunk) -> KafkaMessage? {
        guard chunk.index < chunk.messages.count else { return nil }
        let now = revocations.load(ordering: .acquiring)
        if now != chunk.revocations {
            chunk = ReaderChunk(messages: assigned(Array(chunk.messages[chunk.index...])), index: 0, revocations: now)
            guard !chunk.messages.isEmpty else { return nil }
        }
        defer { chunk.index += 1 }
        return chunk.messages[chunk.index]
    }

    /// The next messages in order, waiting if there are none; empty once finished or cancelled.
    private func nextChunk() async -> [KafkaMessage] {
        if let messages = state.withLock({ take(from: &$0, orWait: nil) }) { return messages }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if let messages = state.withLock({ take(from: &$0, orWait: continuation) }) {
                    continuation.resume(returning: messages)
                }
            }
        } onCancel: {
            // A cancelled reader gets the end, as with AsyncStream; buffered messages stay for the next call.
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: [])
        }
    }

    /// Up to a chunk of messages (empty once finished or cancelled), or `nil` after registering `waiter`.
    private func take(
        from state: inout State, orWait waiter: CheckedContinuation<[KafkaMessage], Never>?
    ) -> [KafkaMessage]? {
        if waiter != nil, Task.isCancelled { return [] }
        switch state.buffer.next() {
        case .deliver(let messages, let flow):
            applyLocked(flow)
            if state.pollWaitsForSpace, state.buffer.count <= state.buffer.capacity / 2 {
                state.pollWaitsForSpace = false
                spaceAvailable.signal()
            }
            return messages
        case .finished: return []
        case .wait:
            if let waiter { state.waiter = waiter }
            return nil
        }
    }

    func withBuffer<T>(_ body: (inout ConsumerBuffer) -> T) -> T {
        state.withLock { body(&$0.buffer) }
    }

    private func finish() {
        let waiter = state.withLock { state in
            state.buffer.finish()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: [])
    }

    /// Changes the buffer and applies the flow action it returns, both under the state lock.
    func updateFlow(_ body: (inout ConsumerBuffer) -> ConsumerBuffer.FlowAction) throws(KafkaError) {
        try state.withLock { state throws(KafkaError) in try apply(body(&state.buffer)) }
    }

    /// Applies a flow action while the state lock is held, so a pause and the resume that follows it reach
    /// librdkafka in the order the buffer decided them (a resume of a not-yet-paused partition is a no-op).
    private func applyLocked(_ action: ConsumerBuffer.FlowAction) {
        do { try apply(action) } catch { client.logger.warning("flow control: \(error)") }
    }

    private func apply(_ action: ConsumerBuffer.FlowAction) throws(KafkaError) {
        let (partitions, pause): (Set<TopicPartition>, Bool)
        switch action {
        case .none: return
        case .pause(let p): (partitions, pause) = (p, true)
        case .resume(let p): (partitions, pause) = (p, false)
        }
        guard !partitions.isEmpty else { return }
        try TopicPartitionList.with(partitions.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) }) { list throws(KafkaError) in
            let err = pause ? rd_kafka_pause_partitions(client.handle, list) : rd_kafka_resume_partitions(client.handle, list)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: pause ? "pause" : "resume") }
        }
    }
}

/// Drains librdkafka's consumer queue in batches on the poll thread, caching topic names.
private final class BatchReader: @unchecked Sendable {
    private let queue: OpaquePointer
    private let slots: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    private let capacity = 1024
    private var topics = TopicNames()
    /// Since when the consumer's buffer has been full (poll thread only).
    var fullSince: ContinuousClock.Instant?

    init(queue: OpaquePointer) {
        self.queue = queue
        slots = .allocate(capacity: capacity)
    }

    deinit { slots.deallocate() }

    func read(timeoutMilliseconds: Int32, logger: Logger) -> [KafkaMessage] {
        // Wait (bounded) for the first message only, then take what is already queued without waiting:
        // asking for a full batch would wait out the whole timeout whenever fewer messages are queued.
        let first = rd_kafka_consume_batch_queue(queue, timeoutMilliseconds, slots, 1)
        guard first > 0 else { return [] }
        let rest = rd_kafka_consume_batch_queue(queue, 0, slots + 1, capacity - 1)
        let count = first + max(0, rest)
        var batch: [KafkaMessage] = []
        batch.reserveCapacity(count)
        // The cache moves into a local for the batch: each use of a class's stored property is checked for
        // exclusive access at run time, a local's is not.
        var topics = TopicNames()
        swap(&topics, &self.topics)
        defer { swap(&topics, &self.topics) }
        var lastTopic: (handle: OpaquePointer, name: String)?
        for i in 0..<count {
            guard let raw = slots[i] else { continue }
            defer { rd_kafka_message_destroy(raw) }
            let m = raw.pointee
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                if m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    logger.warning("consume error: \(KafkaError(m.err, context: "consume"))")
                }
                continue
            }
            // Fetched messages come in runs of one partition: look the topic's name up once per run.
            if lastTopic?.handle != m.rkt { lastTopic = (m.rkt, topics.name(of: m.rkt)) }
            batch.append(Self.message(raw, topic: lastTopic!.name))
        }
        return batch
    }

    /// The message, with its headers' names and values copied into one buffer: no string per name, so no
    /// reference count shared between the messages of this thread and the tasks that read them.
    private static func message(_ raw: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> KafkaMessage {
        let m = raw.pointee
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        var headers = PackedHeaders([])
        var hdrs: OpaquePointer? = nil
        if rd_kafka_message_headers(raw, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var count = 0
            var name: UnsafePointer<CChar>? = nil
            var headerValue: UnsafeRawPointer? = nil
            var size = 0
            // Sized first, so the two buffers are allocated once.
            var byteCount = 0
            while rd_kafka_header_get_all(hdrs, count, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                byteCount += strlen(name!) + size
                count += 1
            }
            headers = PackedHeaders(count: count, byteCount: byteCount) { index, write in
                rd_kafka_header_get_all(hdrs, index, &name, &headerValue, &size)
                write(
                    UnsafeRawBufferPointer(start: name!, count: strlen(name!)),
                    headerValue.map { UnsafeRawBufferPointer(start: $0, count: size) })
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(raw, &timestampType)
        return KafkaMessage(
            topic: topic, partition: m.partition, offset: m.offset, key: key, value: value, packedHeaders: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp,
            isTombstone: m.payload == nil)
    }
}

extension KafkaConsumer {
    /// The consumer's messages; see ``KafkaConsumer/messages``.
    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = KafkaMessage
        let consumer: KafkaConsumer

        public struct AsyncIterator: AsyncIteratorProtocol {
            let consumer: KafkaConsumer
            public mutating func next() async -> KafkaMessage? { await consumer.next() }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
    }

    /// The consumer's messages chunk by chunk; see ``KafkaConsumer/batches``.
    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = [KafkaMessage]
        let consumer: KafkaConsumer

        public struct AsyncIterator: AsyncIteratorProtocol {
            let consumer: KafkaConsumer
            public mutating func next() async -> [KafkaMessage]? {
                let batch = await consumer.nextBatch()
                return batch.isEmpty ? nil : batch
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
    }
}
