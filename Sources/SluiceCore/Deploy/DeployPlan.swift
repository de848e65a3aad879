/// A topic as it exists on the broker.
public struct ExistingTopic: Sendable, Hashable {
    public var partitions: Int
    /// The topic's configs as the broker reports them; a missing `cleanup.policy` means `delete`.
    /// `nil` when the broker does not describe configs: then the policy is not compared.
    public var configs: [String: String]?

    public init(partitions: Int, configs: [String: String]? = [:]) {
        self.partitions = partitions
        self.configs = configs
    }
}

/// What deploying a ``Topology`` would do to the broker's topics, decided before anything is created.
///
/// ```
/// topology + existing topics ──▶ DeployPlan.make ──▶ errors?  ── yes ──▶ stop, change nothing
///                                                      │ no
///                                                      ▼
///                                 create, then increasePartitions
/// ```
///
/// Pure: the caller lists the existing topics (an admin client's metadata) and carries out the plan.
public struct DeployPlan: Sendable, Hashable {
    /// Topics to create, sorted by name.
    public var create: [TopicSpec]
    /// Topics that already exist as the topology wants them.
    public var unchanged: [TopicSpec]
    /// Existing topics to grow; never a join's input or a changelog.
    public var increasePartitions: [PartitionIncrease]
    /// Conflicts that must stop the deploy. When not empty, nothing may be created.
    public var errors: [DeployPlanError]

    /// `true` when ``errors`` is empty.
    public var canDeploy: Bool { errors.isEmpty }

    /// Compares the topics `topology` needs with the `existing` ones (by name).
    public static func make(topology: Topology, existing: [String: ExistingTopic]) -> DeployPlan {
        var plan = DeployPlan(create: [], unchanged: [], increasePartitions: [], errors: [])
        let coPartitioned = Self.coPartitionedTopics(topology)
        for topic in topology.topics {
            guard let current = existing[topic.name] else {
                plan.create.append(topic)
                continue
            }
            var conflict = false
            let currentPolicy = current.configs.map { $0[TopicSpec.cleanupPolicyKey] ?? "delete" } ?? topic.cleanupPolicy
            if currentPolicy != topic.cleanupPolicy {
                conflict = true
                plan.errors.append(DeployPlanError(
                    code: .cleanupPolicyMismatch, topic: topic.name,
                    message: "topic '\(topic.name)' has cleanup.policy=\(currentPolicy), the graph needs \(topic.cleanupPolicy)"))
            }
            // The registry is shared by every graph: whatever partitions it has are fine.
            if topic.role != .registry, current.partitions != topic.partitions {
                conflict = true
                if current.partitions > topic.partitions {
                    plan.errors.append(DeployPlanError(
                        code: .shrinkPartitions, topic: topic.name,
                        message: "topic '\(topic.name)' has \(current.partitions) partitions, the graph wants \(topic.partitions); Kafka cannot remove partitions"))
                } else if let node = coPartitioned[topic.name] {
                    plan.errors.append(DeployPlanError(
                        code: .breaksCoPartitioning, topic: topic.name,
                        message: "topic '\(topic.name)' has \(current.partitions) partitions, the graph wants \(topic.partitions); growing it would break the co-partitioning of '\(node)' (keys would move to other partitions than its state and other inputs)"))
                } else {
                    plan.increasePartitions.append(PartitionIncrease(topic: topic, from: current.partitions))
                }
            }
            if !conflict { plan.unchanged.append(topic) }
        }
        return plan
    }

    /// Input and changelog topics of stateful nodes, mapped to the node that needs them co-partitioned.
    private static func coPartitionedTopics(_ topology: Topology) -> [String: String] {
        var result: [String: String] = [:]
        for node in topology.nodes where node.kind.isStateful {
            for input in node.inputs where result[input.topic] == nil { result[input.topic] = node.name }
            if let changelog = node.changelogTopic { result[changelog] = node.name }
        }
        return result
    }
}

/// Grow an existing topic from ``from`` partitions to `topic.partitions`.
public struct PartitionIncrease: Sendable, Hashable {
    public var topic: TopicSpec
    public var from: Int

    public init(topic: TopicSpec, from: Int) {
        self.topic = topic
        self.from = from
    }
}

/// A conflict between the topology and the broker's topics that makes deploying unsafe.
public struct DeployPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of conflict; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case shrinkPartitions = "shrink-partitions"
            case breaksCoPartitioning = "breaks-co-partitioning"
            case cleanupPolicyMismatch = "cleanup-policy-mismatch"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The topic exists with more partitions than wanted.
        public static let shrinkPartitions = Code(.shrinkPartitions)
        /// Changing the topic's partitions would break a join's or window's co-partitioning.
        public static let breaksCoPartitioning = Code(.breaksCoPartitioning)
        /// The topic exists with another `cleanup.policy`.
        public static let cleanupPolicyMismatch = Code(.cleanupPolicyMismatch)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var topic: String
    public var message: String

    public init(code: Code, topic: String, message: String) {
        self.code = code
        self.topic = topic
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
