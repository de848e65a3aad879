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

    /// Whether the poll thread should stop taking messages until the reader drains some.
    var isFull: Bool { count >= capacity }

    /// Appends a batch from the poll thread. Messages of partitions no longer assigned are dropped.
    mutating func append(_ batch: [KafkaMessage]) {
        guard !isFinished else { return }
        for message in batch where assignment.contains(message.topicPartition) {
            if !skipOlderThan.isEmpty, let start = skipOlderThan[message.topicPartition] {
                if let timestamp = message.timestampMilliseconds, timestamp < start { continue }
                skipOlderThan[message.topicPartition] = nil
            }
            messages.append(message)
        }
    }

    /// The reader has left the buffer full for long: pause fetching of every assigned partition.
    mutating func pauseForSlowReader() -> FlowAction {
        guard !isFlowPaused else { return .none }
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
    /// from the committed offset.
    mutating func revoke(_ partitions: Set<TopicPartition>) {
        assignment.subtract(partitions)
        userPaused.subtract(partitions)
        discardBuffered(partitions)
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
