import ArgumentParser
import Foundation
import Logging
import SluiceCore
import SluiceRuntime

extension Sluice {
    /// `sluice worker FILE --node NAME`: runs one node of a graph with a built-in kind until SIGTERM or SIGINT.
    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one node of a graph (built-in kinds: passthrough, delay) until SIGTERM or SIGINT.",
            discussion: """
                Consumes the node's input topics in the node's consumer group, processes each message and \
                produces its outputs; failing messages go to the node's dead-letter topic. On SIGTERM or SIGINT \
                it stops reading, finishes the messages in flight, commits and exits with 0. Custom kinds run \
                in your own executable through SluiceWorker.run (see examples/custom-nodes).
                """
        )

        @Argument(help: "The spec file (.yaml, .yml or .json).")
        var file: String

        @Option(help: "The node to run.")
        var node: String

        @Option(help: "This worker's identity and group.instance.id (default: node@host:pid).")
        var instanceID: String?

        @Flag(help: "Join the group as a dynamic member instead of using the instance id as group.instance.id.")
        var dynamicMembership = false

        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard FileManager.default.fileExists(atPath: file) else {
                throw ValidationError("no such spec file: \(file)")
            }
        }

        func run() async throws {
            let verbose = connection.verbose
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = verbose ? .debug : .info
                return handler
            }
            let logger = Logger(label: "sluice.worker")
            do {
                try await SluiceWorker.run(
                    spec: file, node: node, brokers: connection.resolvedBrokers, properties: connection.propertyMap,
                    instanceID: instanceID,
                    staticMembership: !dynamicMembership, logger: logger)
            } catch let error as SpecError {
                printError(error.description)
                throw ExitCode.failure
            } catch let error as NodeError {
                printError("error: \(error)")
                throw ExitCode.failure
            }
        }
    }
}
