import Testing
@testable import SluiceCore

@Suite struct TopologyTests {
    private func topology(_ example: String) throws -> Topology {
        try Topology(GraphSpec.load(path: repositoryRoot.appendingPathComponent("examples/specs/\(example)").path))
    }

    @Test func namesFollowTheConvention() throws {
        let topology = try topology("agent-refine-loop.yaml")
        let classify = try #require(topology.node(named: "classify"))
        #expect(classify.inputs.map(\.topic) == ["sluice.support-agent.in.questions"])
        #expect(classify.topic(forPort: "urgent") == "sluice.support-agent.classify.urgent")
        #expect(classify.deadLetterTopic == "sluice.support-agent.classify.dlq")
        #expect(classify.consumerGroup == "sluice.support-agent.classify")
        #expect(classify.changelogTopic == nil)
        let draft = try #require(topology.node(named: "draft"))
        #expect(draft.inputs.map(\.topic) == ["sluice.support-agent.classify.out", "sluice.support-agent.review.retry"])
        #expect(draft.inputs[1].ref.maxIterations == 3)
        #expect(topology.outputs.map(\.topic) == ["sluice.support-agent.review.accepted", "sluice.support-agent.classify.urgent"])
    }

    @Test func everyTopicHasPartitionsAndACleanupPolicy() throws {
        let topology = try topology("agent-refine-loop.yaml")
        // 1 entry + 7 ports + 5 dead-letter topics + registry.
        #expect(topology.topics.count == 14)
        #expect(topology.topics.map(\.name) == topology.topics.map(\.name).sorted())
        #expect(topology.topics.allSatisfy { $0.configs["cleanup.policy"] != nil && $0.partitions >= 1 })
        let registry = try #require(topology.topic(named: "_sluice.graphs"))
        #expect(registry.role == .registry && registry.cleanupPolicy == "compact")
    }

    @Test func statefulNodesGetACompactedChangelog() throws {
        let topology = try topology("fanout-join.yaml")
        let decide = try #require(topology.node(named: "decide"))
        #expect(decide.changelogTopic == "sluice.orders.decide.changelog")
        let changelog = try #require(topology.topic(named: "sluice.orders.decide.changelog"))
        #expect(changelog.configs == ["cleanup.policy": "compact"] && changelog.partitions == 6)
        #expect(topology.coPartitionedGroups == [["sluice.orders.price.out", "sluice.orders.fraud.out"]])
        #expect(topology.topics.filter { $0.role == .changelog }.count == 1)
    }

    @Test func partitionsDefaultToTheLargestInputAndCanBeSet() throws {
        let spec = try GraphSpec.parse(
            spec(
                inputs: "  small: { partitions: 2 }\n  big: { partitions: 8 }",
                nodes: "  merge:\n    kind: passthrough\n    inputs: [small, big]\n  narrow:\n    kind: sink\n    inputs: [merge]\n    partitions: 3"))
        let topology = try Topology(spec)
        #expect(topology.node(named: "merge")?.partitions == 8)
        #expect(topology.topic(named: "sluice.test.merge.out")?.partitions == 8)
        #expect(topology.topic(named: "sluice.test.narrow.dlq")?.partitions == 3)
    }

    @Test func derivationIsDeterministic() throws {
        #expect(try topology("agent-refine-loop.yaml") == topology("agent-refine-loop.yaml"))
        #expect(try topology("agent-refine-loop.yaml").renderTable() == topology("agent-refine-loop.yaml").renderTable())
    }

    @Test func invalidSpecsHaveNoTopology() {
        let spec = GraphSpec(graph: "g", version: 1, inputs: [], nodes: [NodeSpec(name: "a", kind: .sink, inputs: [InputRef(source: "x")])])
        #expect(throws: SpecError.self) { try Topology(spec) }
    }

    @Test func tableListsNodesTopicsAndOutputs() throws {
        let table = try topology("fanout-join.yaml").renderTable()
        #expect(table.hasPrefix("graph orders v2\n"))
        #expect(table.contains("state: sluice.orders.decide.changelog"))
        #expect(table.contains("sluice.orders.decide.changelog  changelog  6           cleanup.policy=compact"))
        #expect(table.contains("decisions  sluice.orders.decide.out"))
    }

    @Test func dotDrawsEdgesAndLoops() throws {
        let dot = try topology("agent-refine-loop.yaml").renderDot()
        #expect(dot.hasPrefix("digraph \"support-agent\" {"))
        #expect(dot.contains("\"in:sluice.support-agent.in.questions\" -> \"classify\""))
        #expect(dot.contains("\"review\" -> \"draft\" [label=\"sluice.support-agent.review.retry (≤3 iterations)\", style=dashed];"))
        #expect(dot.hasSuffix("}\n"))
    }
}
