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
        state.finished(b)
        let early = state.committable()
        #expect(early.isEmpty)
        state.finished(a)
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

        let dropped = state.beginRevoke([p0])
        #expect(dropped == 1)
        #expect(state.runningCount(in: [p0]) == 1)
        guard case .dropped = state.take(message(p0, 2, key: "c")) else {
            Issue.record("a draining partition takes no new work")
            return
        }
        let counted = state.finished(running)
        #expect(counted)
        #expect(state.runningCount(in: [p0]) == 0)
        let final = state.endRevoke([p0])
        #expect(final == [p0: 1])

        // Assigned again: an old completion must not finish the redelivered offset.
        state.assign([p0])
        let redelivered = try #require(started(state.take(message(p0, 1, key: "d"))))
        let stale = state.finished(running)
        let fresh = state.finished(redelivered)
        #expect(!stale)
        #expect(fresh)
    }
}
