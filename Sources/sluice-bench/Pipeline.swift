import ArgumentParser
import Foundation
import Logging
import SluiceKafka
import SluiceRuntime

extension SluiceBench {
    /// `sluice-bench pipeline`: the worker runtime end to end, in real worker processes.
    ///
    /// ```
    /// (a) fresh broker: 3 sluice workers (passthrough) chained  ─┐ same inputs, same reader: throughput,
    ///     fresh broker: 3 C relays chained through 4 topics      ─┘ p50/p99 latency, worker RSS idle and peak
    /// (b) fresh broker: 1 sluice worker of a delay node (200 ms, concurrency 256): inputs/s
    /// (d) fresh broker: 1 sluice worker (passthrough) fed at a fixed rate ─┐ CPU per message of the hop's process
    ///     fresh broker: 1 C relay fed at the same rate                       ─┘
    /// ```
    struct Pipeline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A 3-hop pipeline of sluice workers beside a C relay chain, a delay node, and worker memory."
        )

        @OptionGroup var options: BenchOptions

        @Option(help: "Partitions of every topic.")
        var partitions: Int = 4

        @Option(help: "Inputs sent one by one after the backlog, to measure latency on an idle chain.")
        var paced: Int = 2_000

        @Option(help: "Paced inputs per second.")
        var pacedRate: Int = 1_000

        @Option(help: "Inputs of the delay-node benchmark.")
        var delayCount: Int = 10_000

        @Option(help: "Inputs per second of the one-hop measurement (d).")
        var hopRate: Int = 30_000

        @Option(help: "Inputs of the one-hop measurement (d).")
        var hopCount: Int = 300_000

        @Option(help: "The sluice executable whose `worker` subcommand runs the nodes.")
        var sluice: String = ".build/release/sluice"

        @Option(help: "The C relay built from Benchmarks/c-relay/relay.c; without it the C column shows n/a.")
        var cRelay: String?

        @Option(help: "Nodes in each chain of (a); the goal is stated for 3.")
        var hops: Int = 3

        @Flag(help: "Measure only the Sluice chain of (a): a quicker loop while profiling the worker.")
        var swiftChainOnly = false

        @Option(
            help: ArgumentHelp(
                "A librdkafka property for every sluice worker and C relay of (a), alike (repeatable): tuning experiments.",
                valueName: "name=value"))
        var clientProperty: [String] = []

        func validate() throws {
            guard partitions > 0, hops > 0, paced > 0, pacedRate > 0, delayCount > 0, hopRate > 0, hopCount > 0 else {
                throw ValidationError(
                    "--partitions, --hops, --paced, --paced-rate, --delay-count, --hop-rate and --hop-count must be positive")
            }
            guard options.valueSize >= 64 else { throw ValidationError("--value-size must be at least 64") }
            guard FileManager.default.isExecutableFile(atPath: sluice) else {
                throw ValidationError("\(sluice) not found: run `make release`, or pass --sluice")
            }
        }

        /// The worker's consumer default, which `sluice worker` uses; the C relays and the reader get the same.
        static let fetchWaitMilliseconds = KafkaConsumerConfiguration(
            client: KafkaClientOptions(brokers: ""), groupID: ""
        ).fetchWaitMaxMilliseconds

        static let delayMilliseconds = 200
        static let delayConcurrency = 256

        func run() async throws {
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            let relay = cRelay.flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
            if let cRelay, relay == nil { progress("note: \(cRelay) is not an executable: C shows n/a") }

            var swiftRuns: [PipelineBenchmark.ChainRun] = []
            var cRuns: [PipelineBenchmark.ChainRun] = []
            var delayRuns: [Throughput] = []
            var hopRuns: (swift: [PipelineBenchmark.HopRun], c: [PipelineBenchmark.HopRun]) = ([], [])
            for round in 1...options.repeats {
                let swift = try await onFreshBroker(relay) { try await $0.swiftChain() }
                progress("pipeline #\(round) Swift: \(swift.steady.summary), p50 \(ms(swift.latencies.quantile(0.5)))")
                swiftRuns.append(swift)
                if swiftChainOnly { continue }
                if let c = try await onFreshBroker(relay, { try await $0.cChain() }) {
                    progress("pipeline #\(round) C:     \(c.steady.summary), p50 \(ms(c.latencies.quantile(0.5)))")
                    cRuns.append(c)
                }
                let delay = try await onFreshBroker(relay) {
                    try await $0.delayNode(
                        count: delayCount, milliseconds: Self.delayMilliseconds, concurrency: Self.delayConcurrency)
                }
                progress("delay #\(round): \(delay.summary)")
                delayRuns.append(delay)
                for c in [false, true] {
                    guard
                        let hop = try await onFreshBroker(relay, {
                            try await $0.pacedHop(c: c, rate: hopRate, count: hopCount)
                        })
                    else { continue }
                    progress("hop #\(round) \(c ? "C:    " : "Swift:") \(Format.fixed(hop.processCPU, 2)) µs/msg")
                    if c { hopRuns.c.append(hop) } else { hopRuns.swift.append(hop) }
                }
            }
            let report = PipelineReport(
                swift: swiftRuns.median(by: \.steady.messagesPerSecond)!, c: cRuns.median(by: \.steady.messagesPerSecond),
                delay: Throughput.median(delayRuns),
                delayGoal: 0.9 * Double(Self.delayConcurrency) / (Double(Self.delayMilliseconds) / 1000), hops: hops,
                roundRatios: zip(swiftRuns, cRuns).map { $0.steady.messagesPerSecond / $1.steady.messagesPerSecond },
                hopRate: hopRate, swiftHop: hopRuns.swift.median(by: \.processCPU),
                cHop: hopRuns.c.median(by: \.processCPU))
            print(
                """
                Sluice workers end to end (one process per node, .build/release, \(Allocator.name)) vs librdkafka C \
                relays (relay.c, system malloc)
                \(options.count) inputs × \(options.valueSize) B pre-published, \(partitions) partition(s) per \
                topic, fetch.wait.max.ms=\(Self.fetchWaitMilliseconds), linger.ms=5; a fresh Tansu broker per \
                measurement; \(options.repeats > 1 ? "median of \(options.repeats)" : "1 run"); latency: \(paced) \
                inputs at \(pacedRate)/s after the backlog, send → read at the last topic; (d): \(hopCount) inputs \
                at \(hopRate)/s through one passthrough worker or C relay, first input sent → last output read

                \(report.table())

                \(report.goals().joined(separator: "\n"))
                """)
        }

        private func onFreshBroker<T>(
            _ relay: String?, _ body: (PipelineBenchmark) async throws -> T
        ) async throws -> T {
            let logger = options.logger("sluice.bench")
            return try await FreshBroker.with(stateDirectory: options.stateDirectory, logger: logger) {
                brokers, brokerPID in
                let benchmark = PipelineBenchmark(
                    settings: KafkaBenchSettings(
                        brokers: brokers, count: options.count, valueSize: options.valueSize,
                        fetchWaitMilliseconds: Self.fetchWaitMilliseconds),
                    brokerPID: brokerPID, partitions: partitions, hops: hops, paced: paced, pacedRate: pacedRate,
                    sluice: sluice, clientArguments: clientProperty.flatMap { ["-X", $0] }, relay: relay,
                    workDirectory: options.stateDirectory.appendingPathComponent("pipeline-\(brokers.split(separator: ":").last ?? "")"),
                    logger: logger, timeLimit: .seconds(60 + options.count / 2_000))
                return try await body(benchmark)
            }
        }
    }
}

func ms(_ value: Double?) -> String { value.map { Format.fixed($0, 1) + " ms" } ?? "n/a" }
