import ArgumentParser
import SluiceCore
import SluiceRuntime

extension Sluice {
    /// `sluice deploy FILE`: validate, create the graph's topics, record the spec.
    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a graph spec, create its topics and record it in _sluice.graphs (idempotent).")

        @Argument(help: "The graph spec (YAML or JSON).")
        var file: String

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let spec = try loadSpec(file)
            let outcome = try await GraphDeployer(client: connection.client(), logger: connection.logger("sluice.deploy")).deploy(spec)
            let plan = outcome.plan
            for topic in plan.create { print("created  \(topic.name) (\(topic.partitions) partitions)") }
            for increase in plan.increasePartitions {
                print("grown    \(increase.topic.name) (\(increase.from) → \(increase.topic.partitions) partitions)")
            }
            print("graph '\(spec.graph)' v\(spec.version): \(plan.create.count) topic(s) created, \(plan.unchanged.count) unchanged, "
                + (outcome.recorded ? "spec recorded" : "spec already recorded"))
        }
    }

    /// `sluice undeploy FILE [--delete-topics]`.
    struct Undeploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a graph from _sluice.graphs; with --delete-topics also its topics and consumer groups.")

        @Argument(help: "The graph spec (YAML or JSON).")
        var file: String

        @Flag(help: "Also delete the graph's topics and consumer groups (its data is lost).")
        var deleteTopics = false

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let spec = try loadSpec(file)
            let deployer = GraphDeployer(client: connection.client(), logger: connection.logger("sluice.deploy"))
            let deleted = try await deployer.undeploy(spec, deleteTopics: deleteTopics)
            for topic in deleted { print("deleted  \(topic)") }
            print("graph '\(spec.graph)' undeployed")
        }
    }
}
