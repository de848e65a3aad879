public import SluiceKafka

/// Reading a topic from given offsets up to the end it had when the read began, as a value type: feed it
/// messages, ask it whether to go on. No broker needed to test it.
///
/// The end of each partition is its high watermark. Tansu 0.6 reports the last record *batch*'s base offset + 1
/// there, so the rest of that batch lies beyond the "end"; it arrives in the same fetch as the batch's first
/// record, so after every partition reached its end the scan still takes what arrives for a short
/// ``quietPeriod``.
public struct DeadLetterScan: Sendable {
    /// The partitions still to read, and the offset to read them up to (exclusive).
    public private(set) var ends: [TopicPartition: Int64]
    /// The records taken, in the order they arrived (per partition: by offset).
    public private(set) var letters: [DeadLetter] = []
    public let limit: Int?
    /// How long to keep taking records after every end was reached.
    public let quietPeriod: Duration
    private var next: [TopicPartition: Int64]
    private var endsReachedAt: ContinuousClock.Instant?

    /// - Parameters:
    ///   - start: the first offset to read per partition.
    ///   - ends: the end (high watermark) per partition; partitions with `start >= end` are not read.
    public init(
        start: [TopicPartition: Int64], ends: [TopicPartition: Int64], limit: Int? = nil,
        quietPeriod: Duration = .milliseconds(300), now: ContinuousClock.Instant = .now
    ) {
        let pending = ends.filter { partition, end in (start[partition] ?? 0) < end }
        self.ends = pending
        self.next = start.filter { pending[$0.key] != nil }
        self.limit = limit
        self.quietPeriod = quietPeriod
        if self.ends.isEmpty || limit == 0 { endsReachedAt = now }
    }

    /// The next offset to read per partition still to read: its start (assign the consumer there), then the
    /// offset after the last record taken (what a replay commits).
    public var positions: [TopicPartition: Int64] { next }

    public var isLimitReached: Bool { limit.map { letters.count >= $0 } ?? false }

    /// Every partition reached the end it had when the scan began.
    public var reachedEnds: Bool { endsReachedAt != nil }

    /// Takes a message (ignoring those before a partition's position or of other partitions) and returns
    /// whether to read on.
    public mutating func take(_ message: KafkaMessage, now: ContinuousClock.Instant = .now) -> Bool {
        guard !isLimitReached else { return false }
        let partition = message.topicPartition
        guard let position = next[partition], message.offset >= position else { return true }
        letters.append(DeadLetter(message))
        next[partition] = message.offset + 1
        if endsReachedAt == nil, ends.allSatisfy({ next[$0.key, default: 0] >= $0.value }) { endsReachedAt = now }
        return !isLimitReached
    }

    /// Whether the scan is over: the limit is reached, or every end was reached a quiet period ago.
    public func isDone(now: ContinuousClock.Instant = .now) -> Bool {
        if isLimitReached { return true }
        guard let endsReachedAt else { return false }
        return ends.isEmpty || now - endsReachedAt >= quietPeriod
    }
}
