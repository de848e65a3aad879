public import Logging
public import SluiceKafka
import Synchronization

/// Reading a topic from given offsets up to the end it had when the read began (dead letters, the
/// `_sluice.graphs` registry). The scan is a value type: feed it messages, ask it whether to go on; no broker
/// needed to test it. ``read(_:client:logger:from:limit:timeout:)`` runs it against the broker.
///
/// The end of each partition is its high watermark. Tansu 0.6 reports the last record *batch*'s base offset + 1
/// there, so the rest of that batch lies beyond the "end"; it arrives in the same fetch as the batch's first
/// record, so after every partition reached its end the scan still takes what arrives for a short
/// ``quietPeriod``.
public struct TopicScan: Sendable {
    /// The partitions still to read, and the offset to read them up to (exclusive).
    public private(set) var ends: [TopicPartition: Int64]
    /// The records taken, in the order they arrived (per partition: by offset).
    public private(set) var messages: [KafkaMessage] = []
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

    public var isLimitReached: Bool { limit.map { messages.count >= $0 } ?? false }

    /// Every partition reached the end it had when the scan began.
    public var reachedEnds: Bool { endsReachedAt != nil }

    /// Takes a message (ignoring those before a partition's position or of other partitions) and returns
    /// whether to read on.
    public mutating func take(_ message: KafkaMessage, now: ContinuousClock.Instant = .now) -> Bool {
        guard !isLimitReached else { return false }
        let partition = message.topicPartition
        guard let position = next[partition], message.offset >= position else { return true }
        messages.append(message)
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

extension TopicScan {
    /// Reads every partition of `topic` from `from` (else its first offset) up to its current end, at most
    /// `limit` records, with a manual assignment of `consumer` (no group rebalance). Returns `nil` when the
    /// topic does not exist.
    ///
    /// - Throws: ``KafkaError/Code/timedOut`` when the end was not reached within `timeout`: never a partial
    ///   result taken for the whole.
    public static func read(
        _ topic: String, consumer: KafkaConsumer, client: KafkaClientOptions, logger: Logger,
        from: [TopicPartition: Int64] = [:], limit: Int? = nil, timeout: Duration = .seconds(30)
    ) async throws -> TopicScan? {
        let admin = try KafkaAdmin(options: client, logger: logger)
        guard let described = try await admin.describeTopics([topic])[topic] else { return nil }
        var start: [TopicPartition: Int64] = [:]
        var ends: [TopicPartition: Int64] = [:]
        for index in 0..<described.partitions {
            let partition = TopicPartition(topic: topic, partition: index)
            let (low, high) = try await admin.watermarks(of: partition)
            start[partition] = max(low, from[partition] ?? low)
            ends[partition] = high
        }
        let state = SharedScan(TopicScan(start: start, ends: ends, limit: limit))
        let positions = state.withLock { $0.positions }
        guard !state.withLock({ $0.isDone() }) else { return state.withLock { $0 } }

        try consumer.assign(positions)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in consumer.messages {
                    guard state.withLock({ $0.take(message) }) else { break }
                }
            }
            while clock.now < deadline, !state.withLock({ $0.isDone() }) {
                try? await Task.sleep(for: .milliseconds(20))
            }
            group.cancelAll()  // ends the message sequence
        }
        let scan = state.withLock { $0 }
        guard scan.reachedEnds || scan.isLimitReached else {
            throw KafkaError(
                code: .timedOut, message: "reading \(topic) did not reach its end within \(timeout) (\(scan.messages.count) read)")
        }
        return scan
    }
}

/// The scan, shared by the reading task and the task that watches for its end.
private final class SharedScan: Sendable {
    private let scan: Mutex<TopicScan>

    init(_ scan: TopicScan) { self.scan = Mutex(scan) }

    func withLock<T>(_ body: (inout TopicScan) -> T) -> T { scan.withLock { body(&$0) } }
}
