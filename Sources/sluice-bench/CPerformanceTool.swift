import Foundation

/// The C baselines: librdkafka's `rdkafka_performance` (producer, consumer) and the C relay
/// (`Benchmarks/c-relay/relay.c`), run as child processes against the same broker as the Swift side.
struct CPerformanceTool: Sendable {
    /// `rdkafka_performance`.
    var toolPath: String
    /// The C relay binary, if there is one.
    var relayPath: String?
    var timeout: Duration

    /// `rdkafka_performance -P`: produces `count` values with the Swift producer's librdkafka properties.
    /// `-D` copies each value into the message, as the Swift producer does (`RD_KAFKA_MSG_F_COPY`).
    ///
    /// The tool exits with status 1 when its count of produced messages differs from its count of delivered ones,
    /// and it miscounts now and then (`999999 messages produced …, 1000000 delivered`, after retrying a full queue):
    /// its summary, which must show every message delivered and none failed, is what decides.
    func produce(to topic: String, settings: KafkaBenchSettings) async throws -> Throughput {
        let arguments =
            ["-P", "-t", topic, "-b", settings.brokers, "-s", "\(settings.valueSize)", "-c", "\(settings.count)", "-D"]
            + KafkaBenchSettings.cToolArguments(settings.producer.librdkafkaProperties)
        let output = try await ExternalCommand(executable: toolPath, arguments: arguments)
            .run(timeout: timeout, successStatuses: [0, 1])
        return try Self.parseProduced(output, expected: settings.count)
    }

    /// `rdkafka_performance -G`: reads `count` messages as a group member, with the Swift consumer's
    /// librdkafka properties. It times from the first message, as the Swift side does. The tool raises
    /// `queued.min.messages` to 1,000,000; it gets librdkafka's default back, which the Swift consumer uses.
    func consume(from topic: String, settings: KafkaBenchSettings) async throws -> Throughput {
        let group = KafkaBenchmark.uniqueGroup()
        let arguments =
            ["-G", group, "-t", topic, "-b", settings.brokers, "-c", "\(settings.count)"]
            + ["-X", "queued.min.messages=100000"]
            + KafkaBenchSettings.cToolArguments(settings.consumer(group: group).librdkafkaProperties)
        let output = try await ExternalCommand(executable: toolPath, arguments: arguments).run(timeout: timeout)
        return try Self.parseConsumed(output, expected: settings.count)
    }

    /// The C relay from `input` to `output`, or `nil` without a relay binary.
    func relay(from input: String, to output: String, settings: KafkaBenchSettings) async throws -> Throughput? {
        guard let relayPath else { return nil }
        let arguments = [
            "-b", settings.brokers, "-g", KafkaBenchmark.uniqueGroup(), "-i", input, "-o", output,
            "-n", "\(settings.count)", "-w", "\(settings.fetchWaitMilliseconds)",
        ]
        let text = try await ExternalCommand(executable: relayPath, arguments: arguments).run(timeout: timeout)
        return try Self.parseRelayed(text, expected: settings.count, valueSize: settings.valueSize)
    }

    // MARK: - Output

    /// `% 200000 messages produced (51200000 bytes), 200000 delivered (offset 91315, 0 failed) in 450ms: ...`
    static func parseProduced(_ output: String, expected: Int) throws -> Throughput {
        let pattern =
            /(\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms/
        guard let match = output.matches(of: pattern).last,
            let bytes = Int(match.2), let delivered = Int(match.3), let failed = Int(match.4), let ms = Int(match.5)
        else { throw BenchError("rdkafka_performance -P printed no summary:\n\(output.suffix(600))") }
        guard delivered == expected, failed == 0 else {
            throw BenchError("rdkafka_performance -P: \(delivered) of \(expected) delivered, \(failed) failed")
        }
        return Throughput(messages: delivered, bytes: bytes, seconds: Double(ms) / 1000)
    }

    /// `% 200000 messages (51200000 bytes) consumed in 398ms: 501602 msgs/s (128.41 MB/s)`
    static func parseConsumed(_ output: String, expected: Int) throws -> Throughput {
        let pattern = /(\d+) messages \((\d+) bytes\) consumed in (\d+)ms/
        guard let match = output.matches(of: pattern).last,
            let messages = Int(match.1), let bytes = Int(match.2), let ms = Int(match.3)
        else { throw BenchError("rdkafka_performance -G printed no summary:\n\(output.suffix(600))") }
        guard messages == expected else {
            throw BenchError("rdkafka_performance -G: \(messages) of \(expected) messages arrived")
        }
        return Throughput(messages: messages, bytes: bytes, seconds: Double(ms) / 1000)
    }

    /// `relayed 200000 in 1.234 s (162074 msg/s)`, after `relay: first message after 3.012 s (group join)`.
    static func parseRelayed(_ output: String, expected: Int, valueSize: Int) throws -> Throughput {
        guard let match = output.matches(of: /relayed (\d+) in ([0-9.]+) s/).last,
            let relayed = Int(match.1), let seconds = Double(match.2)
        else { throw BenchError("the C relay printed no summary:\n\(output.suffix(600))") }
        guard relayed == expected else { throw BenchError("the C relay relayed \(relayed) of \(expected)") }
        let join = output.matches(of: /first message after ([0-9.]+) s/).last.flatMap { Double($0.1) }
        return Throughput(messages: relayed, bytes: relayed * valueSize, seconds: seconds, warmUpSeconds: join)
    }
}
