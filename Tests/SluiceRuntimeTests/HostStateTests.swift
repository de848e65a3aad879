import SluiceKafka
import Testing

@testable import SluiceRuntime

@Suite("HostState: intake, per-key lanes, finish and revoke")
struct HostStateTests {
    let p0 = TopicPartition(topic: "t", partition: 0)
    let p1 = TopicPartition(topic: "t", partition: 1)

    func message(_ partition: TopicPartition, _ offset: Int64, key: String? = "a") -> KafkaMessage {
        KafkaMessage(
            topic: partition.topic, partition: partition.partition, offset: offset, key: key.map { Array($0.utf8) },
            value: Array("{}".utf8), headers: [], timestampMilliseconds: nil)
    }

    func started(_ intake: HostState.Intake) -> WorkItem? {
        if case .start(let item) = intake { return item }
        return nil
    }

    @Test func messagesOfUnassignedPartitionsAreDropped() {
        var state = HostState(ordered: true)
        guard case .dropped = state.take(message(p0, 0)) else {
            Issue.record("expected .dropped")
            return
        }
        state.assign([p0])
        #expect(started(state.take(message(p0, 0))) != nil)
    }

    @Test func sameKeyWaitsAndStartsWhenTheRunningOneIsProcessed() throws {
        var state = HostState(ordered: true)
        state.assign([p0])
        let first = try #require(started(state.take(message(p0, 0))))
        guard case .queued = state.take(message(p0, 1)) else {
            Issue.record("expected .queued")
            return
        }
        #expect(started(state.take(message(p0, 2, key: "b")))?.message.offset == 2)
        let after = state.processed(first)
        let next = try #require(after)
        #expect(next.message.offset == 1)
        let afterNext = state.processed(next)
        #expect(afterNext == nil)
    }

    @Test func offsetsCommitOnlyOverAContiguousFinishedRun() throws {
        var state = HostState(ordered: false)
        state.assign([p0])
        let a = try #require(started(state.take(message(p0, 0))))
        let b = try #require(started(state.take(message(p0, 1))))
        state.finished(b.completion)
        let early = state.committable()
        #expect(early.isEmpty)
        state.finished(a.completion)
        let positions = state.committable()
        #expect(positions == [p0: 2])
        #expect(state.inFlight == 0)
    }

    @Test func revokeDropsQueuedWorkWaitsForRunningWorkAndIgnoresStaleCompletions() throws {
        var state = HostState(ordered: true)
        state.assign([p0, p1])
        let running = try #require(started(state.take(message(p0, 0))))
        _ = state.take(message(p0, 1))  // queued behind offset 0
        _ = try #require(started(state.take(message(p1, 0, key: "z"))))

        let (dropped, wakeups) = state.beginRevoke([p0])
        #expect(dropped == 1)
        #expect(wakeups.isEmpty)
        #expect(state.runningCount(in: [p0]) == 1)
        guard case .dropped = state.take(message(p0, 2, key: "c")) else {
            Issue.record("a draining partition takes no new work")
            return
        }
        let counted = state.finished(running.completion)
        #expect(counted)
        #expect(state.runningCount(in: [p0]) == 0)
        let final = state.endRevoke([p0])
        #expect(final == [p0: 1])

        // Assigned again: an old completion must not finish the redelivered offset.
        state.assign([p0])
        let redelivered = try #require(started(state.take(message(p0, 1, key: "d"))))
        let stale = state.finished(running.completion)
        let fresh = state.finished(redelivered.completion)
        #expect(!stale)
        #expect(fresh)
    }

    @Test func aChunkQueuesStartedItemsForTheLanesInReadOrder() {
        var state = HostState(ordered: true)
        state.assign([p0])
        let intake = state.take([message(p0, 0), message(p0, 1), message(p0, 2, key: "b"), message(p1, 0)])
        #expect(intake.dropped == 1, "p1 is not assigned")
        #expect(intake.wakeups.isEmpty, "no lane is waiting")
        let offsets = (0..<3).map { _ in state.nextReady(orPark: nil)?.message.offset }
        #expect(offsets == [0, 2, nil], "offset 1 waits behind offset 0's key")
    }

    @Test func aChunkWithRunsOfSeveralPartitionsFinishesEachOffsetInItsOwnPartition() {
        var state = HostState(ordered: false)
        state.assign([p0, p1])
        let chunk = [message(p0, 0), message(p0, 1), message(p1, 7), message(p0, 2), message(p1, 8)]
        let intake = state.take(chunk)
        #expect(intake.dropped == 0)
        var items: [WorkItem] = []
        while let item = state.nextReady(orPark: nil) { items.append(item) }
        #expect(items.map(\.partition) == chunk.map(\.topicPartition))
        #expect(state.runningCount(in: [p0]) == 3)
        #expect(state.runningCount(in: [p1]) == 2)
        for item in items { state.finished(item.completion) }
        #expect(state.committable() == [p0: 3, p1: 9])
        #expect(state.runningCount(in: [p0, p1]) == 0)
    }

    @Test func revokeDropsItemsNoLaneTookYetAndPassesTheirKeyOn() throws {
        var state = HostState(ordered: true)
        state.assign([p0, p1])
        // p0's item is ready (not started by a lane) and holds key "a"; p1's item with key "a" waits behind it.
        _ = state.take([message(p0, 0), message(p1, 0)])
        let (dropped, _) = state.beginRevoke([p0])
        #expect(dropped == 1)
        #expect(state.runningCount(in: [p0]) == 0)
        let ready = state.nextReady(orPark: nil)
        let next = try #require(ready)
        #expect(next.partition == p1, "the key passed on to p1's item")
        #expect(state.runningCount(in: [p1]) == 1)
    }

