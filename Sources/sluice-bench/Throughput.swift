/// Messages and payload bytes moved in a measured time.
struct Throughput: Sendable {
    var messages: Int
    var bytes: Int
    var seconds: Double
    /// Time before the first message that is not counted (a consumer group's join), if known.
    var warmUpSeconds: Double? = nil

    var messagesPerSecond: Double { Double(messages) / seconds }
    /// Payload megabytes (10⁶ bytes) per second, as `rdkafka_performance` counts them.
    var megabytesPerSecond: Double { Double(bytes) / 1e6 / seconds }

    var summary: String {
        "\(messages) msgs in \(Format.fixed(seconds, 3)) s (\(Format.grouped(messagesPerSecond)) msg/s, "
            + "\(Format.fixed(megabytesPerSecond, 1)) MB/s)"
            + (warmUpSeconds.map { ", first message after \(Format.fixed($0, 1)) s (not counted)" } ?? "")
    }

    /// The run with the median rate (the lower middle one for an even count).
    static func median(_ runs: [Throughput]) -> Throughput? { runs.median(by: \.messagesPerSecond) }
}

extension Array {
    /// The element with the median `value` (the lower middle one for an even count); `nil` when empty.
    func median(by value: (Element) -> Double) -> Element? {
        guard !isEmpty else { return nil }
        return sorted { value($0) < value($1) }[(count - 1) / 2]
    }
}

enum Format {
    /// `1234567.8` → `1,234,568`.
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var out = ""
        for (i, digit) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return String(out.reversed())
    }

    /// `value` with `places` decimals.
    static func fixed(_ value: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        guard places > 0 else { return String(scaled) }
        let whole = String(scaled / Int(scale))
        let fraction = String(abs(scaled % Int(scale)))
        return whole + "." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
