import Testing
@testable import SluiceCore

@Suite struct DeployPlanTests {
    private let topology: Topology

    init() throws {
        topology = try Topology(GraphSpec.load(path: repositoryRoot.appendingPathComponent("examples/specs/fanout-join.yaml").path))
    }

    private func existing(_ name: String, _ partitions: Int, _ policy: String = "delete") -> [String: ExistingTopic] {
        [name: ExistingTopic(partitions: partitions, configs: ["cleanup.policy": policy])]
    }

    @Test func anEmptyBrokerGetsEveryTopic() {
        let plan = DeployPlan.make(topology: topology, existing: [:])
        #expect(plan.create == topology.topics)
        #expect(plan.unchanged.isEmpty && plan.increasePartitions.isEmpty && plan.canDeploy)
    }

    @Test func matchingTopicsAreLeftAlone() {
        var current: [String: ExistingTopic] = [:]
        for topic in topology.topics { current[topic.name] = ExistingTopic(partitions: topic.partitions, configs: topic.configs) }
        let plan = DeployPlan.make(topology: topology, existing: current)
        #expect(plan.create.isEmpty && plan.unchanged.count == topology.topics.count && plan.canDeploy)
    }

    @Test func aMissingCleanupPolicyMeansDelete() {
        let plan = DeployPlan.make(topology: topology, existing: ["sluice.orders.in.orders": ExistingTopic(partitions: 6)])
        #expect(plan.unchanged.map(\.name) == ["sluice.orders.in.orders"])
    }

    @Test func shrinkingIsAnError() {
        let plan = DeployPlan.make(topology: topology, existing: existing("sluice.orders.decide.out", 12))
        #expect(plan.errors.map(\.code) == [.shrinkPartitions])
        #expect(plan.errors.first?.topic == "sluice.orders.decide.out")
        #expect(!plan.canDeploy)
    }

    @Test func growingAJoinInputIsAnError() {
        let plan = DeployPlan.make(topology: topology, existing: existing("sluice.orders.price.out", 3))
        #expect(plan.errors.map(\.code) == [.breaksCoPartitioning])
        #expect(plan.errors.first?.message.contains("'decide'") == true)
        #expect(plan.increasePartitions.isEmpty)
    }

    @Test func growingAChangelogIsAnError() {
        let plan = DeployPlan.make(topology: topology, existing: existing("sluice.orders.decide.changelog", 2, "compact"))
        #expect(plan.errors.map(\.code) == [.breaksCoPartitioning])
    }

    @Test func growingAnOrdinaryTopicIsAnAction() {
        let plan = DeployPlan.make(topology: topology, existing: existing("sluice.orders.in.orders", 2))
        #expect(plan.canDeploy)
        #expect(plan.increasePartitions == [PartitionIncrease(topic: topology.topic(named: "sluice.orders.in.orders")!, from: 2)])
        #expect(!plan.create.contains { $0.name == "sluice.orders.in.orders" })
    }

    @Test func cleanupPolicyMismatchIsAnError() {
        let plan = DeployPlan.make(topology: topology, existing: existing("sluice.orders.decide.changelog", 6, "delete"))
        #expect(plan.errors.map(\.code) == [.cleanupPolicyMismatch])
        #expect(plan.unchanged.isEmpty)
    }

    @Test func theSharedRegistryMayHaveAnyPartitionCount() {
        let plan = DeployPlan.make(topology: topology, existing: existing("_sluice.graphs", 3, "compact"))
        #expect(plan.canDeploy && plan.unchanged.map(\.name) == ["_sluice.graphs"])
    }

    @Test func everyConflictIsListed() {
        var current = existing("sluice.orders.decide.out", 12)
        current.merge(existing("sluice.orders.fraud.out", 6, "compact")) { first, _ in first }
        #expect(DeployPlan.make(topology: topology, existing: current).errors.count == 2)
    }
}