    @Test func anItemFinishesWhenItsLastOutputIsAcknowledged() throws {
        var state = HostState(ordered: false)
        state.assign([p0])
        let item = try #require(started(state.take(message(p0, 0))))
        // One report arrives before the lane says it produced two records.
        let early = state.delivered(tags: [item.tag])
        let (finishedAtOnce, _) = state.processed(item, produced: 2)
        let before = state.committable()
        let last = state.delivered(tags: [item.tag])
        let positions = state.committable()
        let again = state.delivered(tags: [item.tag])
        #expect(early == 0)
        #expect(!finishedAtOnce)
        #expect(before.isEmpty)
        #expect(last == 1)
        #expect(positions == [p0: 1])
        #expect(again == 0, "the tag is free again")
    }

    @Test func anItemWithoutOutputsFinishesWhenProcessedAndACancelledOneDoesNot() throws {
        var state = HostState(ordered: false)
        state.assign([p0])
        let cancelled = try #require(started(state.take(message(p0, 0))))
        let empty = try #require(started(state.take(message(p0, 1))))
        let (cancelledFinished, _) = state.processed(cancelled, produced: nil)
        let (emptyFinished, _) = state.processed(empty, produced: 0)
        #expect(!cancelledFinished)
        #expect(emptyFinished)
        #expect(state.committable().isEmpty, "offset 0 is not finished, so nothing can be committed")
    }

    @Test func aStoppingLaneTakesNothingMoreSoClosingDropsEveryItemNotStarted() throws {
        var state = HostState(ordered: false)
        state.assign([p0])
        _ = state.take([message(p0, 0), message(p0, 1), message(p0, 2)])
        let ready = state.nextReady(orPark: nil)
        let first = try #require(ready)
        let (finished, next) = state.processed(first, produced: 0, takingNext: false)
        #expect(finished)
        #expect(next == nil)
        let (_, dropped) = state.closeIntake()
        #expect(dropped == 2, "offsets 1 and 2 were left ready, not taken by the stopping lane")
        #expect(state.runningCount(in: [p0]) == 0, "so a revoke waits for nothing")
        #expect(state.committable() == [p0: 1])
    }

    @Test func closingDropsOnlyTheUnstartedTailOfEachPartition() throws {
        var state = HostState(ordered: true)
        state.assign([p0, p1])
        // p0: 0 (key a) is started, 1 (key a) waits behind it, 2 (key b) has finished. p1: 0 and 1 are unstarted.
        _ = state.take([message(p0, 0), message(p0, 1), message(p0, 2, key: "b"), message(p1, 0, key: "c")])
        _ = state.take([message(p1, 1, key: "d")])
        let started = (state.nextReady(orPark: nil), state.nextReady(orPark: nil))
        let first = try #require(started.0)
        let third = try #require(started.1)
        #expect([first.message.offset, third.message.offset] == [0, 2])
        state.finished(third.completion)

        let (wakeups, dropped) = state.closeIntake()
        #expect(wakeups.isEmpty)
        #expect(dropped == 2, "p1's two unstarted items; p0's offset 1 sits below the finished offset 2")
        #expect(state.runningCount(in: [p1]) == 0)
        let next = state.processed(first)
        #expect(next?.message.offset == 1, "kept: it runs after offset 0, so offsets 0...2 can be committed")
    }

    @Test func theLaneThatStartsTheItemBringingTheBacklogToTheReadAheadBoundResumesTheIntake() async {
        var state = HostState(ordered: false, readAhead: 2)
        state.assign([p0])
        _ = state.take((0..<4).map { message(p0, $0) })
        let roomBefore = state.hasReadAheadRoom(orPark: nil)
        #expect(!roomBefore)
        let resumed = await withCheckedContinuation { intake in
            let parkedWithRoom = state.hasReadAheadRoom(orPark: intake)
            #expect(!parkedWithRoom)
            let first = state.nextReady(orPark: nil)
            let early = state.intakeWithRoom()
            #expect(first?.message.offset == 0)
            #expect(early == nil, "3 unstarted, above the bound")
            let second = state.nextReady(orPark: nil)
            #expect(second?.message.offset == 1)
            if let waiting = state.intakeWithRoom() {
                let again = state.intakeWithRoom()
                #expect(again == nil, "handed out once")
                waiting.resume(returning: true)
            } else {
                Issue.record("2 unstarted: the intake should be handed back")
                state.takeWaitingIntake()?.resume(returning: false)
            }
        }
        #expect(resumed)
        let roomAfter = state.hasReadAheadRoom(orPark: nil)
        #expect(roomAfter)
    }

    @Test func dropsOnRevokeMakeReadAheadRoomAndACancelledIntakeIsTakenBack() async {
        var state = HostState(ordered: false, readAhead: 1)
        state.assign([p0, p1])
        _ = state.take([message(p0, 0), message(p0, 1), message(p1, 0)])
        let afterRevoke = await withCheckedContinuation { intake in
            let room = state.hasReadAheadRoom(orPark: intake)
            #expect(!room)
            _ = state.beginRevoke([p0])
            if let waiting = state.intakeWithRoom() {
                waiting.resume(returning: true)
            } else {
                Issue.record("1 unstarted after the revoke: the intake should be handed back")
                state.takeWaitingIntake()?.resume(returning: false)
            }
        }
        #expect(afterRevoke)
        _ = state.take([message(p1, 1)])
        let cancelled = await withCheckedContinuation { intake in
            let room = state.hasReadAheadRoom(orPark: intake)
            #expect(!room)
            guard let taken = state.takeWaitingIntake() else {
                Issue.record("the parked intake should be taken back")
                return intake.resume(returning: true)
            }
            taken.resume(returning: false)
        }
        #expect(!cancelled)
        let left = state.takeWaitingIntake()
        #expect(left == nil)
    }
}
