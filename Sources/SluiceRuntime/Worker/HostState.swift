import SluiceKafka

/// Exactly-once: one transaction's content.
struct TransactionBatch {
    /// Consumer positions (next offset to read) to commit with the transaction.
    var offsets: [TopicPartition: Int64]
    /// The outputs of the inputs those positions cover, in input order per partition.
    var records: [KafkaRecord]
    /// How many inputs the records came from.
    var inputs: Int

    var isEmpty: Bool { offsets.isEmpty && records.isEmpty }
}

/// A message taken from the consumer, tagged with the assignment it was read under.
struct WorkItem: Sendable {
    var message: KafkaMessage
    /// Changes each time the partition is assigned, so work from an earlier assignment cannot finish an
    /// offset redelivered under a later one.
    var generation: UInt64

    var partition: TopicPartition { message.topicPartition }
}

/// The host's bookkeeping as a value type, held in a lock: which partitions are assigned, which offsets are
/// finished (``OffsetWatermark``), which items wait behind the same key (``KeyedSequencer``), and how many
/// items of each partition are running. Every method is a short, synchronous state change; the host performs
/// the side effects (starting work, returning permits, storing offsets) outside the lock.
///
/// ```
/// take ──▶ .start ──▶ (process, produce) ──▶ processed ──▶ next of the same key, if any
///    └───▶ .queued (behind its key)                   └──▶ finished (all outputs acknowledged)
///    └───▶ .dropped (partition not assigned, or a redelivery)
/// ```
struct HostState {
    enum Intake {
        /// Start this item now.
        case start(WorkItem)
        /// The item waits behind a running item of its key.
        case queued
        /// The item is not ours to process; return its permit.
        case dropped
    }

    private let ordered: Bool
    private var watermark = OffsetWatermark()
    private var sequencer = KeyedSequencer<WorkItem>()
    /// Assigned partitions and their generation.
    private var assigned: [TopicPartition: UInt64] = [:]
    /// Partitions being revoked: no new work starts, running work may still finish its offsets.
    private var draining: [TopicPartition: UInt64] = [:]
    /// Items started and not finished, per assigned or draining partition.
    private var running: [TopicPartition: Int] = [:]
    private var nextGeneration: UInt64 = 0
    /// Exactly-once only: outputs of finished inputs waiting for a transaction.
    private var held = HeldOutputs()

    init(ordered: Bool) {
        self.ordered = ordered
    }

    /// Offsets taken and not finished, over all partitions.
    var inFlight: Int { watermark.totalInFlight }

    mutating func assign(_ partitions: Set<TopicPartition>) {
        for partition in partitions {
            nextGeneration += 1
            assigned[partition] = nextGeneration
            draining[partition] = nil
            running[partition] = 0
        }
    }

    /// Records a message read from the consumer.
    mutating func take(_ message: KafkaMessage) -> Intake {
        let partition = message.topicPartition
        guard let generation = assigned[partition],
            watermark.track(partition: partition, offset: message.offset)
        else { return .dropped }
        let item = WorkItem(message: message, generation: generation)
        if ordered, sequencer.submit(key: message.key, item: item) == nil { return .queued }
        running[partition, default: 0] += 1
        return .start(item)
    }

    /// Records that `item` was processed and its outputs handed to the producer.
    ///
    /// - Returns: the next item of the same key, now running, if one waits.
    mutating func processed(_ item: WorkItem) -> WorkItem? {
        guard ordered, let next = sequencer.complete(key: item.message.key) else { return nil }
        running[next.partition, default: 0] += 1
        return next
    }

    /// Records that `item` is done: processed and every output acknowledged. Its permit goes back whatever
    /// this returns.
    ///
    /// - Returns: whether its offset counted (`false` for work of an earlier assignment).
    @discardableResult
    mutating func finished(_ item: WorkItem) -> Bool {
        let partition = item.partition
        guard assigned[partition] == item.generation || draining[partition] == item.generation else { return false }
        running[partition, default: 1] -= 1
        return watermark.finish(partition: partition, offset: item.message.offset)
    }

    /// The positions to store: partitions whose commit position moved since the last call.
    mutating func committable() -> [TopicPartition: Int64] {
        watermark.committable()
    }

    /// Exactly-once: finished inputs whose outputs wait for a transaction.
    var heldCount: Int { held.count }

    /// Exactly-once: records that `item` is processed, holding its outputs (not yet produced) for a transaction.
    ///
    /// - Returns: whether it counted (`false` for work of an earlier assignment; its outputs are dropped).
    mutating func hold(_ item: WorkItem, outputs: [KafkaRecord]) -> Bool {
        guard finished(item) else { return false }
        held.hold(outputs, partition: item.partition, offset: item.message.offset)
        return true
    }

    /// Exactly-once: what the next transaction commits: the positions that moved and the held outputs of the
    /// inputs they cover.
    mutating func takeTransaction() -> TransactionBatch {
        let positions = watermark.committable()
        let (records, inputs) = held.take(below: positions)
        return TransactionBatch(offsets: positions, records: records, inputs: inputs)
    }

    /// Exactly-once: forgets held outputs of `partitions` (after their last transaction, on revoke).
    ///
    /// - Returns: how many inputs' outputs were dropped.
    mutating func dropHeld(_ partitions: Set<TopicPartition>) -> Int {
        held.drop(partitions)
    }

    /// Stops new work on `partitions`.
    ///
    /// - Returns: how many queued items of them were dropped (their permits go back).
    mutating func beginRevoke(_ partitions: Set<TopicPartition>) -> Int {
        for partition in partitions {
            if let generation = assigned.removeValue(forKey: partition) { draining[partition] = generation }
        }
        return sequencer.removeQueued { partitions.contains($0.partition) }.count
    }

    /// Items of `partitions` still running.
    func runningCount(in partitions: Set<TopicPartition>) -> Int {
        partitions.reduce(0) { $0 + (running[$1] ?? 0) }
    }

    /// Forgets `partitions`; late completions of their work are ignored from now on.
    ///
    /// - Returns: their commit positions not yet returned by ``committable()``, for a final store.
    mutating func endRevoke(_ partitions: Set<TopicPartition>) -> [TopicPartition: Int64] {
        for partition in partitions {
            draining[partition] = nil
            running[partition] = nil
        }
        return watermark.revoke(partitions)
    }
}
