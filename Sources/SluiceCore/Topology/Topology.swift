/// The Kafka side of a valid graph: every topic with its partitions and configs, and for each
/// node the topics it reads, the topic of each port, its dead-letter topic and consumer group.
///
/// Derived deterministically from a ``GraphSpec``: the same spec always gives the same topology.
///
/// ```
/// sluice.g.in.questions ─▶ [classify] ─┬─▶ sluice.g.classify.out ─▶ [answer] ─▶ sluice.g.answer.out
///                                      └─▶ sluice.g.classify.urgent ─▶ …
/// ```
public struct Topology: Sendable, Hashable {
    public var graph: String
    public var specVersion: Int
    /// Every topic the graph needs, sorted by name; includes the registry topic.
    public var topics: [TopicSpec]
    /// One entry per node, in declaration order.
    public var nodes: [NodeTopology]
    /// Named outputs and the topic each reads, in declaration order.
    public var outputs: [OutputTopic]

    /// Derives the topology of `spec`.
    ///
    /// - Throws: ``SpecError`` when the spec is not valid.
    public init(_ spec: GraphSpec) throws(SpecError) {
        try spec.validate()
        let partitions = spec.resolvedPartitions()
        let graph = spec.graph
        var topics: [String: TopicSpec] = [
            TopicName.registry: TopicSpec(
                name: TopicName.registry, role: .registry, partitions: 1, configs: TopicSpec.compactConfigs)
        ]
        for input in spec.inputs {
            let name = TopicName.entry(graph: graph, input: input.name)
            topics[name] = TopicSpec(name: name, role: .entry, partitions: input.partitions, configs: TopicSpec.deleteConfigs)
        }
        func topic(of ref: InputRef) -> String {
            spec.input(named: ref.source) != nil
                ? TopicName.entry(graph: graph, input: ref.source)
                : TopicName.edge(graph: graph, node: ref.source, port: ref.resolvedPort)
        }
        self.nodes = spec.nodes.map { node in
            let count = partitions[node.name] ?? 1
            let inputs = node.inputs.map { NodeTopology.Input(ref: $0, topic: topic(of: $0)) }
            let ports = node.ports.map { NodeTopology.Port(name: $0, topic: TopicName.edge(graph: graph, node: node.name, port: $0)) }
            for port in ports {
                topics[port.topic] = TopicSpec(name: port.topic, role: .edge, partitions: count, configs: TopicSpec.deleteConfigs)
            }
            let deadLetter = TopicName.deadLetter(graph: graph, node: node.name)
            topics[deadLetter] = TopicSpec(name: deadLetter, role: .deadLetter, partitions: count, configs: TopicSpec.deleteConfigs)
            var changelog: String?
            if node.kind.isStateful {
                // State is kept per input partition, so the changelog mirrors the (co-partitioned) inputs.
                let stateCount = node.inputs.compactMap { partitions[$0.source] }.max() ?? count
                let name = TopicName.changelog(graph: graph, node: node.name)
                topics[name] = TopicSpec(name: name, role: .changelog, partitions: stateCount, configs: TopicSpec.compactConfigs)
                changelog = name
            }
            return NodeTopology(
                name: node.name, kind: node.kind, partitions: count, inputs: inputs, ports: ports,
                deadLetterTopic: deadLetter, changelogTopic: changelog,
                consumerGroup: TopicName.consumerGroup(graph: graph, node: node.name))
        }
        self.graph = graph
        self.specVersion = spec.version
        self.topics = topics.values.sorted { $0.name < $1.name }
        self.outputs = spec.outputs.map { OutputTopic(name: $0.name, topic: topic(of: $0.from)) }
    }

    /// The topic called `name`, if the graph has one.
    public func topic(named name: String) -> TopicSpec? { topics.first { $0.name == name } }

    /// The node called `name`, if any.
    public func node(named name: String) -> NodeTopology? { nodes.first { $0.name == name } }

    /// Topics read by a stateful node with more than one input: their partition counts must stay equal.
    public var coPartitionedGroups: [[String]] {
        nodes.filter { $0.kind.isStateful && Set($0.inputs.map(\.topic)).count > 1 }
            .map { node in node.inputs.map(\.topic) }
    }
}

/// The topics and group of one node.
public struct NodeTopology: Sendable, Hashable {
    /// One consumed stream.
    public struct Input: Sendable, Hashable {
        public var ref: InputRef
        public var topic: String
    }

    /// One output port and the topic behind it.
    public struct Port: Sendable, Hashable {
        public var name: String
        public var topic: String
    }

    public var name: String
    public var kind: NodeKind
    /// Partitions of the node's output and dead-letter topics.
    public var partitions: Int
    public var inputs: [Input]
    /// In the order the spec lists the ports.
    public var ports: [Port]
    public var deadLetterTopic: String
    /// Set for stateful kinds (join, window).
    public var changelogTopic: String?
    public var consumerGroup: String

    /// The topic behind `port`, if the node has it.
    public func topic(forPort port: String) -> String? { ports.first { $0.name == port }?.topic }
}

/// A named user-facing output and the edge topic it reads.
public struct OutputTopic: Sendable, Hashable {
    public var name: String
    public var topic: String
}
