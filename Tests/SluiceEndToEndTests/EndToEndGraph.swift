import Foundation
import Logging
import SluiceCore
import SluiceKafka
import SluiceRuntime
import SluiceTestSupport
import Synchronization
import Testing

/// A graph deployed under a unique name for one test, with its spec file, a log folder and the worker
/// processes the test starts.
///
/// ```
/// with(spec:) ─▶ write spec (unique graph name) ─▶ GraphDeployer.deploy ─▶ body ─▶ stop workers ─▶ undeploy
///                                                                                  (logs printed on failure)
/// ```
final class EndToEndGraph: Sendable {
    let spec: GraphSpec
    let topology: Topology
    let specPath: String
    let directory: URL
    let brokers: String
    private let workers = Mutex<[WorkerProcess]>([])
    private let failed = Atomic<Bool>(false)

    private init(spec: GraphSpec, specPath: String, directory: URL, brokers: String) throws {
        self.spec = spec
        self.topology = try Topology(spec)
        self.specPath = specPath
        self.directory = directory
        self.brokers = brokers
    }

    /// Writes `yaml` (with `GRAPH` replaced by a unique graph name) to a temporary folder, deploys it, runs
    /// `body`, then stops every worker still running and undeploys the graph with its topics and groups,
    /// whatever happens. On failure, the tail of each worker's log is printed and the folder is kept (also kept when
    /// `SLUICE_E2E_KEEP_LOGS` is set).
    static func with<T>(spec yaml: String, _ body: (EndToEndGraph) async throws -> T) async throws -> T {
        let name = "e2e\(UUID().uuidString.prefix(8).lowercased())"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let specURL = directory.appendingPathComponent("graph.yaml")
        try yaml.replacingOccurrences(of: "GRAPH", with: name).write(to: specURL, atomically: true, encoding: .utf8)
        let spec = try GraphSpec.load(path: specURL.path)
        let brokers = try TestKafka.brokers()
        let graph = try EndToEndGraph(spec: spec, specPath: specURL.path, directory: directory, brokers: brokers)
        let deployer = GraphDeployer(brokers: brokers, logger: TestKafka.logger)
        try await deployer.deploy(spec)
        do {
            let result = try await body(graph)
            await graph.finish(deployer)
            return result
        } catch {
            graph.failed.store(true, ordering: .relaxed)
            print("[\(name)] failed with \(error)")
            await graph.finish(deployer)
            throw error
        }
    }

    private func finish(_ deployer: GraphDeployer) async {
        let failed = failed.load(ordering: .relaxed)
        if failed { printLogs() }
        // A worker left running is stopped gracefully (so it leaves its group) unless the test already failed.
        await stopAll(failed ? .sigkill : .sigterm)
        do {
            try await deployer.undeploy(spec, deleteTopics: true)
        } catch {
            print("[\(spec.graph)] undeploy: \(error)")
        }
        if failed || ProcessInfo.processInfo.environment["SLUICE_E2E_KEEP_LOGS"] != nil {
            print("[\(spec.graph)] worker logs kept in \(directory.path)")
        } else {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    // MARK: Workers

    /// Starts `sluice worker` for `node` as a child process. Several workers of one node on Tansu must join as
    /// dynamic members (Tansu 0.6 leaves a static member out of a cooperative rebalance's second round).
    @discardableResult
    func startWorker(_ node: String, instance: String? = nil, dynamicMembership: Bool = TestKafka.isTansu) throws
        -> WorkerProcess
    {
        let id = instance ?? "\(node)-\(workers.withLock { $0.count })"
        let worker = try WorkerProcess(
            specPath: specPath, node: node, instanceID: id, dynamicMembership: dynamicMembership, brokers: brokers,
            logURL: directory.appendingPathComponent("\(id).log"))
        workers.withLock { $0.append(worker) }
        return worker
    }

    var runningWorkers: [WorkerProcess] { workers.withLock { $0 }.filter(\.isRunning) }

    /// Stops every running worker at once and waits for them (SIGTERM falls back to SIGKILL after a timeout).
    func stopAll(_ signal: WorkerProcess.Signal = .sigterm) async {
        await withTaskGroup(of: Void.self) { group in
            for worker in runningWorkers {
                group.addTask { await worker.stop(signal, timeout: .seconds(30)) }
            }
        }
    }

    // MARK: Checks and logs

    /// Records an issue when `condition` is false; the worker logs are then printed when the test ends.
    func expect(
        _ condition: Bool, _ comment: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard !condition else { return }
        failed.store(true, ordering: .relaxed)
        Issue.record(Comment(rawValue: comment()), sourceLocation: sourceLocation)
    }

    func printLogs() {
        for worker in workers.withLock({ $0 }) {
            let state = worker.exitStatus.map { "exited \($0)" } ?? "running"
            print("---- \(worker.instanceID) (pid \(worker.pid), \(state)) \(worker.logURL.path)\n\(worker.logTail())")
        }
    }

    // MARK: Topics

    func entryTopic(_ input: String) -> String { TopicName.entry(graph: spec.graph, input: input) }

    func outputTopic(of node: String) -> String { topology.node(named: node)!.ports[0].topic }

    func consumerGroup(of node: String) -> String { topology.node(named: node)!.consumerGroup }

    /// Publishes JSON inputs `{"i": n, "pad": "xx…"}` (`padding` bytes of padding) to the entry topic, keyed
    /// `k<n % keys>`, and returns the end offset of each partition from the delivery reports (exact on Tansu too,
    /// unlike its high watermark).
    @discardableResult
    func publish(_ input: String, _ range: Range<Int>, keys: Int = 100, padding: Int = 0) async throws
        -> [TopicPartition: Int64]
    {
        let pad = padding > 0 ? ",\"pad\":\"\(String(repeating: "x", count: padding))\"" : ""
        let topic = entryTopic(input)
        let producer = try TestKafka.producer()
        var ends: [TopicPartition: Int64] = [:]
        for chunk in stride(from: range.lowerBound, to: range.upperBound, by: 2_000) {
            let records = (chunk..<min(chunk + 2_000, range.upperBound)).map { n in
                KafkaRecord(topic: topic, key: Array("k\(n % keys)".utf8), value: Array("{\"i\":\(n)\(pad)}".utf8))
            }
            ends.merge(TestKafka.endOffsets(of: try await TestKafka.produce(producer, records)), uniquingKeysWith: max)
        }
        await producer.close()
        return ends
    }
}

/// What arrived on an output topic: the numbers `i` of the outputs, with duplicates counted.
struct Arrivals {
    var numbers: [Int]
    /// How many outputs each producing worker (`node@instance`) wrote.
    var origins: [String: Int] = [:]

    init(_ messages: [KafkaMessage]) throws {
        for message in messages {
            origins[message.header(Envelope.Header.origin)?.stringValue ?? "?", default: 0] += 1
        }
        numbers = try messages.map { message in
            let envelope = try Envelope.decode(
                key: message.key, value: message.value, headers: message.headers.map { ($0.name, $0.value ?? []) })
            return try envelope.payload(as: Numbered.self).i
        }
    }

    var distinct: Set<Int> { Set(numbers) }
    var duplicates: Int { numbers.count - distinct.count }

    func missing(from expected: Range<Int>) -> [Int] {
        let distinct = distinct
        return expected.filter { !distinct.contains($0) }
    }

    struct Numbered: Decodable {
        var i: Int
    }
}
