import ArgumentParser
import Foundation
import Logging
import SluiceKafka

extension Sluice {
    /// `sluice broker up|down|status`: the local development broker.
    struct Broker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start, stop or inspect the local development broker (Tansu, in memory).",
            subcommands: [Up.self, Down.self, Status.self]
        )
    }
}

/// Where the local broker listens and keeps its PID file.
struct LocalBrokerOptions: ParsableArguments {
    @Option(help: "Port on 127.0.0.1.")
    var port: Int = 9092

    @Option(help: "Directory for the PID and log files.")
    var stateDir: String = ".sluice"

    var broker: LocalBroker { LocalBroker(port: port, stateDirectory: URL(fileURLWithPath: stateDir)) }

    /// The external cluster named by SLUICE_BROKERS, which replaces the local broker.
    var externalBrokers: String? { ProcessInfo.processInfo.environment["SLUICE_BROKERS"] }
}

extension Sluice.Broker {
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the broker and wait until it answers.")
        @OptionGroup var options: LocalBrokerOptions

        func run() async throws {
            if let external = options.externalBrokers {
                print("SLUICE_BROKERS=\(external) is set: using that cluster, no local broker started")
                return
            }
            var logger = Logger(label: "sluice.broker")
            logger.logLevel = .warning
            let broker = options.broker
            let pid = try await broker.start(logger: logger)
            print("broker up on \(broker.address) (pid \(pid), log \(broker.stateDirectory.path)/broker-\(broker.port).log)")
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the broker started by `up` (by PID).")
        @OptionGroup var options: LocalBrokerOptions

        func run() async throws {
            let broker = options.broker
            print(broker.stop() ? "broker on \(broker.address) stopped" : "no broker running on \(broker.address)")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tell whether the broker runs and answers.")
        @OptionGroup var options: LocalBrokerOptions

        func run() async throws {
            let address = options.externalBrokers ?? options.broker.address
            let pid = options.externalBrokers == nil ? options.broker.runningPID() : nil
            let quiet = Logger(label: "sluice.broker", factory: { _ in SwiftLogNoOpLogHandler() })
            let admin = try KafkaAdmin(options: KafkaClientOptions(brokers: address), logger: quiet)
            do {
                let topics = try await admin.listTopics(timeout: .seconds(3))
                print("broker \(address) is up\(pid.map { " (pid \($0))" } ?? ""), \(topics.count) topic(s)")
            } catch {
                print("broker \(address) is not answering\(pid.map { " (pid \($0) alive)" } ?? ""): \(error.message)")
                throw ExitCode(1)
            }
        }
    }
}
