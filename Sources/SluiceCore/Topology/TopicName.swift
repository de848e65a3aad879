/// Kafka names derived from a graph. See `docs/topology.md`.
///
/// ```
/// sluice.<graph>.in.<input>        entry topic, one per graph input
/// sluice.<graph>.<node>.<port>     edge topic, one per node port
/// sluice.<graph>.<node>.dlq        dead letters of a node
/// sluice.<graph>.<node>.changelog  state of a join or window (compacted)
/// sluice.<graph>.<node>            consumer group of a node
/// _sluice.graphs                   registry of deployed graphs (compacted)
/// ```
///
/// Names never contain dots, so the parts of a topic name are unambiguous; the validator
/// reserves the node name `in` and the port names `dlq` and `changelog` so no two names collide.
public enum TopicName {
    /// The compacted topic where deployed graph specs are registered, keyed by graph name.
    public static let registry = "_sluice.graphs"

    /// The topic users publish to for a graph input.
    public static func entry(graph: String, input: String) -> String { "sluice.\(graph).in.\(input)" }

    /// The topic a node writes one of its ports to.
    public static func edge(graph: String, node: String, port: String) -> String { "sluice.\(graph).\(node).\(port)" }

    /// Where a node sends messages that failed all retries.
    public static func deadLetter(graph: String, node: String) -> String { "sluice.\(graph).\(node).dlq" }

    /// The compacted topic backing a stateful node's store.
    public static func changelog(graph: String, node: String) -> String { "sluice.\(graph).\(node).changelog" }

    /// The consumer group shared by all workers of a node.
    public static func consumerGroup(graph: String, node: String) -> String { "sluice.\(graph).\(node)" }
}

/// What a topic is for.
public enum TopicRole: String, Sendable, Hashable, CaseIterable {
    case entry
    case edge
    case deadLetter = "dlq"
    case changelog
    case registry
}

/// A topic a graph needs, with the partition count and configs it must have.
public struct TopicSpec: Sendable, Hashable {
    public var name: String
    public var role: TopicRole
    public var partitions: Int
    /// Topic configs, e.g. `cleanup.policy=compact`; always includes `cleanup.policy`.
    public var configs: [String: String]

    public init(name: String, role: TopicRole, partitions: Int, configs: [String: String]) {
        self.name = name
        self.role = role
        self.partitions = partitions
        self.configs = configs
    }

    /// `delete` or `compact` (Kafka's default is `delete`).
    public var cleanupPolicy: String { configs[TopicSpec.cleanupPolicyKey] ?? "delete" }

    static let cleanupPolicyKey = "cleanup.policy"
    static let deleteConfigs = [cleanupPolicyKey: "delete"]
    static let compactConfigs = [cleanupPolicyKey: "compact"]
}
