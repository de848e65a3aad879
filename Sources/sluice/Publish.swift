import ArgumentParser
import Foundation
import SluiceCore
import SluiceKafka
import SluiceRuntime

extension Sluice {
    /// `sluice publish FILE --input NAME`: send JSON payloads to a graph's entry topic.
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish JSON payloads to a graph input: one per line of standard input, or --count generated ones.",
            discussion: """
                Each payload is wrapped in a Sluice envelope with a fresh correlation id (also the Kafka key). \
                A line that is not valid JSON stops the command with its line number and byte offset; the lines \
                before it are published.
                """)

        @Argument(help: "The graph spec (YAML or JSON).")
        var file: String

        @Option(help: "The graph input to publish to.")
        var input: String

        @Option(help: "Publish this many generated payloads {\"i\": n} instead of reading standard input.")
        var count: Int?

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let spec = try loadSpec(file)
            guard spec.input(named: input) != nil else {
                throw CommandFailure("graph '\(spec.graph)' has no input '\(input)' (inputs: \(spec.inputs.map(\.name).joined(separator: ", ")))")
            }
            let topic = TopicName.entry(graph: spec.graph, input: input)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(client: connection.client()),
                logger: connection.logger("sluice.publish"))
            var published = 0
            if let count {
                for i in 0..<count {
                    try await producer.produce(record(Array("{\"i\":\(i)}".utf8), topic: topic, version: spec.version))
                    published += 1
                }
            } else {
                var lineNumber = 0
                while let line = readLine(strippingNewline: true) {
                    lineNumber += 1
                    let bytes = Array(line.utf8)
                    guard !line.allSatisfy(\.isWhitespace) else { continue }
                    do {
                        try JSONSyntax.validate(bytes)
                    } catch {
                        try await producer.flush()
                        throw CommandFailure(
                            "standard input line \(lineNumber): not JSON: \(error) (\(published) payload(s) before it were published to \(topic))")
                    }
                    try await producer.produce(record(bytes, topic: topic, version: spec.version))
                    published += 1
                }
            }
            try await producer.flush()
            await producer.close()
            print("published \(published) payload(s) to \(topic)")
        }

        private func record(_ payload: [UInt8], topic: String, version: Int) -> KafkaRecord {
            KafkaRecord(
                topic: topic,
                envelope: Envelope(rawPayload: payload, correlationID: Envelope.makeMessageID(), specVersion: version))
        }
    }
}
