import Foundation
import SluiceCore
import SluiceKafka
import SluiceRuntime
import SluiceTestSupport
import Testing

@Suite("Deploy and undeploy against the broker", .serialized, .timeLimit(.minutes(2)))
struct DeployTests {
    /// An example spec under a unique graph name, so runs never collide.
    func exampleURL(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/specs/\(name)")
    }

    func example(_ name: String, replacing edits: [(String, String)] = []) throws -> GraphSpec {
        var text = try String(contentsOf: exampleURL(name), encoding: .utf8)
        let original = try GraphSpec.parse(text, file: name).graph
        let unique = TestKafka.unique("t")
        text = text.replacingOccurrences(of: "graph: \(original)", with: "graph: \(unique)")
            .replacingOccurrences(of: "\"graph\": \"\(original)\"", with: "\"graph\": \"\(unique)\"")
        for (from, to) in edits { text = text.replacingOccurrences(of: from, with: to) }
        return try GraphSpec.parse(text, file: name)
    }

    @Test(arguments: ["linear.yaml", "fanout-join.yaml", "agent-refine-loop.yaml", "clickstream-window.json"])
    func deployCreatesExactlyTheTopologysTopicsAndIsIdempotent(example name: String) async throws {
        let spec = try example(name)
        let deployer = GraphDeployer(brokers: try TestKafka.brokers(), logger: TestKafka.logger)
        let expected = try Topology(spec).topics.filter { $0.role != .registry }
        let first = try await deployer.deploy(spec)
        #expect(first.recorded)
        let listed = try await TestKafka.admin().describeTopics(expected.map(\.name))
        #expect(listed.keys.sorted() == expected.map(\.name).sorted())
        for topic in expected { #expect(listed[topic.name]?.partitions == Int32(topic.partitions), "\(topic.name)") }

        let original = try GraphSpec.load(path: exampleURL(name).path)
        #expect(spec.graph != original.graph, "unique graph name")
        let second = try await deployer.deploy(spec)
        #expect(second.plan.create.isEmpty)
        #expect(!second.recorded, "the same spec is recorded once")
        let recorded = try await GraphRegistry(brokers: try TestKafka.brokers(), logger: TestKafka.logger).deployedGraphs()
        #expect(recorded[spec.graph]?.spec.declaresSameGraph(as: spec) == true)

        try await deployer.undeploy(spec, deleteTopics: true)
        #expect(try await TestKafka.admin().describeTopics(expected.map(\.name)).isEmpty)
        let after = try await GraphRegistry(brokers: try TestKafka.brokers(), logger: TestKafka.logger).deployedGraphs()
        #expect(after[spec.graph] == nil)
    }

    @Test func anIncompatibleChangeIsRefusedBeforeAnythingIsCreated() async throws {
        let spec = try example("linear.yaml")
        let deployer = GraphDeployer(brokers: try TestKafka.brokers(), logger: TestKafka.logger)
        try await deployer.deploy(spec)
        defer { Task { try? await deployer.undeploy(spec, deleteTopics: true) } }

        // Fewer partitions (Kafka cannot shrink) plus a new node: the deploy is refused, the node's topics are not created.
        var changed = spec
        changed.inputs[0].partitions = 1
        changed.nodes.append(NodeSpec(name: "extra", kind: .passthrough, inputs: [InputRef(source: spec.nodes[0].name)]))
        let refused = await #expect(throws: DeployRefused.self) { try await deployer.deploy(changed) }
        #expect(refused?.errors.map(\.code).contains(.shrinkPartitions) == true)
        #expect(refused?.description.contains("cannot remove partitions") == true)
        let extra = try await TestKafka.admin().describeTopics(["sluice.\(spec.graph).extra.out"])
        #expect(extra.isEmpty)
    }
}
