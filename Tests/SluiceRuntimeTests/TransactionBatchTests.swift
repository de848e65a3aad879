import SluiceKafka
import Testing

@testable import SluiceRuntime

@Suite("Exactly-once: held outputs go into the transaction that commits their inputs")
struct TransactionBatchTests {
    let p0 = TopicPartition(topic: "t", partition: 0)
    let p1 = TopicPartition(topic: "t", partition: 1)

    func item(_ state: inout HostState, _ partition: TopicPartition, _ offset: Int64, key: String) throws -> WorkItem {
        let message = KafkaMessage(
            topic: partition.topic, partition: partition.partition, offset: offset, key: Array(key.utf8),
            value: Array("{}".utf8), headers: [], timestampMilliseconds: nil)
        guard case .start(let item) = state.take(message) else { throw Unexpected() }
        return item
    }

    func output(_ name: String) -> KafkaRecord { KafkaRecord(topic: "out", value: Array(name.utf8)) }

    func names(_ batch: TransactionBatch) -> [String] { batch.records.map { String(decoding: $0.value ?? [], as: UTF8.self) } }

    struct Unexpected: Error {}

    @Test func outputsAboveAnUnfinishedInputWaitForTheTransactionThatCoversThem() throws {
        var state = HostState(ordered: false)
        state.assign([p0])
        let a = try item(&state, p0, 10, key: "a")
        let b = try item(&state, p0, 11, key: "b")
        let c = try item(&state, p0, 12, key: "c")
        let heldC = state.hold(c, outputs: [output("c")])
        let heldA = state.hold(a, outputs: [output("a1"), output("a2")])
        #expect(heldC && heldA)

        let first = state.takeTransaction()
        #expect(first.offsets == [p0: 11])
        #expect(names(first) == ["a1", "a2"])
        #expect(first.inputs == 1)
        #expect(state.heldCount == 1)

        let heldB = state.hold(b, outputs: [])
        #expect(heldB)
        let second = state.takeTransaction()
        #expect(second.offsets == [p0: 13])
        #expect(names(second) == ["c"], "an input with no outputs still moves the offset")
        #expect(second.inputs == 2)
        let third = state.takeTransaction()
        #expect(third.isEmpty)
    }

    @Test func outputsAreOrderedByInputOffsetPerPartition() throws {
        var state = HostState(ordered: false)
        state.assign([p0, p1])
        let items = try (0..<4).map { try item(&state, p0, Int64($0), key: "k\($0)") }
        let other = try item(&state, p1, 0, key: "x")
        for item in items.reversed() { _ = state.hold(item, outputs: [output("p0-\(item.message.offset)")]) }
        _ = state.hold(other, outputs: [output("p1-0")])
        let batch = state.takeTransaction()
        #expect(batch.offsets == [p0: 4, p1: 1])
        #expect(names(batch).filter { $0.hasPrefix("p0") } == ["p0-0", "p0-1", "p0-2", "p0-3"])
        #expect(batch.inputs == 5)
    }

    @Test func revokedPartitionsDropWhatIsHeldAndLateWorkIsNotHeld() throws {
        var state = HostState(ordered: false)
        state.assign([p0])
        let running = try item(&state, p0, 0, key: "a")
        let done = try item(&state, p0, 1, key: "b")
        _ = state.hold(done, outputs: [output("b")])
        _ = state.beginRevoke([p0])
        let batch = state.takeTransaction()
        #expect(batch.isEmpty, "offset 0 is still running")
        _ = state.endRevoke([p0])
        let dropped = state.dropHeld([p0])
        #expect(dropped == 1)
        let late = state.hold(running, outputs: [output("a")])
        #expect(!late, "work of a revoked partition")
        #expect(state.heldCount == 0)
    }
}
