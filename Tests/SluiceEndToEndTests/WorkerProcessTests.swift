import Foundation
import SluiceKafka
import SluiceTestSupport
import Testing

extension EndToEndTests {
    /// Whole graphs run by `sluice worker` processes, as in production: one OS process per worker, stopped or
    /// crashed by PID.
    @Suite("Workers as separate processes", .serialized, .timeLimit(.minutes(3)))
    struct WorkerProcessTests {
        /// events ──▶ parse ──▶ enrich ──▶ store, all passthrough.
        static let line = """
            graph: GRAPH
            version: 1
            inputs:
              events: { partitions: 4 }
            nodes:
              parse: { kind: passthrough, inputs: [events] }
              enrich: { kind: passthrough, inputs: [parse] }
              store: { kind: passthrough, inputs: [enrich] }
            """

        /// events ──▶ parse ──▶ slow (10 ms each, 8 at a time per worker) ──▶ store: slow enough that a worker of
        /// `slow` always has inputs in flight when it is stopped.
        static let slowMiddle = """
            graph: GRAPH
            version: 1
            inputs:
              events: { partitions: 4 }
            nodes:
              parse: { kind: passthrough, inputs: [events] }
              slow: { kind: delay, inputs: [parse], config: { ms: 10 }, concurrency: 8 }
              store: { kind: passthrough, inputs: [slow] }
            """

        @Test func sixWorkerProcessesOnAThreeNodeLineDeliverEveryInputExactlyOnce() async throws {
            try await EndToEndGraph.with(spec: Self.line) { graph in
                for node in ["parse", "enrich", "store"] {
                    try graph.startWorker(node)
                    try graph.startWorker(node)
                }
                try await graph.publish("events", 0..<10_000)

                let outputs = try Arrivals(
                    await TestKafka.read(
                        graph.outputTopic(of: "store"), count: 10_000, timeout: .seconds(90), quiet: .seconds(2)))
                let missing = outputs.missing(from: 0..<10_000)
                graph.expect(missing.isEmpty, "\(missing.count) input(s) lost, first \(missing.prefix(10))")
                graph.expect(outputs.duplicates == 0, "\(outputs.duplicates) duplicate(s) without any crash")
                graph.expect(graph.runningWorkers.count == 6, "every worker process is still running")
                print("six workers, 10000 inputs: outputs by worker \(outputs.origins.sorted { $0.key < $1.key })")
                graph.expect(outputs.origins.count == 2, "both workers of the last node produced: \(outputs.origins)")

                let workers = graph.runningWorkers
                let startLog = try workers.first.map { try String(contentsOf: $0.logURL, encoding: .utf8) } ?? ""
                graph.expect(
                    startLog.contains("sluice.allocator=jemalloc"),
                    "sluice links jemalloc, and its worker says so when it starts")
                await graph.stopAll()
                for worker in workers {
                    graph.expect(
                        worker.exitStatus == 0,
                        "\(worker.instanceID) exited \(worker.exitStatus.map(String.init) ?? "-") on SIGTERM")
                }
            }
        }

        @Test func aWorkerKilledWithSIGKILLMidRunLosesNothingAndItsDuplicatesAreCounted() async throws {
            try await EndToEndGraph.with(spec: Self.slowMiddle) { graph in
                let victim = try await startSlowLineAndWaitMidRun(graph, before: "the kill")
                let status = await victim.stop(.sigkill)
                graph.expect(
                    status == WorkerProcess.Signal.sigkill.rawValue, "the victim died of SIGKILL (\(status ?? -1))")

                // The survivor takes the victim's partitions once the broker drops it from the group (session timeout)
                // and resumes from the last commit: at-least-once, so duplicates are allowed and reported.
                let outputs = try await readAllOutputsExpectingNoLoss(graph)
                print(
                    "SIGKILL mid-run: \(outputs.numbers.count) outputs for 6000 inputs, \(outputs.duplicates) duplicate(s)"
                )
            }
        }

        @Test func aWorkerStoppedWithSIGTERMMidRunAndReplacedDuplicatesNothing() async throws {
            try await EndToEndGraph.with(spec: Self.slowMiddle) { graph in
                let stopped = try await startSlowLineAndWaitMidRun(graph, before: "the stop")
                let status = await stopped.stop(.sigterm)
                graph.expect(
                    status == 0, "SIGTERM drains, commits and exits 0 (\(status.map(String.init) ?? "killed"))")
                try graph.startWorker("slow", instance: "slow-replacement")

                let outputs = try await readAllOutputsExpectingNoLoss(graph)
                graph.expect(outputs.duplicates == 0, "\(outputs.duplicates) duplicate(s) after a graceful stop")
            }
        }

        /// Starts the slow line (two `slow` workers), publishes 6,000 inputs and waits until 1,500 outputs arrived;
        /// returns one of the `slow` workers, for the test to stop.
        func startSlowLineAndWaitMidRun(_ graph: EndToEndGraph, before event: String) async throws -> WorkerProcess {
            try graph.startWorker("parse")
            let target = try graph.startWorker("slow")
            try graph.startWorker("slow")
            try graph.startWorker("store")
            try await graph.publish("events", 0..<6_000)
            let seen = try await waitForOutputs(1_500, on: graph.outputTopic(of: "store"))
            graph.expect(seen >= 1_500, "only \(seen) output(s) arrived before \(event)")
            return target
        }

        /// Reads the 6,000 outputs of the slow line (90 s at most) and expects every input among them.
        func readAllOutputsExpectingNoLoss(_ graph: EndToEndGraph) async throws -> Arrivals {
            let outputs = try Arrivals(
                await TestKafka.read(
                    graph.outputTopic(of: "store"), count: 6_000, timeout: .seconds(90), quiet: .seconds(2)))
            let missing = outputs.missing(from: 0..<6_000)
            graph.expect(missing.isEmpty, "\(missing.count) input(s) lost, first \(missing.prefix(10))")
            return outputs
        }

        /// Watches `topic` from the beginning until `count` messages arrived (or 60 s passed); returns how many did.
        func waitForOutputs(_ count: Int, on topic: String) async throws -> Int {
            let watcher = try TestKafka.consumer()
            try watcher.subscribe(topics: [topic])
            let seen = await watcher.collect(count, timeout: .seconds(60))
            await watcher.close()
            return seen.count
        }
    }
}
