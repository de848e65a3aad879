@testable import SluiceKafka
import Testing

@Suite("ConsumerBuffer state machine")
struct ConsumerBufferTests {
    let p0 = TopicPartition(topic: "t", partition: 0)
    let p1 = TopicPartition(topic: "t", partition: 1)

    func message(_ tp: TopicPartition, _ offset: Int64) -> KafkaMessage {
        KafkaMessage(topic: tp.topic, partition: tp.partition, offset: offset, key: nil, value: [], headers: [], timestampMilliseconds: nil)
    }

    @Test func aFullBufferIsReportedAndAStuckReaderPausesAssignedPartitionsUntilHalfIsDrained() {
        var buffer = ConsumerBuffer(capacity: 4)
        _ = buffer.assign([p0, p1])
        for m in [message(p0, 0), message(p0, 1), message(p1, 0)] { buffer.append([m]) }
        #expect(!buffer.isFull)
        for m in [message(p1, 1), message(p1, 2)] { buffer.append([m]) }
        #expect(buffer.isFull)
        #expect(buffer.pauseForSlowReader() == .pause([p0, p1]))
        #expect(buffer.pauseForSlowReader() == .none, "already paused: no second pause")
        guard case .deliver(_, .none) = buffer.next() else { Issue.record("expected a message"); return }
        guard case .deliver(_, .none) = buffer.next() else { Issue.record("expected a message"); return }
        guard case .deliver(_, .resume(let resumed)) = buffer.next() else { Issue.record("expected resume"); return }
        #expect(resumed == [p0, p1])
    }

    @Test func flowControlNeverResumesWhatTheApplicationPaused() {
        var buffer = ConsumerBuffer(capacity: 2)
        _ = buffer.assign([p0, p1])
        buffer.pause([p1])
        buffer.append([message(p0, 0), message(p0, 1)])
        #expect(buffer.pauseForSlowReader() == .pause([p0]))
        guard case .deliver(_, .resume(let resumed)) = buffer.next() else { Issue.record("expected resume"); return }
        #expect(resumed == [p0])
        #expect(buffer.resume([p1]) == .resume([p1]))
    }

    @Test func revokedPartitionsLoseTheirBufferedMessagesAndLaterArrivals() {
        var buffer = ConsumerBuffer(capacity: 10)
        _ = buffer.assign([p0, p1])
        buffer.append([message(p0, 0), message(p1, 0), message(p0, 1)])
        #expect(buffer.revoke([p0]) == .none)
        buffer.append([message(p0, 2), message(p1, 1)])
        var offsets: [TopicPartition] = []
        while case .deliver(let taken, _) = buffer.next() { offsets += taken.map(\.topicPartition) }
        #expect(offsets == [p1, p1])
    }

    @Test func aRevokeThatDrainsAFlowPausedBufferResumesTheRemainingPartitions() {
        var buffer = ConsumerBuffer(capacity: 4)
        _ = buffer.assign([p0, p1])
        // The buffer filled with messages of p0 only, then p0 was revoked: nothing is left to read, so only
        // the revoke can resume p1.
        buffer.append((0..<4).map { message(p0, Int64($0)) })
        #expect(buffer.pauseForSlowReader() == .pause([p0, p1]))
        #expect(buffer.revoke([p0]) == .resume([p1]))
        guard case .wait = buffer.next() else { Issue.record("expected an empty buffer"); return }
    }

    @Test func aSeekThatDrainsAFlowPausedBufferResumesFetching() {
        var buffer = ConsumerBuffer(capacity: 4)
        _ = buffer.assign([p0])
        buffer.append((0..<4).map { message(p0, Int64($0)) })
        #expect(buffer.pauseForSlowReader() == .pause([p0]))
        #expect(buffer.discardBuffered([p0]) == .resume([p0]))
    }

    @Test func newlyAssignedPartitionsStartPausedWhileFlowIsPaused() {
        var buffer = ConsumerBuffer(capacity: 1)
        _ = buffer.assign([p0])
        buffer.append([message(p0, 0)])
        #expect(buffer.pauseForSlowReader() == .pause([p0]))
        #expect(buffer.assign([p1]) == .pause([p1]))
    }

    @Test func readersTakeWholeFetchedBatchesInOrder() {
        var buffer = ConsumerBuffer(capacity: 10)
        _ = buffer.assign([p0])
        buffer.append((0..<3).map { message(p0, $0) })
        buffer.append((3..<5).map { message(p0, $0) })
        guard case .deliver(let first, _) = buffer.next(), case .deliver(let rest, _) = buffer.next() else {
            Issue.record("expected two batches"); return
        }
        #expect(first.map(\.offset) == [0, 1, 2])
        #expect(rest.map(\.offset) == [3, 4])
        guard case .wait = buffer.next() else { Issue.record("expected to wait"); return }
    }

    @Test func finishDeliversWhatIsBufferedThenEnds() {
        var buffer = ConsumerBuffer(capacity: 10)
        _ = buffer.assign([p0])
        buffer.append([message(p0, 0)])
        buffer.finish()
        guard case .deliver = buffer.next() else { Issue.record("expected the buffered message"); return }
        guard case .finished = buffer.next() else { Issue.record("expected the end"); return }
    }
}
