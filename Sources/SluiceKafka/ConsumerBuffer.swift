/// The bounded hand-off between a consumer's poll thread and the reader of its message sequence.
///
/// A value-type state machine: methods return the action to take, which the caller runs outside the lock.
/// When the buffer reaches its capacity the consumer pauses fetching on every assigned partition ("flow
/// pause") while its poll thread keeps polling, so the group never evicts it; when the reader has drained
/// half of it, fetching resumes. Memory stays bounded however far the reader falls behind.
struct ConsumerBuffer {
    enum FlowAction: Equatable {
        case none
        /// Pause fetching of these partitions.
        case pause(Set<TopicPartition>)
        /// Resume fetching of these partitions.
        case resume(Set<TopicPartition>)
    }

    enum NextAction {
        case deliver(KafkaMessage, FlowAction)
        case finished
        case wait
    }

    let capacity: Int
    private var messages: [KafkaMessage] = []
    private var head = 0
    private(set) var isFinished = false
    private(set) var isFlowPaused = false
    /// Partitions the application paused itself; flow control never resumes these.
    private(set) var userPaused: Set<TopicPartition> = []
    private(set) var assignment: Set<TopicPartition> = []
    /// Per partition, a timestamp: messages older than it are dropped until the first one that is not.
    private var skipOlderThan: [TopicPartition: Int64] = [:]

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { messages.count - head }

    /// Appends a batch from the poll thread. Messages of partitions no longer assigned are dropped.
    mutating func append(_ batch: [KafkaMessage]) -> FlowAction {
        guard !isFinished else { return .none }
        for message in batch where assignment.contains(message.topicPartition) {
            if !skipOlderThan.isEmpty, let start = skipOlderThan[message.topicPartition] {
                if let timestamp = message.timestampMilliseconds, timestamp < start { continue }
                skipOlderThan[message.topicPartition] = nil
            }
            messages.append(message)
        }
        guard !isFlowPaused, count >= capacity else { return .none }
        isFlowPaused = true
        return .pause(assignment.subtracting(userPaused))
    }

    /// Takes the next message for the reader, resuming fetching once the buffer is half drained.
    mutating func next() -> NextAction {
        guard head < messages.count else { return isFinished ? .finished : .wait }
        let message = messages[head]
        head += 1
        if head >= 4096, head * 2 >= messages.count {
            messages.removeFirst(head)
            head = 0
        }
        guard isFlowPaused, count <= capacity / 2 else { return .deliver(message, .none) }
        isFlowPaused = false
        return .deliver(message, .resume(assignment.subtracting(userPaused)))
    }

    /// Records newly assigned partitions; they start paused if fetching is flow-paused.
    mutating func assign(_ partitions: Set<TopicPartition>) -> FlowAction {
        assignment.formUnion(partitions)
        return isFlowPaused ? .pause(partitions.subtracting(userPaused)) : .none
    }

    /// Forgets revoked partitions and drops their buffered messages: their new owner reads them again
    /// from the committed offset. Resumes the remaining partitions if that drained a flow-paused buffer:
    /// the reader may be waiting on an empty buffer, and no ``next()`` would ever resume them.
    mutating func revoke(_ partitions: Set<TopicPartition>) -> FlowAction {
        assignment.subtract(partitions)
        userPaused.subtract(partitions)
        discardBuffered(partitions)
        guard isFlowPaused, count <= capacity / 2 else { return .none }
        isFlowPaused = false
        return .resume(assignment.subtracting(userPaused))
    }

    /// Drops messages of these partitions older than `timestamp` until the first that is not (replay from a
    /// time when the broker's offset-for-timestamp answer is only a lower bound).
    mutating func skip(olderThan timestamp: Int64, in partitions: Set<TopicPartition>) {
        for partition in partitions { skipOlderThan[partition] = timestamp }
    }

    /// Drops buffered messages of these partitions (after a seek, or when they are revoked).
    mutating func discardBuffered(_ partitions: Set<TopicPartition>) {
        guard messages[head...].contains(where: { partitions.contains($0.topicPartition) }) else { return }
        messages = messages[head...].filter { !partitions.contains($0.topicPartition) }
        head = 0
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
