import Foundation
import SluiceCore
import SluiceKafka

/// (d) one hop at a fixed input rate: the CPU a worker spends per message when it keeps up, beside a C relay.
///
/// ```
/// paced producer ─▶ entry ─▶ sluice worker (or C relay) ─▶ out ─▶ reader
/// ```
/// Unlike the saturated chains of (a), where the broker and three workers share the two cores and a run settles
/// into one of two batching regimes, the load here is the same in every run: the figure moves by a few percent
/// between runs, so a change to the worker's data path shows in it.
extension PipelineBenchmark {
    /// CPU of the hop's process and of the broker per message, µs, from the first paced input to the last output.
    struct HopRun: Sendable {
        var processCPU: Double
        var brokerCPU: Double
    }

    /// One passthrough worker (or, with `c`, one C relay) fed `count` inputs at `rate` per second.
    func pacedHop(c: Bool, rate: Int, count: Int) async throws -> HopRun? {
        let input: String
        let output: String
        let process: BackgroundProcess
        if c {
            guard let relay else { return nil }
            (input, output) = ("h0", "h1")
            try await createTopics(named: [input, output])
            // It exits after `-n` messages: one more than sent keeps it running until it is stopped, so its CPU time
            // can be read after the last output.
            process = try start(
                "hop-relay", relay,
                [
                    "-b", settings.brokers, "-g", KafkaBenchmark.uniqueGroup(), "-i", input, "-o", output, "-n",
                    "\(count + 1)", "-w", "\(settings.fetchWaitMilliseconds)",
                ] + clientArguments)
        } else {
            let spec = GraphSpec(
                graph: "hop", version: 1, inputs: [InputSpec(name: "events", partitions: partitions)],
                nodes: [NodeSpec(name: "n1", kind: .passthrough, inputs: [InputRef(source: "events")])])
            let topology = try Topology(spec)
            try await createTopics(topology)
            guard let last = topology.node(named: "n1")?.ports.first?.topic else { throw BenchError("no output topic") }
            (input, output) = (TopicName.entry(graph: spec.graph, input: "events"), last)
            process = try start(
                "hop-worker", sluice,
                ["worker", try write(spec).path, "--node", "n1", "--brokers", settings.brokers] + clientArguments)
        }
        do {
            let reader = try ChainReader(topic: output, partitions: partitions, settings: settings, logger: logger)
            let reading = Task { try await reader.read(backlog: count, paced: 0) }
            defer { reading.cancel() }
            // Both join their group before the first input: the first assignment takes about 3 s on Tansu.
            try await Task.sleep(for: .seconds(5))
            let processCPU = process.cpuSeconds ?? 0
            let brokerCPU = ProcessCPU.seconds(pid: brokerPID) ?? 0
            let producer = try KafkaProducer(configuration: settings.producer, logger: logger)
            // A burst every 5 ms, as a producer lingering 5 ms sends.
            try await publish(0..<count, at: rate, burst: max(1, rate / 200), to: input, producer: producer)
            _ = try await withTimeout(timeLimit, "the paced inputs through the hop") { try await reading.value }
            let perMessage = 1e6 / Double(count)
            let run = HopRun(
                processCPU: ((process.cpuSeconds ?? 0) - processCPU) * perMessage,
                brokerCPU: ((ProcessCPU.seconds(pid: brokerPID) ?? 0) - brokerCPU) * perMessage)
            await producer.close()
            try await stopAll([process], expectSuccess: !c)
            return run
        } catch {
            await stopAll([process])
            throw error
        }
    }
}
