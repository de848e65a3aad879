import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceKafka
import SluiceRuntime
import Synchronization
import Testing

/// The broker the worker tests talk to: `SLUICE_BROKERS`, which `make test` sets after starting one.
enum TestKafka {
    struct MissingBroker: Error, CustomStringConvertible {
        var description: String { "SLUICE_BROKERS is not set: run the tests with `make test`, which starts a broker" }
    }

    static func brokers() throws -> String {
        guard let brokers = ProcessInfo.processInfo.environment["SLUICE_BROKERS"], !brokers.isEmpty else {
            throw MissingBroker()
        }
        return brokers
    }

    /// Whether the broker is the local Tansu that `make test` starts (rather than a cluster named by the user).
    static var isTansu: Bool { ProcessInfo.processInfo.environment["SLUICE_TEST_BROKER"] == "tansu" }

    static let logger: Logger = {
        var logger = Logger(label: "sluice.test")
        // SLUICE_TEST_LOG=info (or debug) shows rebalances and worker progress.
        logger.logLevel =
            ProcessInfo.processInfo.environment["SLUICE_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        return logger
    }()

    static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func admin() throws -> KafkaAdmin {
        try KafkaAdmin(options: KafkaClientOptions(brokers: brokers()), logger: logger)
    }

    static func producer() throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: KafkaClientOptions(brokers: brokers())), logger: logger)
    }

    static func consumer(group: String = unique("reader")) throws -> KafkaConsumer {
        let configuration = KafkaConsumerConfiguration(
            client: KafkaClientOptions(brokers: try brokers()), groupID: group)
        return try KafkaConsumer(configuration: configuration, logger: logger)
    }

    /// Produces records and waits for every delivery report.
    @discardableResult
    static func produce(_ producer: KafkaProducer, _ records: [KafkaRecord]) async throws -> [DeliveryReport] {
        let reports = Mutex<[Result<DeliveryReport, KafkaError>]>([])
        for record in records {
            try await producer.produce(record) { result in reports.withLock { $0.append(result) } }
        }
        try await producer.flush()
        return try reports.withLock { $0 }.map { try $0.get() }
    }

    /// Reads `topic` from the beginning in a fresh group: `count` messages, then waits `quiet` for any extra.
    static func read(_ topic: String, count: Int, timeout: Duration = .seconds(60), quiet: Duration = .seconds(2))
        async throws -> [KafkaMessage]
    {
        let consumer = try consumer()
        try consumer.subscribe(topics: [topic])
        var received = await consumer.collect(count, timeout: timeout)
        received += await consumer.collect(Int.max, timeout: quiet)
        await consumer.close()
        return received
    }
}

/// A graph with a unique name whose topics exist for the duration of a test.
struct TestGraph {
    let spec: GraphSpec
    let topology: Topology

    /// Builds the spec, creates its topics (the registry topic is shared and left alone), runs `body`, and
    /// deletes the topics whatever happens.
    static func with<T>(
        inputs: [InputSpec], nodes: [NodeSpec], _ body: (TestGraph) async throws -> T
    ) async throws -> T {
        let name = "t\(UUID().uuidString.prefix(8).lowercased())"
        let spec = GraphSpec(graph: name, version: 1, inputs: inputs, nodes: nodes)
        let graph = TestGraph(spec: spec, topology: try Topology(spec))
        let admin = try TestKafka.admin()
        let topics = graph.topology.topics.filter { $0.role != .registry }
        try await admin.createTopics(
            topics.map { NewTopic(name: $0.name, partitions: Int32($0.partitions), configs: $0.configs) })
        do {
            let result = try await body(graph)
            try? await admin.deleteTopics(topics.map(\.name))
            return result
        } catch {
            try? await admin.deleteTopics(topics.map(\.name))
            throw error
        }
    }

    func entryTopic(_ input: String) -> String { TopicName.entry(graph: spec.graph, input: input) }

    func node(_ name: String) -> NodeTopology { topology.node(named: name)! }

    /// A host for `node` with fast retries and frequent offset stores.
    func host(
        _ node: String, registry: NodeRegistry = .builtIn, instanceID: String = TestKafka.unique("worker"),
        staticMembership: Bool = true
    ) throws -> WorkerHost {
        var configuration = WorkerConfiguration(
            client: KafkaClientOptions(brokers: try TestKafka.brokers()), instanceID: instanceID)
        if let debug = ProcessInfo.processInfo.environment["SLUICE_TEST_RDKAFKA_DEBUG"] {
            configuration.client.properties["debug"] = debug
        }
        configuration.staticMembership = staticMembership
        configuration.retryBaseDelay = .milliseconds(1)
        configuration.retryMaxDelay = .milliseconds(5)
        configuration.storeInterval = .milliseconds(100)
        return try WorkerHost(
            graph: spec, node: node, registry: registry, configuration: configuration, logger: TestKafka.logger)
    }

    /// JSON records `{"i": n}` for an entry topic, keyed `k<n % keys>`, as a user would publish them.
    func entryRecords(_ input: String, _ range: Range<Int>, keys: Int = 16, extra: (Int) -> String = { _ in "" })
        -> [KafkaRecord]
    {
        range.map { n in
            KafkaRecord(
                topic: entryTopic(input), key: Array("k\(n % keys)".utf8), value: Array("{\"i\":\(n)\(extra(n))}".utf8))
        }
    }
}

/// A host running in its own service group, as `sluice worker` runs it (without the signal handlers).
struct RunningWorker {
    let group: ServiceGroup
    let task: Task<Void, any Error>

    init(_ host: WorkerHost) {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [host], logger: TestKafka.logger))
        self.group = group
        task = Task { try await group.run() }
    }

    /// What SIGTERM does: graceful shutdown, then waits for the host to drain, commit and close.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

/// The `i` of a worker output or dead-letter record.
struct Numbered: Codable, Sendable {
    var i: Int
}

extension KafkaMessage {
    /// Decodes this output as an envelope (strict, as the next node would) and returns its `i`.
    func outputNumber() throws -> Int {
        let envelope = try Envelope.decode(key: key, value: value, headers: headers.map { ($0.name, $0.value ?? []) })
        return try envelope.payload(as: Numbered.self).i
    }
}

extension KafkaConsumer {
    /// Reads until `count` messages arrived or `timeout` passed, whichever is first.
    func collect(_ count: Int, timeout: Duration) async -> [KafkaMessage] {
        guard count > 0 else { return [] }
        return await withTaskGroup(of: [KafkaMessage]?.self) { group in
            let received = Mutex<[KafkaMessage]>([])
            group.addTask {
                for await message in self.messages {
                    let total = received.withLock {
                        $0.append(message)
                        return $0.count
                    }
                    if total >= count { break }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            _ = await group.next()
            group.cancelAll()
            await group.waitForAll()
            return received.withLock { $0 }
        }
    }
}
