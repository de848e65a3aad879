import Foundation
public import Logging
import ServiceLifecycle
import SluiceCore
import SluiceKafka

/// The entry point of a worker executable: run one node of a graph until SIGTERM or SIGINT.
///
/// ```swift
/// @main struct Workers {
///     static func main() async throws {
///         LoggingSystem.bootstrap(StreamLogHandler.standardError)
///         var registry = NodeRegistry.builtIn
///         registry.register(Summarize.self)
///         try await SluiceWorker.run(spec: "graph.yaml", node: "summarize", registry: registry)
///     }
/// }
/// ```
public enum SluiceWorker {
    /// Loads the spec at `path` and runs node `node` in a service group that shuts down gracefully on SIGTERM
    /// and SIGINT: stop reading, finish in-flight inputs, commit, close. Returns after a graceful shutdown.
    ///
    /// - Parameters:
    ///   - brokers: bootstrap servers; `nil` means `$SLUICE_BROKERS`, else `127.0.0.1:9092`.
    ///   - properties: librdkafka properties for the worker's consumer and producer, over Sluice's defaults.
    ///   - instanceID: this worker's identity; `nil` means `node@host:pid`.
    ///   - staticMembership: use the instance id as `group.instance.id` (see
    ///     ``WorkerConfiguration/staticMembership``).
    ///   - shutdownGracePeriod: how long the drain may take before in-flight work is cancelled.
    public static func run(
        spec path: String, node: String, registry: NodeRegistry = .builtIn, brokers: String? = nil,
        properties: [String: String] = [:], instanceID: String? = nil, staticMembership: Bool = true, shutdownGracePeriod: Duration = .seconds(30),
        logger: Logger = Logger(label: "sluice.worker")
    ) async throws {
        let graph = try GraphSpec.load(path: path)
        let brokers = brokers ?? ProcessInfo.processInfo.environment["SLUICE_BROKERS"] ?? "127.0.0.1:9092"
        var configuration = WorkerConfiguration(
            client: KafkaClientOptions(brokers: brokers, properties: properties), instanceID: instanceID)
        configuration.staticMembership = staticMembership
        let host = try WorkerHost(
            graph: graph, node: node, registry: registry, configuration: configuration, logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [host], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = shutdownGracePeriod
        try await ServiceGroup(configuration: groupConfiguration).run()
    }
}
