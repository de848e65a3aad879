import ArgumentParser
import Logging
import SluiceRuntime

/// A worker executable with two custom kinds beside the built-in ones:
///
///     swift run sluice-example-nodes examples/custom-nodes/graph.yaml --node screen
///     swift run sluice-example-nodes examples/custom-nodes/graph.yaml --node summarize
@main
struct ExampleNodes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-example-nodes",
        abstract: "Run one node of a graph, with the custom kinds Screen and Summarize.")

    @Argument(help: "The spec file.")
    var file: String

    @Option(help: "The node to run.")
    var node: String

    @Option(help: "This worker's identity (default: node@host:pid).")
    var instanceID: String?

    @Option(help: "Kafka bootstrap servers (default: $SLUICE_BROKERS, else 127.0.0.1:9092).")
    var brokers: String?

    func run() async throws {
        // Executables choose the logging backend; the runtime only logs through swift-log.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)

        var registry = NodeRegistry.builtIn
        registry.register(Screen.self)  // kind "custom/Screen"
        registry.register(Summarize.self)  // kind "custom/Summarize"
        try await SluiceWorker.run(spec: file, node: node, registry: registry, brokers: brokers, instanceID: instanceID)
    }
}
