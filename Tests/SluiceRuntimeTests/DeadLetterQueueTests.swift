import Foundation
import SluiceCore
import SluiceKafka
import SluiceRuntime
import SluiceTestSupport
import Testing

@Suite("Dead-letter queue against the broker", .serialized, .timeLimit(.minutes(3)))
struct DeadLetterQueueTests {
    @Test func aPoisonMessageIsListedWithItsReasonAndReplayedToItsSourceTopicOnlyOnce() async throws {
        let nodes = [
            NodeSpec(name: "a", kind: .passthrough, inputs: [InputRef(source: "events")]),
            NodeSpec(name: "b", kind: .passthrough, inputs: [InputRef(source: "a")]),
        ]
        try await TestGraph.with(inputs: [InputSpec(name: "events", partitions: 1)], nodes: nodes) { graph in
            let edge = graph.node("a").ports[0].topic
            let dlq = graph.node("b").deadLetterTopic
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, [try poison(edge, correlationID: "c2"), try good(edge, i: 1)])
            let worker = RunningWorker(try graph.host("b", instanceID: "b-1"))
            #expect(try await TestKafka.read(dlq, count: 1, quiet: .milliseconds(500)).count == 1)
            try await worker.stop()

            let queue = try DeadLetterQueue(
                topology: graph.topology, node: "b", client: KafkaClientOptions(brokers: try TestKafka.brokers()),
                logger: TestKafka.logger)
            #expect(queue.replayGroup == "sluice.\(graph.spec.graph).b.dlq-replay")
            let listed = try await queue.list()
            let letter = try #require(listed.count == 1 ? listed.first : nil)
            #expect(letter.partition == 0 && letter.offset == 0)
            #expect(letter.error?.hasPrefix("invalid-payload") == true)
            #expect(letter.attempts == 0)
            #expect(letter.sourceTopic == edge && letter.sourcePartition == 0 && letter.sourceOffset == 0)
            #expect(letter.correlationID == "c2")
            #expect(letter.preview() == "not json {")
            #expect(try await queue.replayPositions().isEmpty, "nothing replayed yet")

            // The first replay puts the poison message back on the edge, as it was before it failed.
            let first = try await queue.replay()
            #expect(first.replayed.map(\.offset) == [0] && first.skipped.isEmpty)
            let onEdge = try await TestKafka.read(edge, count: 3, quiet: .milliseconds(500))
            let replayed = try #require(onEdge.count == 3 ? onEdge.last : nil)
            #expect(replayed.value == Array("not json {".utf8))
            #expect(replayed.key == Array("c2".utf8))
            #expect(replayed.header(Envelope.Header.correlationID)?.stringValue == "c2", "original headers kept")
            #expect(replayed.headers.allSatisfy { !DeadLetter.deadLetterHeaders.contains($0.name) })
            #expect(try await queue.replay().replayed.isEmpty, "a second replay sends nothing again")
            #expect(try await queue.replayPositions() == [TopicPartition(topic: dlq, partition: 0): 1])

            // The node fails it again: only that new dead letter is replayed next time.
            let again = RunningWorker(try graph.host("b", instanceID: "b-1"))  // a restart under the same id
            #expect(try await TestKafka.read(dlq, count: 2, quiet: .milliseconds(500)).count == 2)
            try await again.stop()
            #expect(try await queue.list().map(\.offset) == [0, 1], "replayed dead letters stay listed")
            #expect(try await queue.list(limit: 1).count == 1)
            #expect(try await queue.replay().replayed.map(\.offset) == [1])
            #expect(try await queue.replay().replayed.isEmpty)
            await producer.close()
        }
    }

    @Test func aDeadLetterFromAnotherTopicIsSkippedNotReplayed() async throws {
        let nodes = [NodeSpec(name: "a", kind: .passthrough, inputs: [InputRef(source: "events")])]
        try await TestGraph.with(inputs: [InputSpec(name: "events", partitions: 1)], nodes: nodes) { graph in
            let dlq = graph.node("a").deadLetterTopic
            let producer = try TestKafka.producer()
            let stray = KafkaRecord(
                topic: dlq, key: Array("k".utf8), value: Array("{}".utf8),
                headers: [KafkaHeader(name: DeadLetterHeader.sourceTopic, string: "sluice.elsewhere.in.x")])
            try await TestKafka.produce(producer, [stray])
            await producer.close()
            let queue = try DeadLetterQueue(
                topology: graph.topology, node: "a", client: KafkaClientOptions(brokers: try TestKafka.brokers()),
                logger: TestKafka.logger)
            let outcome = try await queue.replay()
            #expect(outcome.replayed.isEmpty)
            #expect(outcome.skipped.map(\.offset) == [0])
        }
    }

    func poison(_ topic: String, correlationID: String) throws -> KafkaRecord {
        var record = KafkaRecord(
            topic: topic,
            envelope: try Envelope(
                payload: Numbered(i: 2), correlationID: correlationID, origin: "a@test", specVersion: 1))
        record.value = Array("not json {".utf8)
        return record
    }

    func good(_ topic: String, i: Int) throws -> KafkaRecord {
        KafkaRecord(
            topic: topic,
            envelope: try Envelope(payload: Numbered(i: i), correlationID: "c\(i)", origin: "a@test", specVersion: 1))
    }
}
