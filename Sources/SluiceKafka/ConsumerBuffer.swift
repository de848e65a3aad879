/// The bounded hand-off between a consumer's poll thread and the reader of its message sequence.
///
/// A value-type state machine: methods return the flow action to take. When the buffer is full the poll
/// thread stops taking messages from librdkafka, whose own prefetch limits then stop fetching. If the reader
/// stays stuck for long, the consumer pauses every assigned partition (``pauseForSlowReader()``, a "flow
/// pause") and polls on, so the group never evicts it; once the reader has drained half of the buffer,
/// fetching resumes. Memory stays bounded however far the reader falls behind. (Pausing is the fallback,
/// not the rule: librdkafka drops a paused partition's prefetched messages and fetches them again.)
struct ConsumerBuffer {
    enum FlowAction: Equatable {
        case none
        /// Pause fetching of these partitions.
        case pause(Set<TopicPartition>)
        /// Resume fetching of these partitions.
        case resume(Set<TopicPartition>)
    }

    enum NextAction {
        /// One or more messages, in order.
        case deliver([KafkaMessage], FlowAction)
        case finished
        case wait
    }

    let capacity: Int
    /// Fetched batches in order, kept whole so no message is copied between the two threads;
    /// `batches[..<head]` are taken.
    private var batches: [[KafkaMessage]] = []
    private var head = 0
    private(set) var count = 0
    private(set) var isFinished = false
    private(set) var isFlowPaused = false
    /// Partitions the application paused itself; flow control never resumes these.
    private(set) var userPaused: Set<TopicPartition> = []
    private(set) var assignment: Set<TopicPartition> = []
    /// Per partition, a timestamp: messages older than it are dropped until the first one that is not.
    private var skipOlderThan: [TopicPartition: Int64] = [:]

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Whether the poll thread should stop taking messages until the reader drains some.
    var isFull: Bool { count >= capacity }

    /// Appends a batch from the poll thread. Messages of partitions no longer assigned are dropped.
    mutating func append(_ batch: [KafkaMessage]) {
        guard !isFinished else { return }
        let kept = needsFiltering(batch) ? batch.filter { keep($0) } : batch
        guard !kept.isEmpty else { return }
        batches.append(kept)
        count += kept.count
    }

    /// Whether some message of the batch is of an unassigned partition or to be skipped (checked once per
    /// run of one partition: fetched batches come in such runs).
    private func needsFiltering(_ batch: [KafkaMessage]) -> Bool {
        if !skipOlderThan.isEmpty { return true }
        var last: (topic: String, partition: Int32)? = nil
        for message in batch where last?.partition != message.partition || last?.topic != message.topic {
            guard assignment.contains(message.topicPartition) else { return true }
            last = (message.topic, message.partition)
        }
        return false
    }

    private mutating func keep(_ message: KafkaMessage) -> Bool {
        guard assignment.contains(message.topicPartition) else { return false }
        guard !skipOlderThan.isEmpty, let start = skipOlderThan[message.topicPartition] else { return true }
        if let timestamp = message.timestampMilliseconds, timestamp < start { return false }
        skipOlderThan[message.topicPartition] = nil
        return true
    }

    /// The reader has left the buffer full for long: pause fetching of every assigned partition.
    mutating func pauseForSlowReader() -> FlowAction {
        guard !isFlowPaused else { return .none }
        isFlowPaused = true
        return .pause(assignment.subtracting(userPaused))
    }

    /// Takes the oldest buffered batch for the reader, resuming fetching once the buffer is half drained.
    mutating func next() -> NextAction {
        guard head < batches.count else { return isFinished ? .finished : .wait }
        let taken = batches[head]
        batches[head] = []
        head += 1
        if head >= 64, head * 2 >= batches.count {
            batches.removeFirst(head)
            head = 0
        }
        count -= taken.count
        guard isFlowPaused, count <= capacity / 2 else { return .deliver(taken, .none) }
        isFlowPaused = false
        return .deliver(taken, .resume(assignment.subtracting(userPaused)))
    }

    /// Records newly assigned partitions; they start paused if fetching is flow-paused.
    mutating func assign(_ partitions: Set<TopicPartition>) -> FlowAction {
        assignment.formUnion(partitions)
        return isFlowPaused ? .pause(partitions.subtracting(userPaused)) : .none
    }

    /// Forgets revoked partitions and drops their buffered messages: their new owner reads them again
    /// from the committed offset. May resume fetching (see ``discardBuffered(_:)``).
    mutating func revoke(_ partitions: Set<TopicPartition>) -> FlowAction {
        assignment.subtract(partitions)
        userPaused.subtract(partitions)
        return discardBuffered(partitions)
    }

    /// Drops messages of these partitions older than `timestamp` until the first that is not (replay from a
    /// time when the broker's offset-for-timestamp answer is only a lower bound).
    mutating func skip(olderThan timestamp: Int64, in partitions: Set<TopicPartition>) {
        for partition in partitions { skipOlderThan[partition] = timestamp }
    }

    /// Drops buffered messages of these partitions (after a seek, or when they are revoked). If that drains a
    /// flow-paused buffer, fetching resumes here: the reader may be waiting on an empty buffer, and no
    /// ``next()`` would ever resume it.
    mutating func discardBuffered(_ partitions: Set<TopicPartition>) -> FlowAction {
        if batches[head...].contains(where: { $0.contains { partitions.contains($0.topicPartition) } }) {
            batches = batches[head...].map { $0.filter { !partitions.contains($0.topicPartition) } }.filter { !$0.isEmpty }
            head = 0
            count = batches.reduce(0) { $0 + $1.count }
        }
        guard isFlowPaused, count <= capacity / 2 else { return .none }
        isFlowPaused = false
        return .resume(assignment.subtracting(userPaused))
    }

    /// The application pauses partitions. Messages already buffered are still delivered (as with
    /// Kafka's Java consumer, where records already fetched are returned).
    mutating func pause(_ partitions: Set<TopicPartition>) {
        userPaused.formUnion(partitions)
    }

    /// The application resumes partitions; they stay paused while flow control holds fetching.
    mutating func resume(_ partitions: Set<TopicPartition>) -> FlowAction {
        userPaused.subtract(partitions)
        return isFlowPaused ? .none : .resume(partitions)
    }

    /// Ends the sequence: the reader gets what is buffered, then `nil`.
    mutating func finish() { isFinished = true }
}
