public import SluiceKafka
/// Tracks which consumed offsets are finished, per topic-partition, and how far the consumer group may commit.
///
/// The worker host calls ``track(partition:offset:)`` when it takes a message from the consumer and
/// ``finish(partition:offset:)`` once the message is processed *and* the broker has acknowledged every output
/// it produced. Messages finish in any order; a partition's commit position only moves over a contiguous run of
/// finished offsets, so a crash never skips unfinished work (at-least-once). Following Kafka's convention the
/// position is the offset of the next message to read: last contiguous finished offset + 1.
///
/// Offsets within a partition arrive increasing but not necessarily consecutive (compaction, transaction
/// markers); gaps are never waited for, since only tracked offsets count:
///
///     tracked (arrival order)   10   11   12   15   16      13, 14: never delivered (gap)
///     finished                   x    x    .    x    .
///                               \______/
///                            contiguous prefix           -> position 12 (= 11 + 1)
///
///     finish(12)                 x    x    x    x    .   -> 10...15 popped, position 16
///     finish(16)                 (nothing tracked)       -> position 17
///
/// ``committable()`` returns only the partitions whose position moved since the last call (or since
/// ``markCommitted(_:)``), so an idle partition is not committed again and again.
///
/// Cost: `track` is O(1) amortized; `finish` is O(1) when offsets have no gaps and O(log n) in the number of
/// in-flight offsets otherwise; `committable` is O(partitions). Each call by partition hashes it once; a caller
/// that holds the partition's ``Slot`` (``slot(for:)``) tracks and finishes without hashing.
///
/// Completions that arrive after ``revoke(_:)`` are ignored, but if a revoked partition is assigned again and
/// an offset is redelivered while its old processing is still running, the host must drop the old completion
/// itself (for example by tagging work with an assignment generation): offsets alone cannot tell them apart.
public struct OffsetWatermark: Sendable {
    /// Where a tracked partition's state lives, for callers that track and finish many offsets of one partition
    /// without hashing the partition each time (see ``slot(for:)``). A slot is good while its partition is
    /// tracked: once the partition is revoked, calls with the slot change nothing, even after its place is reused.
    public struct Slot: Hashable, Sendable {
        let index: Int
        /// Tells this use of the place apart from later ones.
        let epoch: UInt64
    }

    /// One place of ``logs``: a tracked partition's log, or a free place (`partition == nil`, epoch 0).
    private struct Entry {
        var partition: TopicPartition?
        var epoch: UInt64
        var log = PartitionLog()
    }

    /// By slot index. An array rather than a dictionary of logs: changing a log in place through a dictionary
    /// subscript allocated (a coroutine frame) on every finish. Revoking a partition frees its place rather than
    /// moving another log into it, so the slots callers hold stay valid.
    private var entries: [Entry] = []
    private var slots: [TopicPartition: Slot] = [:]
    private var freeIndices: [Int] = []
    private var lastEpoch: UInt64 = 0

    /// Offsets tracked and not yet finished, over all partitions.
    public private(set) var totalInFlight = 0

    /// Creates an empty watermark.
    public init() {}

    /// The slot of `partition`, starting to track it if it is not tracked yet.
    public mutating func slot(for partition: TopicPartition) -> Slot {
        if let slot = slots[partition] { return slot }
        lastEpoch += 1
        let entry = Entry(partition: partition, epoch: lastEpoch)
        let index: Int
        if let free = freeIndices.popLast() {
            index = free
            entries[index] = entry
        } else {
            index = entries.count
            entries.append(entry)
        }
        let slot = Slot(index: index, epoch: lastEpoch)
        slots[partition] = slot
        return slot
    }

    /// The slot of `partition` if it is tracked.
    public func existingSlot(of partition: TopicPartition) -> Slot? {
        slots[partition]
    }

    /// Records that the message at `offset` was taken for processing.
    ///
    /// - Returns: `false`, and ignores the offset, when it is negative or not greater than the last offset
    ///   tracked for `partition` (a redelivery without ``revoke(_:)``). An ignored offset must not be finished.
    @discardableResult
    public mutating func track(partition: TopicPartition, offset: Int64) -> Bool {
        track(slot(for: partition), offset: offset)
    }

    /// ``track(partition:offset:)`` for the partition of `slot`; `false` if that partition was revoked since.
    @discardableResult
    public mutating func track(_ slot: Slot, offset: Int64) -> Bool {
        guard isCurrent(slot), entries[slot.index].log.append(offset) else { return false }
        totalInFlight += 1
        return true
    }

    /// Records that the message at `offset` is done: processed and its outputs acknowledged.
    ///
    /// - Returns: `false` when the offset is not in flight: never tracked, already finished, or its partition
    ///   was revoked. Such calls change nothing.
    @discardableResult
    public mutating func finish(partition: TopicPartition, offset: Int64) -> Bool {
        guard let slot = slots[partition] else { return false }
        return finish(slot, offset: offset)
    }

    /// ``finish(partition:offset:)`` for the partition of `slot`; `false` if that partition was revoked since.
    @discardableResult
    public mutating func finish(_ slot: Slot, offset: Int64) -> Bool {
        guard isCurrent(slot), entries[slot.index].log.finish(offset) else { return false }
        totalInFlight -= 1
        return true
    }

    private func isCurrent(_ slot: Slot) -> Bool {
        entries.indices.contains(slot.index) && entries[slot.index].epoch == slot.epoch
    }

