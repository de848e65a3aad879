import ArgumentParser
import SluiceCore
import SluiceKafka
import SluiceRuntime

extension Sluice {
    /// `sluice dlq FILE --node NAME [--replay] [--limit N]`: lists a node's dead letters, or replays them once.
    struct DeadLetters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dlq",
            abstract: "List a node's dead letters, or re-publish them to the input topics they came from.",
            discussion: """
                Reads sluice.<graph>.<node>.dlq from the beginning to its current end (a manual assignment, no \
                consumer group). With --replay, each dead letter not replayed before goes back to its \
                sluice-source-topic and partition with its original key, value and headers (minus the \
                dead-letter headers); the consumer group sluice.<graph>.<node>.dlq-replay then records how far \
                the replay got, so replaying again sends only newer dead letters. Dead letters stay in the topic.
                """
        )

        @Argument(help: "The graph spec (YAML or JSON).")
        var file: String

        @Option(help: "The node whose dead letters to read.")
        var node: String

        @Flag(help: "Re-publish the dead letters not replayed yet to their source topics.")
        var replay = false

        @Option(help: "Read (or replay) at most this many dead letters.")
        var limit: Int?

        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let topology = try SluiceCore.Topology(loadSpec(file))
            let queue: DeadLetterQueue
            do {
                queue = try DeadLetterQueue(
                    topology: topology, node: node, client: connection.client(),
                    logger: connection.logger("sluice.dlq"))
            } catch let error as NodeError {
                printError("error: \(error.message)")
                throw ExitCode.failure
            }
            if replay {
                let outcome = try await queue.replay(limit: limit)
                for letter in outcome.replayed {
                    print("replayed \(letter.partition):\(letter.offset) → \(source(of: letter))")
                }
                for letter in outcome.skipped {
                    print(
                        "skipped  \(letter.partition):\(letter.offset): source \(source(of: letter)) is not an input of '\(node)'"
                    )
                }
                print(
                    "\(outcome.replayed.count) dead letter(s) replayed, \(outcome.skipped.count) skipped (\(queue.topic))"
                )
            } else {
                let letters = try await queue.list(limit: limit)
                for letter in letters { print(describe(letter)) }
                print("\(letters.count) dead letter(s) in \(queue.topic)")
            }
        }

        /// `topic[partition]@offset`, from the dead letter's source headers.
        private func source(of letter: DeadLetter) -> String {
            let partition = letter.sourcePartition.map { "[\($0)]" } ?? ""
            let offset = letter.sourceOffset.map { "@\($0)" } ?? ""
            return (letter.sourceTopic ?? "?") + partition + offset
        }

        private func describe(_ letter: DeadLetter) -> String {
            """
            \(letter.partition):\(letter.offset)  attempts \(letter.attempts.map(String.init) ?? "?")  \
            from \(source(of: letter))  correlation \(letter.correlationID ?? "-")
                error:   \(letter.error ?? "-")
                payload: \(letter.preview())
            """
        }
    }
}
