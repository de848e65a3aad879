import ArgumentParser
import Foundation
import Logging
import SluiceKafka

/// The `sluice` command line: one file per subcommand.
@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dataflow graphs over Kafka: validate, deploy and run them.",
        subcommands: [Validate.self, Topology.self, Deploy.self, Undeploy.self, Worker.self, Publish.self, Tail.self, DeadLetters.self, Broker.self]
    )
}

/// Options every command that talks to Kafka shares.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers (default: $SLUICE_BROKERS, else 127.0.0.1:9092).")
    var brokers: String?

    @Option(
        name: [.customShort("X"), .customLong("property")],
        help: ArgumentHelp(
            "A librdkafka property for every client the command creates (repeatable), e.g. -X linger.ms=20.",
            valueName: "name=value"))
    var properties: [String] = []

    @Flag(name: .long, help: "Log librdkafka and Sluice internals.")
    var verbose = false

    func validate() throws {
        for property in properties where !property.contains("=") || property.hasPrefix("=") {
            throw ValidationError("-X/--property '\(property)': expected name=value")
        }
    }

    var resolvedBrokers: String {
        brokers ?? ProcessInfo.processInfo.environment["SLUICE_BROKERS"] ?? "127.0.0.1:9092"
    }

    /// The `-X` properties by name (a later one wins).
    var propertyMap: [String: String] {
        Dictionary(
            properties.map { property in
                let equals = property.firstIndex(of: "=")!
                return (String(property[..<equals]), String(property[property.index(after: equals)...]))
            },
            uniquingKeysWith: { _, later in later })
    }

    /// Brokers and the `-X` properties, for every client the command creates.
    func client() -> KafkaClientOptions {
        KafkaClientOptions(brokers: resolvedBrokers, properties: propertyMap)
    }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }
}

/// A failure while a command runs (as opposed to bad arguments): printed as `Error: …`, exit 1, no usage.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
