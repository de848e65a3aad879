import Dispatch
import Foundation
import Logging
import SluiceKafka
import Synchronization

/// The inputs of a chain benchmark: JSON values of a fixed size that carry their number and the (monotonic)
/// time they were sent, both at fixed positions, so the reader at the end of the chain decodes them cheaply.
///
/// `{"t":"00000001234567890123","i":"0000000042","p":"abcabc…"}` (strings: JSON numbers have no leading zeros): the same bytes for the Swift workers (a user's
/// plain JSON on an entry topic) and the C relays (which copy values unchanged).
enum ChainPayload {
    private static let timeRange = 6..<26
    private static let numberRange = 33..<43

    /// A `size`-byte value (at least 48).
    static func make(number: Int, sentAt nanoseconds: UInt64, size: Int) -> [UInt8] {
        let head = "{\"t\":\"\(pad(String(nanoseconds), 20))\",\"i\":\"\(pad(String(number), 10))\",\"p\":\""
        let padding = max(0, size - head.utf8.count - 2)
        return Array(head.utf8) + (0..<padding).map { UInt8(ascii: "a") + UInt8($0 % 26) } + Array("\"}".utf8)
    }

    /// The number and send time of a value made by ``make(number:sentAt:size:)``.
    static func decode(_ value: [UInt8]) -> (number: Int, sentAt: UInt64)? {
        guard value.count >= numberRange.upperBound else { return nil }
        guard let number = digits(value[numberRange]), let sentAt = digits(value[timeRange]) else { return nil }
        return (Int(number), sentAt)
    }

    /// Now on the clock ``make(number:sentAt:size:)`` expects (monotonic, nanoseconds).
    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: "0", count: max(0, width - text.count)) + text
    }

    private static func digits(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

/// Reads the last topic of a chain from the beginning (assigned, no group join) and times what arrives: when the
/// first and the last message came, and the end-to-end latency of the paced inputs (numbers ≥ `pacedFrom`).
final class ChainReader: Sendable {
    struct Result: Sendable {
        var first: ContinuousClock.Instant
        /// When the last backlog message (number < `pacedFrom`) arrived.
        var lastBacklog: ContinuousClock.Instant
        /// Send-to-read latencies of the paced messages, in milliseconds, sorted.
        var latencies: [Double]
        var duplicates: Int
    }

    private struct Progress {
        var backlog = 0
        var first: ContinuousClock.Instant?
        var lastBacklog: ContinuousClock.Instant?
    }

    private let consumer: KafkaConsumer
    private let progressState = Mutex(Progress())

    /// Assigns every partition of `topic`; reading starts with ``read(backlog:paced:)``.
    init(topic: String, partitions: Int, settings: KafkaBenchSettings, logger: Logger) throws {
        consumer = try KafkaConsumer(configuration: settings.consumer(group: KafkaBenchmark.uniqueGroup()), logger: logger)
        try consumer.assign(
            Dictionary(uniqueKeysWithValues: (0..<partitions).map {
                (TopicPartition(topic: topic, partition: Int32($0)), KafkaOffset.beginning)
            }))
    }

    /// Backlog messages read so far.
    var backlogCount: Int { progressState.withLock { $0.backlog } }

    /// Reads until every number below `backlog + paced` has arrived (or the task is cancelled), then closes.
    func read(backlog: Int, paced: Int) async throws -> Result {
        let total = backlog + paced
        var seen = [Bool](repeating: false, count: total)
        var distinct = 0
        var duplicates = 0
        var latencies: [Double] = []
        latencies.reserveCapacity(paced)
        for await message in consumer.messages {
            let now = ContinuousClock.now
            let arrived = ChainPayload.now
            guard let (number, sentAt) = ChainPayload.decode(message.value), number < total else {
                throw BenchError("unexpected value at the end of the chain: \(message.value.prefix(48))")
            }
            if seen[number] {
                duplicates += 1
                continue
            }
            seen[number] = true
            distinct += 1
            if number < backlog {
                progressState.withLock { progress in
                    progress.backlog += 1
                    if progress.first == nil { progress.first = now }
                    progress.lastBacklog = now
                }
            } else {
                latencies.append(Double(arrived &- sentAt) / 1e6)
            }
            if distinct == total { break }
        }
        await consumer.close()
        let (first, last) = progressState.withLock { ($0.first, $0.lastBacklog) }
        guard distinct == total, let first, let last else {
            throw BenchError("the end of the chain got \(distinct) of \(total) distinct messages")
        }
        return Result(first: first, lastBacklog: last, latencies: latencies.sorted(), duplicates: duplicates)
    }
}

extension Array where Element == Double {
    /// The `fraction` quantile of a sorted array (nearest rank).
    func quantile(_ fraction: Double) -> Double? {
        guard !isEmpty else { return nil }
        let rank = Int((fraction * Double(count)).rounded(.up)) - 1
        return self[Swift.min(Swift.max(rank, 0), count - 1)]
    }
}