    /// The offsets to commit: for each partition whose position advanced since it was last returned here or
    /// passed to ``markCommitted(_:)``, last contiguous finished offset + 1.
    ///
    /// The returned positions count as reported. If the commit fails, nothing is lost: Kafka commits are
    /// cumulative, so the next position returned for that partition covers the same messages.
    public mutating func committable() -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        for index in entries.indices {
            if let partition = entries[index].partition, let position = entries[index].log.takeUnreportedPosition() {
                result[partition] = position
            }
        }
        return result
    }

    /// Records offsets committed by other means (for example a synchronous commit on shutdown), so that
    /// ``committable()`` returns a partition again only once it moves past them. Unknown partitions are ignored.
    public mutating func markCommitted(_ offsets: [TopicPartition: Int64]) {
        for (partition, offset) in offsets {
            if let slot = slots[partition] { entries[slot.index].log.markReported(offset) }
        }
    }

    /// The current commit position of `partition` (last contiguous finished offset + 1), whether reported or
    /// not; `nil` until one of its offsets has finished.
    public func position(of partition: TopicPartition) -> Int64? {
        slots[partition].flatMap { entries[$0.index].log.position }
    }

    /// How many offsets of `partition` are tracked and not yet finished.
    public func inFlight(_ partition: TopicPartition) -> Int {
        slots[partition].map { entries[$0.index].log.unfinished } ?? 0
    }

    /// The lowest offset of the run of unfinished offsets at the top of `partition` that all satisfy `predicate`
    /// (for example: not started yet); `nil` when the highest tracked offset is finished or fails it. Dropping
    /// exactly that run leaves no finished offset above a dropped one, so no finished work is redone because of it.
    public func unfinishedTail(of partition: TopicPartition, where predicate: (Int64) -> Bool) -> Int64? {
        slots[partition].flatMap { entries[$0.index].log.unfinishedTail(where: predicate) }
    }

    /// Drops all state of `partitions` (after a rebalance took them away). Later finishes for them are ignored.
    ///
    /// - Returns: the positions of the revoked partitions that were not reported yet, for a final commit.
    @discardableResult
    public mutating func revoke(_ partitions: some Sequence<TopicPartition>) -> [TopicPartition: Int64] {
        var unreported: [TopicPartition: Int64] = [:]
        for partition in partitions {
            guard let slot = slots.removeValue(forKey: partition) else { continue }
            var log = entries[slot.index].log
            entries[slot.index] = Entry(partition: nil, epoch: 0)
            freeIndices.append(slot.index)
            totalInFlight -= log.unfinished
            if let position = log.takeUnreportedPosition() {
                unreported[partition] = position
            }
        }
        return unreported
    }
}

/// The in-flight offsets of one partition, oldest first, and its commit position.
///
/// `entries[head...]` holds the live entries; finished entries at the front are popped by advancing `head`, and
/// the array is compacted once the dead prefix outweighs the live part (amortized O(1)).
struct PartitionLog {
    private struct Entry {
        var offset: Int64
        var done: Bool
    }

    private var entries: [Entry] = []
    private var head = 0
    private var lastTracked: Int64 = -1
    private var reported: Int64 = -1
    /// Tracked offsets not finished yet.
    private(set) var unfinished = 0
    /// Last contiguous finished offset + 1; `nil` before the first one finishes.
    private(set) var position: Int64?

    mutating func append(_ offset: Int64) -> Bool {
        guard offset > lastTracked else { return false }
        entries.append(Entry(offset: offset, done: false))
        lastTracked = offset
        unfinished += 1
        return true
    }

    mutating func finish(_ offset: Int64) -> Bool {
        guard let index = index(of: offset), !entries[index].done else { return false }
        entries[index].done = true
        unfinished -= 1
        if index == head { popFinishedPrefix() }
        return true
    }

    func unfinishedTail(where predicate: (Int64) -> Bool) -> Int64? {
        var lowest: Int64?
        for entry in entries[head...].reversed() {
            guard !entry.done, predicate(entry.offset) else { break }
            lowest = entry.offset
        }
        return lowest
    }

    mutating func takeUnreportedPosition() -> Int64? {
        guard let position, position > reported else { return nil }
        reported = position
        return position
    }

    mutating func markReported(_ offset: Int64) {
        reported = max(reported, offset)
    }

    private func index(of offset: Int64) -> Int? {
        guard head < entries.count, offset >= entries[head].offset, offset <= lastTracked else { return nil }
        // Offsets strictly increase, so `offset` sits at most `distance` entries from the front, exactly there
        // when the partition has no gaps.
        let distance = offset - entries[head].offset
        var high = entries.count
        if distance < Int64(entries.count - head) {
            let guess = head + Int(distance)
            if entries[guess].offset == offset { return guess }
            high = guess
        }
        var low = head
        while low < high {
            let mid = low + (high - low) / 2
            if entries[mid].offset < offset { low = mid + 1 } else { high = mid }
        }
        return low < entries.count && entries[low].offset == offset ? low : nil
    }

    private mutating func popFinishedPrefix() {
        while head < entries.count, entries[head].done {
            position = entries[head].offset + 1
            head += 1
        }
        if head == entries.count {
            // Keep the buffer for the steady state, but let a burst's worth of memory go.
            entries.removeAll(keepingCapacity: entries.capacity <= 65_536)
            head = 0
        } else if head >= 1_024, head * 2 >= entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }
}
