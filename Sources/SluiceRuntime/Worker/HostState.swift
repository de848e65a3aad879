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
    /// Where its partition's state is, so finishing it hashes no partition.
    var slot: OffsetWatermark.Slot
    /// Changes each time the partition is assigned, so work from an earlier assignment cannot finish an
    /// offset redelivered under a later one.
    var generation: UInt64
    /// At-least-once: the producer's delivery tag of its outputs, unique among the items taken and not done.
    var tag: Int

    var partition: TopicPartition { message.topicPartition }

    /// What finishing the item needs, without the message.
    var completion: Completion {
        Completion(slot: slot, offset: message.offset, generation: generation)
    }
}

/// Where a taken item's offset is and under which assignment it was read: all that finishing it needs, so the
/// bookkeeping of outputs waiting for the broker keeps no copy of the message.
struct Completion: Sendable {
    var slot: OffsetWatermark.Slot
    var offset: Int64
    var generation: UInt64
}

/// The host's bookkeeping as a value type, held in a lock: which partitions are assigned, which offsets are
/// finished (``OffsetWatermark``), which items wait behind the same key (``KeyedSequencer``), which started items
/// wait for a lane, which outputs wait for the broker, and how many items of each partition are taken. Every
/// method is a short, synchronous state change; the host performs the side effects (resuming lanes, returning
/// permits, storing offsets) outside the lock.
///
/// ```
/// take ──▶ .start ──▶ ready ──▶ a lane: process ──▶ produce (delivery tag) ──▶ delivered ──▶ finished
///    └───▶ .queued (behind its key) ──▶ ready once the item before it of its key is processed
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

    /// A lane waiting for a started item; resumed with `nil` once intake is closed and nothing is ready.
    typealias IdleLane = CheckedContinuation<WorkItem?, Never>

    /// The intake waiting for read-ahead room: resumed with `true` once lanes have started enough items, or with
    /// `false` when its task is cancelled.
    typealias WaitingIntake = CheckedContinuation<Bool, Never>

    /// An assigned or draining partition.
    private struct PartitionState {
        /// Its assignment (see ``WorkItem/generation``).
        var generation: UInt64
        /// Being revoked: no new work starts, running work may still finish its offsets.
        var draining = false
        /// Items taken and neither finished nor dropped: running, ready or queued behind their key.
        var running = 0
    }

    /// An assigned partition as ``take(_:)`` finds it, once per run of its messages in a chunk.
    private struct IntakePartition {
        var topic: String
        var partition: Int32
        var slot: OffsetWatermark.Slot
        var generation: UInt64

        func holds(_ message: KafkaMessage) -> Bool {
            partition == message.partition && topic == message.topic
        }
    }

    private let ordered: Bool
    /// Items taken and not started (ready, or queued behind their key) above which the intake waits.
    private let readAhead: Int
    /// The intake, parked until the unstarted items are down to ``readAhead``.
    private var waitingIntake: WaitingIntake?
    /// Tracks the offsets of the assigned and draining partitions; their slots index ``partitions``.
    private var watermark = OffsetWatermark()
    /// The assigned and draining partitions, by the index of their watermark slot.
    private var partitions: [PartitionState?] = []
    private var sequencer = KeyedSequencer<WorkItem>()
    private var nextGeneration: UInt64 = 0
    /// Started items no lane has picked up yet, oldest first.
    private var ready = FIFO<WorkItem>()
    /// Lanes waiting for a started item.
    private var idleLanes: [IdleLane] = []
    /// No more items will be taken: idle lanes end.
    private var intakeClosed = false
    /// At-least-once: the delivery tags of the items taken and not done.
    private var deliveries = DeliverySlots()
    /// Exactly-once only: outputs of finished inputs waiting for a transaction.
    private var held = HeldOutputs()

    init(ordered: Bool, readAhead: Int = .max) {
        self.ordered = ordered
        self.readAhead = readAhead
    }

    /// Offsets taken and not finished, over all partitions.
    var inFlight: Int { watermark.totalInFlight }

    /// Items taken that no lane has started: ready, or queued behind their key.
    var unstartedCount: Int { ready.count + sequencer.queuedCount }

    /// Whether the intake may take another chunk: at most ``readAhead`` items wait unstarted. When not, parks
    /// `intake` (if given) until ``intakeWithRoom()`` hands it back, so a slow node holds about that many inputs
    /// (plus one chunk) and the rest of its backlog stays in the broker.
    mutating func hasReadAheadRoom(orPark intake: WaitingIntake?) -> Bool {
        guard unstartedCount > readAhead else { return true }
        if let intake { waitingIntake = intake }
        return false
    }

    /// The parked intake, once lanes (or dropped items) have brought the unstarted items down to ``readAhead``:
    /// to resume outside the lock. Checked after every change that starts or drops items.
    mutating func intakeWithRoom() -> WaitingIntake? {
        guard waitingIntake != nil, unstartedCount <= readAhead else { return nil }
        defer { waitingIntake = nil }
        return waitingIntake
    }

    /// The parked intake, whatever the room: its task was cancelled.
    mutating func takeWaitingIntake() -> WaitingIntake? {
        defer { waitingIntake = nil }
        return waitingIntake
    }

    mutating func assign(_ assignment: Set<TopicPartition>) {
        for partition in assignment {
            nextGeneration += 1
            let slot = watermark.slot(for: partition)
            if slot.index >= partitions.count {
                partitions.append(contentsOf: repeatElement(nil, count: slot.index + 1 - partitions.count))
            }
            partitions[slot.index] = PartitionState(generation: nextGeneration)
        }
    }

    /// Records a message read from the consumer.
    mutating func take(_ message: KafkaMessage) -> Intake {
        var partition: IntakePartition?
        return take(message, partition: &partition)
    }

    /// Records a message read from the consumer; `partition` is the assigned partition of the message before it,
    /// and is looked up again only when this message is of another partition.
    private mutating func take(_ message: consuming KafkaMessage, partition: inout IntakePartition?) -> Intake {
        if partition?.holds(message) != true { partition = assignedPartition(of: message) }
        guard let partition, watermark.track(partition.slot, offset: message.offset) else { return .dropped }
        var item = WorkItem(message: message, slot: partition.slot, generation: partition.generation, tag: 0)
        item.tag = deliveries.open(item.completion)
        partitions[partition.slot.index]?.running += 1
        if ordered, sequencer.submit(key: item.message.key, item: item) == nil { return .queued }
        return .start(item)
    }

    private func assignedPartition(of message: KafkaMessage) -> IntakePartition? {
        guard let slot = watermark.existingSlot(of: message.topicPartition), let state = partitions[slot.index],
            !state.draining
        else { return nil }
        return IntakePartition(
            topic: message.topic, partition: message.partition, slot: slot, generation: state.generation)
    }

    /// Records a chunk of messages read from the consumer: started items go to idle lanes, or wait in the ready
    /// queue for one.
    ///
    /// - Returns: the lanes to resume (outside the lock) with their items, and how many messages were dropped.
    mutating func take(_ messages: [KafkaMessage]) -> (wakeups: [(IdleLane, WorkItem)], dropped: Int) {
        var wakeups: [(IdleLane, WorkItem)] = []
        var dropped = 0
        var partition: IntakePartition?
        for message in messages {
            switch take(message, partition: &partition) {
            case .start(let item): if let wakeup = makeReady(item) { wakeups.append(wakeup) }
            case .queued: break
            case .dropped: dropped += 1
            }
        }
        return (wakeups, dropped)
    }

    /// Hands a started item to an idle lane (returned, to resume outside the lock) or queues it for the next lane.
    private mutating func makeReady(_ item: consuming WorkItem) -> (IdleLane, WorkItem)? {
        if let lane = idleLanes.popLast() { return (lane, item) }
        ready.append(item)
        return nil
    }

    /// A started item for a lane: the oldest one waiting, or `nil`. When there is none, parks `lane` (if given)
    /// until one is taken, or resumes it with `nil` at once if intake is closed.
    mutating func nextReady(orPark lane: IdleLane?) -> WorkItem? {
        if let item = ready.popFirst() { return item }
        guard let lane else { return nil }
        if intakeClosed { lane.resume(returning: nil) } else { idleLanes.append(lane) }
        return nil
    }

    /// No more items will be taken; the unstarted tail of each partition is dropped (see ``dropUnstarted(in:all:)``),
    /// so a slow node's shutdown waits only for what it is running and what sits below it.
    ///
    /// - Returns: the idle lanes, to resume outside the lock (with `nil`, or with an item whose key a dropped item
    ///   held), and how many items were dropped (their permits go back).
    mutating func closeIntake() -> (wakeups: [(IdleLane, WorkItem?)], dropped: Int) {
        let (dropped, handoffs) = dropUnstarted(in: { _ in true }, all: false)
        intakeClosed = true
        defer { idleLanes = [] }
        return (handoffs.map { ($0, $1) } + idleLanes.map { ($0, nil) }, dropped)
    }

    /// Drops items of the partitions `inScope` accepts that no lane has started (ready, or queued behind their key):
    /// all of them, or (`all: false`) only each partition's unstarted tail, the run above its last started offset,
    /// as Kafka Streams drops its buffered records on close. Their offsets stay uncommitted, so the partition's next
    /// owner processes them; dropping only the tail never leaves a finished input above a dropped one, whose
    /// outputs would then be produced again.
    ///
    /// - Returns: how many were dropped (their permits go back), and lanes to resume (outside the lock) with items
    ///   whose key a dropped item held.
    private mutating func dropUnstarted(
        in inScope: (TopicPartition) -> Bool, all: Bool
    ) -> (dropped: Int, wakeups: [(IdleLane, WorkItem)]) {
        var unstarted: [TopicPartition: Set<Int64>] = [:]
        let note = { (item: WorkItem) in
            if inScope(item.partition) { unstarted[item.partition, default: []].insert(item.message.offset) }
        }
        ready.forEach(note)
        sequencer.forEachQueued(note)
        guard !unstarted.isEmpty else { return (0, []) }
        var floors: [TopicPartition: Int64] = [:]
        for (partition, offsets) in unstarted {
            floors[partition] = all ? Int64.min : watermark.unfinishedTail(of: partition, where: offsets.contains)
        }
        let shouldDrop = { (item: WorkItem) in floors[item.partition].map { item.message.offset >= $0 } ?? false }

        let queued = sequencer.removeQueued(where: shouldDrop)
        var fromReady: [WorkItem] = []
        ready.remove(where: shouldDrop, into: &fromReady)
        var wakeups: [(IdleLane, WorkItem)] = []
        for item in queued + fromReady {
            if isCurrent(item.completion) { partitions[item.slot.index]?.running -= 1 }
            deliveries.close(item.tag)
        }
        for item in fromReady {
            // A ready item held its key: pass the key on as if the item had run.
            if let next = processed(item), let wakeup = makeReady(next) { wakeups.append(wakeup) }
        }
        return (queued.count + fromReady.count, wakeups)
    }

    /// Releases `item`'s key.
    ///
    /// - Returns: the next item of the same key, now holding the key, if one waits.
    mutating func processed(_ item: WorkItem) -> WorkItem? {
        guard ordered else { return nil }
        return sequencer.complete(key: item.message.key)
    }

    /// At-least-once: records that `item` was processed and `produced` records with its tag were handed to the
    /// producer (`nil`: its processing was cancelled, so it stays unfinished), and releases its key.
    ///
    /// - Returns: whether it is finished now (no records, or all already acknowledged: its permit goes back), and
    ///   what the lane runs next (see ``next(after:taking:)``).
    mutating func processed(
        _ item: WorkItem, produced: Int?, takingNext: Bool = true
    ) -> (finished: Bool, next: WorkItem?) {
        var done = false
        if let produced {
            if deliveries.expect(produced, tag: item.tag) {
                finished(item.completion)
                done = true
            }
        } else {
            deliveries.close(item.tag)
        }
        return (done, next(after: item, taking: takingNext))
    }

    /// Releases `item`'s key (the next item of the key, if one waits, joins the ready queue) and tells its lane what
    /// to run next: the oldest ready item, if any. In the same critical section as the item's completion, so an
    /// input costs its lane one lock round trip.
    ///
    /// Oldest first, rather than the key's next item at once: a lane that followed one busy key would leave older
    /// inputs of other keys waiting, and their offsets would hold back the partition's commits.
    ///
    /// - Parameter taking: `false` for a lane that stops (its task is cancelled): the ready items stay for
    ///   ``closeIntake()`` to drop, rather than one being taken and never finished.
    mutating func next(after item: WorkItem, taking: Bool = true) -> WorkItem? {
        if let next = processed(item) { ready.append(next) }
        return taking ? ready.popFirst() : nil
    }

    /// Records that an item is done: processed and every output acknowledged. Its permit goes back whatever
    /// this returns.
    ///
    /// - Returns: whether its offset counted (`false` for work of an earlier assignment).
    @discardableResult
    mutating func finished(_ completion: Completion) -> Bool {
        guard isCurrent(completion) else { return false }
        partitions[completion.slot.index]?.running -= 1
        return watermark.finish(completion.slot, offset: completion.offset)
    }

    /// Whether the item was taken under its partition's current assignment (assigned or draining).
    private func isCurrent(_ completion: Completion) -> Bool {
        partitions.indices.contains(completion.slot.index)
            && partitions[completion.slot.index]?.generation == completion.generation
    }

    /// At-least-once: the records with these delivery tags were acknowledged.
    ///
    /// - Returns: how many items that finished (their permits go back): those whose last record this was.
    mutating func delivered(tags: [Int]) -> Int {
        var count = 0
        for tag in tags {
            guard let completion = deliveries.acknowledge(tag) else { continue }
            finished(completion)
            count += 1
        }
        return count
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
        deliveries.close(item.tag)
        guard finished(item.completion) else { return false }
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

    /// Stops new work on `partitions`; their unstarted tails are dropped (see ``dropUnstarted(in:all:)``), or, when
    /// the partitions are lost, everything of them not started.
    ///
    /// - Returns: how many items were dropped (their permits go back), and lanes to resume (outside the lock) with
    ///   items of other partitions whose key a dropped item held.
    mutating func beginRevoke(
        _ revoked: Set<TopicPartition>, lost: Bool = false
    ) -> (dropped: Int, wakeups: [(IdleLane, WorkItem)]) {
        for partition in revoked {
            if let slot = watermark.existingSlot(of: partition) { partitions[slot.index]?.draining = true }
        }
        return dropUnstarted(in: revoked.contains, all: lost)
    }

    /// Items of `partitions` taken and not yet finished or dropped.
    func runningCount(in revoking: Set<TopicPartition>) -> Int {
        revoking.reduce(0) { count, partition in
            count + (watermark.existingSlot(of: partition).flatMap { partitions[$0.index]?.running } ?? 0)
        }
    }

    /// Forgets `partitions`; late completions of their work are ignored from now on.
    ///
    /// - Returns: their commit positions not yet returned by ``committable()``, for a final store.
    mutating func endRevoke(_ revoked: Set<TopicPartition>) -> [TopicPartition: Int64] {
        for partition in revoked {
            if let slot = watermark.existingSlot(of: partition) { partitions[slot.index] = nil }
        }
        return watermark.revoke(revoked)
    }
}

