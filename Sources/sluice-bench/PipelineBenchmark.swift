import Foundation
import Logging
import SluiceCore
import SluiceKafka
import SluiceRuntime

/// The measurements of `sluice-bench pipeline`, each on the broker it is given (a fresh one per measurement).
///
/// ```
/// Swift:  entry ─▶ sluice worker a ─▶ a.out ─▶ sluice worker b ─▶ b.out ─▶ sluice worker c ─▶ c.out ─▶ reader
/// C:      c0    ─▶ relay          ─▶ c1    ─▶ relay          ─▶ c2    ─▶ relay          ─▶ c3    ─▶ reader
/// ```
/// Both chains get the same inputs from the same producer and are timed by the same reader at the last topic:
/// the backlog is published before any worker starts; once it has come through, `paced` more inputs are sent at
/// `pacedRate` per second to measure end-to-end latency on an idle chain (a backlog's latency is its queueing).
struct PipelineBenchmark: Sendable {
    var settings: KafkaBenchSettings
    /// The broker's process, whose CPU time is measured too.
    var brokerPID: Int32
    var partitions: Int
    /// Nodes (and C relays) in each chain: 3 for the table's goal.
    var hops: Int
    var paced: Int
    var pacedRate: Int
    var sluice: String
    /// `-X name=value` arguments of every `sluice worker` and C relay of (a).
    var clientArguments: [String]
    var relay: String?
    /// Spec files and process logs.
    var workDirectory: URL
    var logger: Logger
    var timeLimit: Duration

    /// One chain measurement.
    struct ChainRun: Sendable {
        /// First output to last output at the last topic.
        var steady: Throughput
        /// Process launch (backlog already published) to last output: includes the group joins.
        var fromLaunch: Throughput
        /// Send-to-read latencies of the paced inputs, ms, sorted.
        var latencies: [Double]
        /// The largest peak RSS of the chain's processes while loaded, bytes.
        var peakRSS: Int
        /// The largest RSS of the chain's processes idle (assigned, nothing to read), bytes; Swift only.
        var idleRSS: Int?
        var duplicates: Int
        /// CPU time per backlog message, µs, launch → backlog through: each hop's process (summed over hops),
        /// and the broker.
        var processCPU: Double
        var brokerCPU: Double
    }

    // MARK: - (a) 3-hop chains

    func swiftChain() async throws -> ChainRun {
        let nodes = (0..<hops).map { "n\($0 + 1)" }
        let spec = GraphSpec(
            graph: "bench", version: 1, inputs: [InputSpec(name: "events", partitions: partitions)],
            nodes: zip(nodes, ["events"] + nodes.dropLast()).map { name, source in
                NodeSpec(name: name, kind: .passthrough, inputs: [InputRef(source: source)])
            })
        let topology = try Topology(spec)
        try await createTopics(topology)
        let specFile = try write(spec)
        let arguments = { (node: String) in
            [specFile.path, "--node", node, "--brokers", settings.brokers, "--instance-id", "\(node)-1"]
                + clientArguments
        }
        // Idle: the three workers assigned and nothing to read. Stopped, then started again under the same ids (as
        // static members they get their partitions straight back) once the backlog is in.
        var workers = try nodes.map { try start("worker-\($0)-idle", sluice, ["worker"] + arguments($0)) }
        let idle: Int
        do {
            for worker in workers { try await worker.waitForLog("assigned", timeout: .seconds(60)) }
            try await Task.sleep(for: .seconds(2))
            idle = workers.compactMap(\.residentBytes).max() ?? 0
        } catch {
            await stopAll(workers)
            throw error
        }
        try await stopAll(workers, expectSuccess: true)

        let entry = TopicName.entry(graph: spec.graph, input: "events")
        guard let last = topology.node(named: nodes[hops - 1])?.ports.first?.topic else {
            throw BenchError("the last node has no output")
        }
        var run = try await measureChain(from: entry, to: last) {
            workers = try nodes.map { try start("worker-\($0)", sluice, ["worker"] + arguments($0)) }
            return workers
        }
        try await stopAll(workers, expectSuccess: true)
        run.idleRSS = idle
        return run
    }

