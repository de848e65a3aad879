/// A dataflow graph as written by its author: entry streams, nodes and user-facing outputs.
///
/// A spec is a pure description. ``GraphSpec/load(path:)`` reads and validates one;
/// ``Topology`` turns a valid one into Kafka topics and consumer groups.
///
/// ```
/// inputs ──▶ node ──▶ node.port ──▶ node ──▶ … ──▶ outputs
/// ```
public struct GraphSpec: Sendable, Hashable {
    /// The graph name, used in every topic name: `[a-z0-9][a-z0-9_-]*`.
    public var graph: String
    /// A positive version, stamped on every message as `sluice-spec-version`.
    public var version: Int
    /// Entry streams, in declaration order.
    public var inputs: [InputSpec]
    /// Nodes, in declaration order.
    public var nodes: [NodeSpec]
    /// Named user-facing streams, in declaration order.
    public var outputs: [OutputSpec]

    public init(graph: String, version: Int, inputs: [InputSpec], nodes: [NodeSpec], outputs: [OutputSpec] = []) {
        self.graph = graph
        self.version = version
        self.inputs = inputs
        self.nodes = nodes
        self.outputs = outputs
    }

    /// The node called `name`, if any.
    public func node(named name: String) -> NodeSpec? { nodes.first { $0.name == name } }

    /// The graph input called `name`, if any.
    public func input(named name: String) -> InputSpec? { inputs.first { $0.name == name } }

    /// The top-level fields of a spec (kept equal to `Schemas/graph.schema.json` by a test).
    static let fieldNames = ["graph", "version", "inputs", "nodes", "outputs"]
    static let requiredFieldNames = ["graph", "version", "inputs", "nodes"]
}

/// An entry stream that users publish to.
public struct InputSpec: Sendable, Hashable {
    public var name: String
    /// Partitions of the entry topic (1...10000).
    public var partitions: Int

    public init(name: String, partitions: Int) {
        self.name = name
        self.partitions = partitions
    }

    static let fieldNames = ["partitions"]
    static let requiredFieldNames = ["partitions"]
}

/// A named user-facing stream: one node port.
public struct OutputSpec: Sendable, Hashable {
    public var name: String
    public var from: InputRef

    public init(name: String, from: InputRef) {
        self.name = name
        self.from = from
    }
}

extension GraphSpec {
    /// Whether two specs declare the same graph. The order of inputs, nodes and outputs carries no meaning
    /// (and is not kept by the JSON record in `_sluice.graphs`); the order of a node's inputs does.
    public func declaresSameGraph(as other: GraphSpec) -> Bool {
        graph == other.graph && version == other.version && Set(inputs) == Set(other.inputs)
            && Set(nodes) == Set(other.nodes) && Set(outputs) == Set(other.outputs)
    }
}