/// At-least-once: a delivery tag for every item taken and not done, so the delivery reports of its outputs find it
/// without an allocation per record. Reports may come back before the lane has said how many records it produced.
struct DeliverySlots {
    private struct Slot {
        /// What finishing the slot's item needs; `nil` while the slot is free.
        var completion: Completion?
        /// Records produced with the tag, once the lane has produced them all.
        var expected: Int?
        var acknowledged = 0
    }

    /// By tag.
    private var slots: [Slot] = []
    private var free: [Int] = []

    /// A tag for a new item, remembering what finishing it needs for ``acknowledge(_:)``.
    mutating func open(_ completion: Completion) -> Int {
        let slot = Slot(completion: completion)
        if let tag = free.popLast() {
            slots[tag] = slot
            return tag
        }
        slots.append(slot)
        return slots.count - 1
    }

    private func inUse(_ tag: Int) -> Bool {
        slots.indices.contains(tag) && slots[tag].completion != nil
    }

    /// The lane produced `count` records for `tag`'s item.
    ///
    /// - Returns: `true` when all of them are acknowledged already (or there are none): the item is done and its
    ///   tag is free again.
    mutating func expect(_ count: Int, tag: Int) -> Bool {
        guard inUse(tag) else { return false }
        guard slots[tag].acknowledged < count else {
            close(tag)
            return true
        }
        slots[tag].expected = count
        return false
    }

    /// One record of `tag` was acknowledged.
    ///
    /// - Returns: the item's completion, once this was its last record (its tag is free again).
    mutating func acknowledge(_ tag: Int) -> Completion? {
        guard inUse(tag) else { return nil }
        slots[tag].acknowledged += 1
        guard let expected = slots[tag].expected, slots[tag].acknowledged >= expected else { return nil }
        let completion = slots[tag].completion
        close(tag)
        return completion
    }

    /// Frees `tag`: its item was dropped, cancelled, or is done without waiting for the broker.
    mutating func close(_ tag: Int) {
        guard inUse(tag) else { return }
        slots[tag] = Slot()
        free.append(tag)
    }
}
