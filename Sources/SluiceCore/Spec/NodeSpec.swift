/// One node of a graph: its kind, where it reads from, the ports it writes to, and how it runs.
public struct NodeSpec: Sendable, Hashable {
    public var name: String
    public var kind: NodeKind
    /// The streams the node consumes; a `join` needs at least two.
    public var inputs: [InputRef]
    /// Named output ports, each backed by one topic. Defaults to `[out]`.
    public var ports: [String]
    /// Free-form configuration handed to the node implementation.
    public var config: JSONValue
    /// How many messages one worker processes at once (1...10000, default 16).
    public var concurrency: Int
    public var ordering: Ordering
    public var delivery: DeliveryGuarantee
    /// How many times a failing message is retried before it goes to the dead-letter topic (default 3).
    public var retries: Int
    /// Worker processes for local runs (default 1).
    public var replicas: Int
    /// Partitions of the node's output topics; `nil` means the largest of its inputs.
    public var partitions: Int?

    public init(
        name: String, kind: NodeKind, inputs: [InputRef], ports: [String] = [InputRef.defaultPort],
        config: JSONValue = .object([:]), concurrency: Int = 16, ordering: Ordering = .key,
        delivery: DeliveryGuarantee = .atLeastOnce, retries: Int = 3, replicas: Int = 1, partitions: Int? = nil
    ) {
        self.name = name
        self.kind = kind
        self.inputs = inputs
        self.ports = ports
        self.config = config
        self.concurrency = concurrency
        self.ordering = ordering
        self.delivery = delivery
        self.retries = retries
        self.replicas = replicas
        self.partitions = partitions
    }

    /// The fields a node accepts in a spec (kept equal to `Schemas/graph.schema.json` by a test).
    static let fieldNames = [
        "kind", "inputs", "ports", "config", "concurrency", "ordering", "delivery", "retries", "replicas", "partitions",
    ]
    static let requiredFieldNames = ["kind", "inputs"]
}
