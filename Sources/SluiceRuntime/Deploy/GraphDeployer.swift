public import Logging
public import SluiceCore
public import SluiceKafka

/// What a deploy did (or, for a refused deploy, nothing).
public struct DeployOutcome: Sendable {
    public var plan: DeployPlan
    /// Whether a new record was written to `_sluice.graphs` (false when the same spec was deployed already).
    public var recorded: Bool
}

/// A deploy that must not go ahead: every conflict, found before anything was created.
public struct DeployRefused: Error, Sendable, CustomStringConvertible {
    public var graph: String
    public var errors: [DeployPlanError]
    public var description: String {
        "deploy of graph '\(graph)' refused, nothing was changed:\n" + errors.map { "  - \($0.message)" }.joined(separator: "\n")
    }
}

/// Creates a graph's topics and records its spec; removes them again.
///
/// ```
/// spec ─▶ Topology ─▶ describe existing topics ─▶ DeployPlan ─▶ refuse (errors) | create topics ─▶ record spec
/// ```
/// Idempotent: deploying the same spec twice creates nothing and records nothing the second time.
public struct GraphDeployer: Sendable {
    /// Brokers and librdkafka properties of the clients it creates.
    public let client: KafkaClientOptions
    public let logger: Logger

    public init(client: KafkaClientOptions, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public init(brokers: String, logger: Logger) {
        self.init(client: KafkaClientOptions(brokers: brokers), logger: logger)
    }

    private func admin() throws -> KafkaAdmin {
        var client = client
        client.clientID = "sluice-deploy"
        return try KafkaAdmin(options: client, logger: logger)
    }

    /// Creates the graph's missing topics, adds partitions where the spec asks for more, and records the spec in
    /// `_sluice.graphs` unless the same graph is recorded already.
    ///
    /// - Returns: the plan that was carried out, and whether the spec was recorded.
    /// - Throws: ``DeployRefused`` (every conflict, before anything is created), ``SpecError`` for an invalid spec,
    ///   or the broker's error.
    @discardableResult
    public func deploy(_ spec: GraphSpec) async throws -> DeployOutcome {
        let topology = try Topology(spec)
        let admin = try admin()
        let described = try await admin.describeTopics(topology.topics.map(\.name))
        var existing: [String: ExistingTopic] = [:]
        for (name, topic) in described {
            existing[name] = ExistingTopic(partitions: Int(topic.partitions), configs: try await reportedConfigs(name, admin))
        }
        let plan = DeployPlan.make(topology: topology, existing: existing)
        guard plan.canDeploy else { throw DeployRefused(graph: spec.graph, errors: plan.errors) }

        try await admin.createTopics(
            plan.create.map { NewTopic(name: $0.name, partitions: Int32($0.partitions), configs: $0.configs) },
            ignoreExisting: true)
        for increase in plan.increasePartitions {
            try await admin.createPartitions(topic: increase.topic.name, totalPartitions: Int32(increase.topic.partitions))
        }
        let registry = GraphRegistry(client: client, logger: logger)
        if let recorded = try await registry.deployedGraphs()[spec.graph], recorded.spec.declaresSameGraph(as: spec) {
            return DeployOutcome(plan: plan, recorded: false)
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        try await registry.record(spec, producer: producer)
        await producer.close()
        return DeployOutcome(plan: plan, recorded: true)
    }

    /// Removes the graph from `_sluice.graphs`; with `deleteTopics`, also its topics and consumer groups.
    /// Returns the topics deleted.
    @discardableResult
    public func undeploy(_ spec: GraphSpec, deleteTopics: Bool) async throws -> [String] {
        let topology = try Topology(spec)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        try await GraphRegistry(client: client, logger: logger).remove(graph: spec.graph, producer: producer)
        await producer.close()
        guard deleteTopics else { return [] }
        let admin = try admin()
        let topics = topology.topics.filter { $0.role != .registry }.map(\.name)
        try await admin.deleteTopics(topics)
        try await admin.deleteGroups(topology.nodes.map(\.consumerGroup))
        return topics
    }

    /// A topic's configs, or `nil` when the broker describes none (then cleanup policies are not compared).
    private func reportedConfigs(_ topic: String, _ admin: KafkaAdmin) async throws -> [String: String]? {
        let configs = (try? await admin.topicConfigs(topic)) ?? [:]
        return configs.isEmpty ? nil : configs
    }
}
