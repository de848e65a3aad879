import ArgumentParser
import Foundation
import SluiceCore
import SluiceKafka

extension Sluice {
    /// `sluice tail FILE --output NAME`: print a graph output's payloads.
    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the payloads of a graph output (one JSON document per line), from the beginning.",
            discussion: "Stops after --count payloads, or once nothing new arrived for --idle seconds.")

        @Argument(help: "The graph spec (YAML or JSON).")
        var file: String

        @Option(help: "The graph output to read (see the spec's `outputs`).")
        var output: String

        @Option(help: "Stop after this many payloads.")
        var count: Int?

        @Option(help: "Stop when nothing arrived for this many seconds.")
        var idle: Int = 5

        @Flag(help: "Print only the number of payloads read.")
        var summary = false

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let spec = try loadSpec(file)
            let topology = try SluiceCore.Topology(spec)
            guard let topic = topology.outputs.first(where: { $0.name == output })?.topic else {
                throw CommandFailure("graph '\(spec.graph)' has no output '\(output)' (outputs: \(topology.outputs.map(\.name).joined(separator: ", ")))")
            }
            let logger = connection.logger("sluice.tail")
            let admin = try KafkaAdmin(options: connection.client(), logger: logger)
            guard let description = try await admin.describeTopics([topic])[topic] else {
                throw CommandFailure("topic \(topic) does not exist: is graph '\(spec.graph)' deployed?")
            }
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(
                    client: connection.client(), groupID: "sluice-tail"),
                logger: logger)
            try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<description.partitions).map {
                (TopicPartition(topic: topic, partition: $0), KafkaOffset.beginning)
            }))
            let limit = count ?? .max
            let read = await Self.read(consumer, limit: limit, idle: .seconds(idle), print: !summary)
            await consumer.close()
            if summary || count != nil { print("read \(read) payload(s) from \(topic)") }
            if read < (count ?? 0) { throw ExitCode.failure }
        }

        /// Reads until `limit` messages, or until none arrived for `idle`.
        private static func read(_ consumer: KafkaConsumer, limit: Int, idle: Duration, print: Bool) async -> Int {
            var read = 0
            while read < limit {
                let next = await withTaskGroup(of: KafkaMessage?.self) { group in
                    group.addTask {
                        // Iterators share the consumer's position: a fresh one per wait loses nothing.
                        var iterator = consumer.messages.makeAsyncIterator()
                        return await iterator.next()
                    }
                    group.addTask {
                        try? await Task.sleep(for: idle)
                        return nil
                    }
                    let first = await group.next()!
                    group.cancelAll()
                    return first
                }
                guard let message = next else { break }
                read += 1
                if print { Swift.print(String(decoding: message.value, as: UTF8.self)) }
            }
            return read
        }
    }
}
