import ArgumentParser
import Foundation
import Logging

/// `sluice-bench`: throughput benchmarks, Swift beside C on the same broker. One file per subcommand.
@main
struct SluiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-bench",
        abstract: "Throughput benchmarks for Sluice, each against a C baseline on the same broker.",
        subcommands: [Kafka.self, Pipeline.self]
    )
}

/// Options every benchmark shares.
struct BenchOptions: ParsableArguments {
    @Option(help: "Messages per measurement.")
    var count: Int = 200_000

    @Option(help: "Value size in bytes.")
    var valueSize: Int = 256

    @Option(help: "Measurements per cell; the table shows the median.")
    var repeats: Int = 1

    @Option(help: "Directory for the PID and log files of the brokers the benchmark starts.")
    var stateDir: String = ".sluice/bench"

    @Flag(help: "Log librdkafka and Sluice internals.")
    var verbose = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard valueSize > 0 else { throw ValidationError("--value-size must be positive") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
    }

    var stateDirectory: URL { URL(fileURLWithPath: stateDir) }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }
}

/// A benchmark that could not produce its number.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}

/// Progress goes to standard error so that standard output holds only the table.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
