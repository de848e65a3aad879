/// The table and goal lines `sluice-bench pipeline` prints.
///
/// ```
/// | measurement                              |  Sluice | C relays | Sluice/C | goal           |
/// |------------------------------------------|--------:|---------:|---------:|---------------:|
/// | (a) 3 hops: msg/s, first → last output   |  61,234 |   70,345 |     0.87 | ≥ 0.80 × C ✓   |
/// ```
struct PipelineReport {
    var swift: PipelineBenchmark.ChainRun
    var c: PipelineBenchmark.ChainRun?
    /// `nil` when only the Sluice chain was measured.
    var delay: Throughput?
    var delayGoal: Double
    var hops: Int
    /// Sluice/C throughput of each round (its two chains measured one after the other), when there were several.
    var roundRatios: [Double] = []
    /// (d): inputs per second, and the median runs (`nil` when not measured).
    var hopRate: Int
    var swiftHop: PipelineBenchmark.HopRun?
    var cHop: PipelineBenchmark.HopRun?

    static let throughputRatioGoal = 0.8
    static let idleGoalMB = 50.0
    static let loadedGoalMB = 150.0

    var ratio: Double? { c.map { swift.steady.messagesPerSecond / $0.steady.messagesPerSecond } }

    func table() -> String {
        let na = "n/a"
        func rate(_ run: PipelineBenchmark.ChainRun?, _ key: KeyPath<PipelineBenchmark.ChainRun, Throughput>) -> String {
            run.map { Format.grouped($0[keyPath: key].messagesPerSecond) } ?? na
        }
        func latency(_ run: PipelineBenchmark.ChainRun?, _ fraction: Double) -> String {
            run.flatMap { $0.latencies.quantile(fraction) }.map { Format.fixed($0, 1) } ?? na
        }
        func cpu(_ run: PipelineBenchmark.ChainRun?, _ key: KeyPath<PipelineBenchmark.ChainRun, Double>) -> String {
            run.map { Format.fixed($0[keyPath: key], 1) } ?? na
        }
        func ratio(_ key: KeyPath<PipelineBenchmark.ChainRun, Throughput>) -> String {
            c.map { Format.fixed(swift[keyPath: key].messagesPerSecond / $0[keyPath: key].messagesPerSecond, 2) } ?? na
        }
        let rows: [[String]] = [
            [
                "(a) \(hops) hops, msg/s, first → last output", rate(swift, \.steady), rate(c, \.steady), ratio(\.steady),
                "≥ \(Format.fixed(Self.throughputRatioGoal, 2)) × C \(check(self.ratio.map { $0 >= Self.throughputRatioGoal }))",
            ],
            [
                "(a) \(hops) hops, msg/s, launch → last output", rate(swift, \.fromLaunch), rate(c, \.fromLaunch),
                ratio(\.fromLaunch), "",
            ],
            ["(a) CPU per message, µs: \(hops) hop processes", cpu(swift, \.processCPU), cpu(c, \.processCPU), "", ""],
            ["(a) CPU per message, µs: broker", cpu(swift, \.brokerCPU), cpu(c, \.brokerCPU), "", ""],
            ["(a) latency p50, ms (paced)", latency(swift, 0.5), latency(c, 0.5), "", ""],
            ["(a) latency p99, ms (paced)", latency(swift, 0.99), latency(c, 0.99), "", ""],
            ["(a) duplicates at the last topic", "\(swift.duplicates)", c.map { "\($0.duplicates)" } ?? na, "", ""],
            [
                "(b) delay 200 ms × 256, inputs/s", delay.map { Format.grouped($0.messagesPerSecond) } ?? na, na, "",
                "≥ \(Format.grouped(delayGoal)) \(check(delay.map { $0.messagesPerSecond >= delayGoal }))",
            ],
            [
                "(c) RSS idle, largest worker, MB", megabytes(swift.idleRSS), na, "",
                "≤ \(Format.fixed(Self.idleGoalMB, 0)) \(check(swift.idleRSS.map { mb($0) <= Self.idleGoalMB }))",
            ],
            [
                "(c) RSS peak under (a), largest process, MB", megabytes(swift.peakRSS), megabytes(c?.peakRSS), "",
                "≤ \(Format.fixed(Self.loadedGoalMB, 0)) \(check(mb(swift.peakRSS) <= Self.loadedGoalMB))",
            ],
            [
                "(d) 1 hop at \(Format.grouped(Double(hopRate))) msg/s, CPU per message, µs: hop process",
                swiftHop.map { Format.fixed($0.processCPU, 2) } ?? na, cHop.map { Format.fixed($0.processCPU, 2) } ?? na,
                swiftHop.flatMap { swift in cHop.map { Format.fixed(swift.processCPU / $0.processCPU, 2) } } ?? na, "",
            ],
            [
                "(d) 1 hop at \(Format.grouped(Double(hopRate))) msg/s, CPU per message, µs: broker",
                swiftHop.map { Format.fixed($0.brokerCPU, 1) } ?? na, cHop.map { Format.fixed($0.brokerCPU, 1) } ?? na,
                "", "",
            ],
        ]
        return MarkdownTable.render(header: ["measurement", "Sluice", "C relays", "Sluice/C", "goal"], rows: rows)
    }

    func goals() -> [String] {
        let rounds =
            roundRatios.count > 1
            ? " (round by round: \(roundRatios.map { Format.fixed($0, 2) }.joined(separator: ", ")))" : ""
        return [
            "Goal (a): Sluice ≥ \(Format.fixed(Self.throughputRatioGoal, 1)) × C throughput (first → last output): "
                + "\(ratio.map { Format.fixed($0, 2) } ?? "n/a") \(check(ratio.map { $0 >= Self.throughputRatioGoal }))"
                + rounds,
            "Goal (b): delay node ≥ \(Format.grouped(delayGoal)) inputs/s (0.9 × 256 / 0.2 s): "
                + "\(delay.map { Format.grouped($0.messagesPerSecond) } ?? "n/a") "
                + "\(check(delay.map { $0.messagesPerSecond >= delayGoal }))",
            "Goal (c): worker RSS ≤ \(Format.fixed(Self.idleGoalMB, 0)) MB idle: \(megabytes(swift.idleRSS)) MB "
                + "\(check(swift.idleRSS.map { mb($0) <= Self.idleGoalMB })); ≤ \(Format.fixed(Self.loadedGoalMB, 0)) MB "
                + "loaded: \(megabytes(swift.peakRSS)) MB \(check(mb(swift.peakRSS) <= Self.loadedGoalMB))",
        ]
    }

    private func check(_ met: Bool?) -> String { met.map { $0 ? "✓" : "✗" } ?? "n/a" }
    private func mb(_ bytes: Int) -> Double { Double(bytes) / 1e6 }
    private func megabytes(_ bytes: Int?) -> String { bytes.map { Format.fixed(mb($0), 1) } ?? "n/a" }
}
