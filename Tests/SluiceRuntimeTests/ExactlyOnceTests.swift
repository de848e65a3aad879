import Foundation
import SluiceCore
import SluiceKafka
import SluiceRuntime
import SluiceTestSupport
import Testing

@Suite("Exactly-once worker host against the broker", .serialized, .timeLimit(.minutes(5)))
struct ExactlyOnceTests {
    /// One exactly-once node `pass`: a passthrough, or (`delayMilliseconds`) a delay node with 16 lanes.
    private static func passthrough(
        partitions: Int, delayMilliseconds: Int? = nil
    ) -> (inputs: [InputSpec], nodes: [NodeSpec]) {
        let node = NodeSpec(
            name: "pass", kind: delayMilliseconds == nil ? .passthrough : .delay, inputs: [InputRef(source: "events")],
            config: .object(delayMilliseconds.map { ["ms": .int($0)] } ?? [:]),
            concurrency: delayMilliseconds == nil ? 64 : 16, delivery: .exactlyOnce)
        return ([InputSpec(name: "events", partitions: partitions)], [node])
    }

    @Test func aReadCommittedReaderSeesEveryOutputExactlyOnceAndOffsetsAreCommittedByTheTransactions() async throws {
        let (inputs, nodes) = Self.passthrough(partitions: 3)
        try await TestGraph.with(inputs: inputs, nodes: nodes) { graph in
            let producer = try TestKafka.producer()
            let reports = try await TestKafka.produce(producer, graph.entryRecords("events", 0..<5_000, keys: 100))
            await producer.close()

            let worker = RunningWorker(try graph.host("pass"))
            let outputs = try await TestKafka.read(graph.node("pass").ports[0].topic, count: 5_000)
            try await worker.stop()

            let numbers = try outputs.map { try $0.outputNumber() }
            #expect(Set(numbers) == Set(0..<5_000), "nothing lost")
            #expect(numbers.count == 5_000, "no duplicates")
            let ends = TestKafka.endOffsets(of: reports)
            let committed = try await TestKafka.admin().committedOffsets(group: graph.node("pass").consumerGroup)
            #expect(committed == ends)
        }
    }

    @Test func aCrashLikeStopThenARestartUnderTheSameInstanceIDLosesNothingAndDuplicatesNothing() async throws {
        // Slow enough (about 3,000 inputs a second) that the crash comes mid-run: a passthrough can finish all of
        // them while the watcher joins its group.
        let (inputs, nodes) = Self.passthrough(partitions: 3, delayMilliseconds: 5)
        let total = 20_000
        try await TestGraph.with(inputs: inputs, nodes: nodes) { graph in
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, graph.entryRecords("events", 0..<total, keys: 100))
            await producer.close()
            let topic = graph.node("pass").ports[0].topic

            // Cancelled, not shut down gracefully: in-flight and held work is abandoned, an open transaction is
            // aborted, nothing more is committed.
            let host = try graph.host("pass", instanceID: "eos-1")
            let crashing = Task { try await host.run() }
            let watcher = try TestKafka.consumer()
            try watcher.subscribe(topics: [topic])
            let seen = await watcher.collect(2_000, timeout: .seconds(60))
            await watcher.close()
            crashing.cancel()
            try await crashing.value
            #expect(seen.count == 2_000)
            let committed = try await TestKafka.admin().committedOffsets(group: graph.node("pass").consumerGroup)
            #expect(committed.values.reduce(0, +) < Int64(total), "the first host stopped mid-run")

            let restarted = RunningWorker(try graph.host("pass", instanceID: "eos-1"))
            let outputs = try await TestKafka.read(topic, count: total, quiet: .seconds(3))
            try await restarted.stop()

            let numbers = try outputs.map { try $0.outputNumber() }
            #expect(Set(numbers) == Set(0..<total), "nothing lost")
            // The crash may cut a transaction off after some of its records reached the broker. It is aborted, but
            // Tansu shows aborted records to read_committed readers: there the outputs of that one transaction's
            // inputs come twice, at most the pending budget plus one fetched chunk.
            let duplicates = numbers.count - Set(numbers).count
            if TestKafka.isTansu {
                let budget = WorkerConfiguration(client: KafkaClientOptions(brokers: try TestKafka.brokers()))
                #expect(duplicates <= budget.maxPendingInputs + 1_024, "at most one aborted transaction's")
            }
            await TestKafka.onTansuKnownIssue(
                "Tansu 0.6.0 sends no aborted-transaction ranges: the records of a transaction the crash cut off show",
                isIntermittent: true
            ) {
                #expect(duplicates == 0, "no duplicates")
            }
        }
    }
}