    /// The same chain of C relays (`Benchmarks/c-relay/relay.c`); `nil` without the binary.
    func cChain() async throws -> ChainRun? {
        guard let relay else { return nil }
        let topics = (0...hops).map { "c\($0)" }
        try await createTopics(named: topics)
        var relays: [BackgroundProcess] = []
        let run = try await measureChain(from: topics[0], to: topics[hops]) {
            relays = try (0..<hops).map { hop in
                try start(
                    "relay-\(hop + 1)", relay,
                    [
                        "-b", settings.brokers, "-g", KafkaBenchmark.uniqueGroup(), "-i", topics[hop], "-o",
                        topics[hop + 1], "-n", "\(settings.count + paced)", "-w", "\(settings.fetchWaitMilliseconds)",
                    ] + clientArguments)
            }
            return relays
        }
        for relay in relays where await !relay.waitForExit(timeout: .seconds(30)) || relay.exitStatus != 0 {
            await stopAll(relays)
            throw BenchError("\(relay.name) did not finish cleanly (\(relay.exitStatus ?? -1)):\n\(relay.logTail())")
        }
        return run
    }

    /// Publishes the backlog to `entry`, launches the chain, waits for the backlog at `last`, then sends the paced
    /// inputs and waits for them too. The processes `launch` starts are sampled for memory and stopped on error.
    private func measureChain(
        from entry: String, to last: String, launch: () throws -> [BackgroundProcess]
    ) async throws -> ChainRun {
        let producer = try KafkaProducer(configuration: settings.producer, logger: logger)
        try await publish(0..<settings.count, to: entry, producer: producer)
        let reader = try ChainReader(topic: last, partitions: partitions, settings: settings, logger: logger)
        let reading = Task { [settings, paced] in try await reader.read(backlog: settings.count, paced: paced) }

        let launched = ContinuousClock.now
        let brokerCPUAtLaunch = ProcessCPU.seconds(pid: brokerPID) ?? 0
        let processes: [BackgroundProcess]
        do {
            processes = try launch()
        } catch {
            reading.cancel()
            throw error
        }
        let sampler = PeakMemory.sample(processes)
        do {
            try await waitUntil(timeout: timeLimit, "the backlog through the chain", processes) {
                reader.backlogCount >= settings.count
            }
            let perMessage = 1e6 / Double(settings.count)
            let processCPU = processes.compactMap(\.cpuSeconds).reduce(0, +) * perMessage
            let brokerCPU = ((ProcessCPU.seconds(pid: brokerPID) ?? 0) - brokerCPUAtLaunch) * perMessage
            try await publish(settings.count..<settings.count + paced, at: pacedRate, to: entry, producer: producer)
            let result = try await withTimeout(.seconds(60), "the paced inputs through the chain") {
                try await reading.value
            }
            sampler.cancel()
            let peaks = await sampler.value
            await producer.close()
            let bytes = settings.count * settings.valueSize
            return ChainRun(
                steady: Throughput(
                    messages: settings.count, bytes: bytes, seconds: (result.lastBacklog - result.first).seconds),
                fromLaunch: Throughput(
                    messages: settings.count, bytes: bytes, seconds: (result.lastBacklog - launched).seconds),
                latencies: result.latencies, peakRSS: peaks.values.max() ?? 0, idleRSS: nil,
                duplicates: result.duplicates, processCPU: processCPU, brokerCPU: brokerCPU)
        } catch {
            reading.cancel()
            sampler.cancel()
            await stopAll(processes)
            throw error
        }
    }

    // MARK: - (b) one delay worker

    /// One worker of a `delay` node: `count` inputs pre-published; first output to last output.
    func delayNode(count: Int, milliseconds: Int, concurrency: Int) async throws -> Throughput {
        let spec = GraphSpec(
            graph: "delay", version: 1, inputs: [InputSpec(name: "events", partitions: partitions)],
            nodes: [
                NodeSpec(
                    name: "slow", kind: .delay, inputs: [InputRef(source: "events")],
                    config: .object(["ms": .int(milliseconds)]), concurrency: concurrency)
            ])
        let topology = try Topology(spec)
        try await createTopics(topology)
        let specFile = try write(spec)
        let producer = try KafkaProducer(configuration: settings.producer, logger: logger)
        try await publish(0..<count, to: TopicName.entry(graph: spec.graph, input: "events"), producer: producer)
        await producer.close()
        guard let last = topology.node(named: "slow")?.ports.first?.topic else { throw BenchError("no output topic") }
        let reader = try ChainReader(topic: last, partitions: partitions, settings: settings, logger: logger)
        let worker = try start(
            "worker-slow", sluice, ["worker", specFile.path, "--node", "slow", "--brokers", settings.brokers])
        do {
            let result = try await withTimeout(timeLimit, "the delay node's outputs") {
                try await reader.read(backlog: count, paced: 0)
            }
            try await stopAll([worker], expectSuccess: true)
            return Throughput(
                messages: count, bytes: count * settings.valueSize, seconds: (result.lastBacklog - result.first).seconds)
        } catch {
            await stopAll([worker])
            throw error
        }
    }

