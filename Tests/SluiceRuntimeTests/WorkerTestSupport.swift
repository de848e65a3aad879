import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceKafka
import SluiceRuntime
import SluiceTestSupport
import Synchronization
import Testing

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

    /// A host for `node` with fast retries and frequent offset stores; `configure` adjusts the rest.
    func host(
        _ node: String, registry: NodeRegistry = .builtIn, instanceID: String = TestKafka.unique("worker"),
        staticMembership: Bool = true, configure: (inout WorkerConfiguration) -> Void = { _ in }
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
        configure(&configuration)
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
