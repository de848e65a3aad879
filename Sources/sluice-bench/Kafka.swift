import ArgumentParser
import Foundation
import Logging
import SluiceKafka
import SluiceRuntime

extension SluiceBench {
    /// `sluice-bench kafka`: producer, consumer and relay throughput of SluiceKafka beside librdkafka's C tools.
    ///
    /// ```
    ///  for each benchmark, for each side (Swift, C), for each repeat:
    ///    fresh broker ─► create topics ─► fill input (C producer) ─► measure ─► stop broker
    /// ```
    struct Kafka: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Producer, consumer and relay throughput: SluiceKafka beside librdkafka's C tools."
        )

        enum Benchmark: String, CaseIterable, ExpressibleByArgument {
            case producer, consumer, relay

            var title: String { self == .relay ? "relay (consume→produce)" : rawValue }
        }

        @OptionGroup var options: BenchOptions

        @Option(help: "Partitions of every benchmark topic.")
        var partitions: Int = 4

        @Option(help: "fetch.wait.max.ms for every consumer, Swift and C alike.")
        var fetchWaitMs: Int = 10

        @Option(help: "librdkafka's rdkafka_performance.")
        var cTool: String = ".deps/bin/rdkafka_performance"

        @Option(help: "The C relay built from Benchmarks/c-relay/relay.c; without it the relay row shows n/a for C.")
        var cRelay: String?

        @Option(parsing: .upToNextOption, help: "Benchmarks to run: \(Benchmark.allCases.map(\.rawValue)).")
        var only: [Benchmark] = Benchmark.allCases

        func validate() throws {
            guard partitions > 0 else { throw ValidationError("--partitions must be positive") }
            guard (1...1000).contains(fetchWaitMs) else { throw ValidationError("--fetch-wait-ms must be 1...1000") }
            guard FileManager.default.isExecutableFile(atPath: cTool) else {
                throw ValidationError("\(cTool) not found: run `make deps`, or pass --c-tool")
            }
        }

        func run() async throws {
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            let relay = cRelay.flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
            let tool = CPerformanceTool(toolPath: cTool, relayPath: relay, timeout: timeLimit)
            if let cRelay, relay == nil { progress("note: \(cRelay) is not an executable: C relay shows n/a") }

            var rows: [ResultRow] = []
            for benchmark in only {
                var swiftRuns: [Throughput] = []
                var cRuns: [Throughput] = []
                for round in 1...options.repeats {
                    let swift = try await measureSwift(benchmark)
                    progress("\(benchmark.rawValue) #\(round) Swift: \(swift.summary)")
                    swiftRuns.append(swift)
                    if let c = try await measureC(benchmark, tool: tool) {
                        progress("\(benchmark.rawValue) #\(round) C:     \(c.summary)")
                        cRuns.append(c)
                    }
                }
                rows.append(
                    ResultRow(
                        name: benchmark.title, swift: Throughput.median(swiftRuns)!, c: Throughput.median(cRuns),
                        cMissing: benchmark == .relay && relay == nil ? "n/a" : "-"))
            }

            let table = ResultTable(rows: rows)
            let goals = [Benchmark.producer, .consumer].filter(only.contains).map(\.title)
            print(
                """
                Kafka throughput: SluiceKafka (Swift, \(Allocator.name)) vs librdkafka \
                \(Self.librdkafkaVersion(tool)) (C: rdkafka_performance, relay.c; system malloc)
                \(options.count) messages × \(options.valueSize) B values, \(partitions) partition(s), \
                fetch.wait.max.ms=\(fetchWaitMs), linger.ms=5, acks=all; a fresh Tansu broker per measurement; \
                \(options.repeats > 1 ? "median of \(options.repeats)" : "1 run") per cell; MB/s = 10⁶ value bytes/s

                \(table.render())

                \(table.goalLine(minimumRatio: 0.9, for: goals))
                """)
        }

        /// The Swift side of one measurement, on a broker of its own.
        private func measureSwift(_ benchmark: Benchmark) async throws -> Throughput {
            try await onFreshBroker(benchmark) { settings, logger in
                let swift = KafkaBenchmark(settings: settings, logger: logger)
                return try await withTimeout(timeLimit, "Swift \(benchmark.rawValue)") {
                    switch benchmark {
                    case .producer: try await swift.produce(to: "output")
                    case .consumer: try await swift.consume(from: "input")
                    case .relay: try await swift.relay(from: "input", to: "output")
                    }
                }
            }
        }

        /// The C side of one measurement, on a broker of its own; `nil` where C has no tool for it.
        private func measureC(_ benchmark: Benchmark, tool: CPerformanceTool) async throws -> Throughput? {
            if benchmark == .relay, tool.relayPath == nil { return nil }
            return try await onFreshBroker(benchmark) { settings, _ in
                switch benchmark {
                case .producer: try await tool.produce(to: "output", settings: settings)
                case .consumer: try await tool.consume(from: "input", settings: settings)
                case .relay: try await tool.relay(from: "input", to: "output", settings: settings)
                }
            }
        }

        /// Starts a broker, creates the topics `input` and `output`, fills `input` with `count` values (with the
        /// C producer, the same for both sides) unless this is the producer benchmark, then runs `body`.
        private func onFreshBroker<T>(
            _ benchmark: Benchmark, _ body: (KafkaBenchSettings, Logger) async throws -> T
        ) async throws -> T {
            let logger = options.logger("sluice.bench")
            return try await FreshBroker.with(stateDirectory: options.stateDirectory, logger: logger) { brokers, _ in
                let settings = KafkaBenchSettings(
                    brokers: brokers, count: options.count, valueSize: options.valueSize,
                    fetchWaitMilliseconds: fetchWaitMs)
                let admin = try KafkaAdmin(options: settings.client, logger: logger)
                try await admin.createTopics(
                    ["input", "output"].map { NewTopic(name: $0, partitions: Int32(partitions)) })
                if benchmark != .producer {
                    let tool = CPerformanceTool(toolPath: cTool, relayPath: nil, timeout: timeLimit)
                    _ = try await tool.produce(to: "input", settings: settings)
                }
                return try await body(settings, logger)
            }
        }

        /// Generous: a group join, then at least 5,000 messages a second.
        private var timeLimit: Duration { .seconds(60 + options.count / 5_000) }

        private static func librdkafkaVersion(_ tool: CPerformanceTool) -> String {
            // `rdkafka_performance` prints its usage, with the version, when given no mode.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool.toolPath)
            process.arguments = ["-h"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            guard (try? process.run()) != nil else { return "?" }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            return text.firstMatch(of: /librdkafka version ([0-9.]+)/).map { String($0.1) } ?? "?"
        }
    }
}