    // MARK: - Helpers

    func createTopics(_ topology: Topology) async throws {
        let admin = try KafkaAdmin(options: settings.client, logger: logger)
        try await admin.createTopics(
            topology.topics.filter { $0.role != .registry }.map {
                NewTopic(name: $0.name, partitions: Int32($0.partitions), configs: $0.configs)
            })
    }

    /// Plain topics of `partitions` partitions each, for the C relays.
    func createTopics(named names: [String]) async throws {
        let admin = try KafkaAdmin(options: settings.client, logger: logger)
        try await admin.createTopics(names.map { NewTopic(name: $0, partitions: Int32(partitions)) })
    }

    func write(_ spec: GraphSpec) throws -> URL {
        let file = workDirectory.appendingPathComponent("\(spec.graph).json")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        try JSONEncoder().encode(spec).write(to: file)
        return file
    }

    func start(_ name: String, _ executable: String, _ arguments: [String]) throws -> BackgroundProcess {
        try BackgroundProcess(
            name: name, executable: executable, arguments: arguments,
            logDirectory: workDirectory.appendingPathComponent("logs"))
    }

    /// Stops each process by its PID; with `expectSuccess`, throws unless each exited with status 0.
    func stopAll(_ processes: [BackgroundProcess], expectSuccess: Bool = false) async throws {
        var failed: [String] = []
        for process in processes {
            let status = await process.stop()
            if status != 0 { failed.append("\(process.name) exited with \(status):\n\(process.logTail())") }
        }
        if expectSuccess, !failed.isEmpty { throw BenchError(failed.joined(separator: "\n")) }
    }

    func stopAll(_ processes: [BackgroundProcess]) async {
        try? await stopAll(processes, expectSuccess: false)
    }

    private func publish(_ numbers: Range<Int>, to topic: String, producer: KafkaProducer) async throws {
        let tally = DeliveryTally(expected: numbers.count)
        for number in numbers {
            try await producer.produce(input(number, to: topic)) { tally.record($0) }
        }
        try await producer.flush(timeout: .seconds(120))
        try tally.check("publishing \(numbers.count) inputs to \(topic)")
    }

    /// Input `number`, stamped now, as `sluice publish` writes it: an envelope whose key is the correlation id (one of
    /// 1,024), with its headers. Both chains carry these same records on every edge.
    func input(_ number: Int, to topic: String) -> KafkaRecord {
        let value = ChainPayload.make(number: number, sentAt: ChainPayload.now, size: settings.valueSize)
        return KafkaRecord(
            topic: topic, envelope: Envelope(rawPayload: value, correlationID: "k\(number % 1024)", specVersion: 1))
    }

    /// Sends inputs `numbers` at `rate` per second, each stamped when it is sent, `burst` at a time (one by one for
    /// latency; a burst every few milliseconds, as a lingering producer sends, for a steady load).
    func publish(
        _ numbers: Range<Int>, at rate: Int, burst: Int = 1, to topic: String, producer: KafkaProducer
    ) async throws {
        let start = ContinuousClock.now
        var next = numbers.lowerBound
        while next < numbers.upperBound {
            let end = min(numbers.upperBound, next + burst)
            for number in next..<end { try await producer.produce(input(number, to: topic)) }
            next = end
            let due = start + .nanoseconds(Int64(next - numbers.lowerBound) * 1_000_000_000 / Int64(rate))
            if due > .now { try await Task.sleep(until: due) }
        }
        try await producer.flush()
    }

    private func waitUntil(
        timeout: Duration, _ what: String, _ processes: [BackgroundProcess], _ condition: () -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if let dead = processes.first(where: { !$0.isRunning }), !condition() {
                throw BenchError("\(dead.name) exited (\(dead.exitStatus ?? -1)) before \(what):\n\(dead.logTail())")
            }
            guard ContinuousClock.now < deadline else { throw BenchError("\(what) took longer than \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
