public import Logging
public import SluiceCore
public import SluiceKafka
import Synchronization

/// A node's dead letters (`sluice.<graph>.<node>.dlq`): list them, and replay them onto the input topics they
/// came from, once.
///
/// ```
/// list:   assign dlq partitions from the beginning ─▶ read up to the end they had ─▶ [DeadLetter]
/// replay: assign from the replay group's offsets ─▶ read ─▶ produce to sluice-source-topic ─▶ flush
///                                                             ─▶ commit dlq offsets for the replay group
/// ```
/// Reads use a manual assignment, never a group subscription, so they do not disturb anything. The replay group
/// (`sluice.<graph>.<node>.dlq-replay`) only records how far replays got, so a second replay sends nothing
/// twice. Records are committed after every delivery report came back: a replay that fails midway is
/// repeated from its last commit (at-least-once).
public struct DeadLetterQueue: Sendable {
    /// The dead-letter topic.
    public let topic: String
    /// The consumer group whose committed offsets mark how far replays got.
    public let replayGroup: String
    /// The node's input topics: the only topics a replay writes to.
    public let inputTopics: Set<String>
    public let client: KafkaClientOptions
    public let logger: Logger
    /// How long a read may take to reach the end of the topic.
    public var readTimeout: Duration = .seconds(30)

    /// - Throws: ``NodeError`` with ``NodeError/Code/unknownNode`` if the topology has no node `node`.
    public init(topology: Topology, node: String, client: KafkaClientOptions, logger: Logger) throws {
        guard let found = topology.node(named: node) else {
            throw NodeError(code: .unknownNode, message: "graph '\(topology.graph)' has no node '\(node)'")
        }
        topic = found.deadLetterTopic
        replayGroup = Self.replayGroup(of: found)
        inputTopics = Set(found.inputs.map(\.topic))
        self.client = client
        self.logger = logger
    }

    /// `sluice.<graph>.<node>.dlq-replay`: the node's consumer group name plus `.dlq-replay`.
    public static func replayGroup(of node: NodeTopology) -> String { "\(node.consumerGroup).dlq-replay" }

    /// The dead letters from the beginning of the topic to its current end (at most `limit`), by partition and
    /// offset.
    public func list(limit: Int? = nil) async throws -> [DeadLetter] {
        let consumer = try makeConsumer(group: "\(replayGroup)-list")
        let scan = try await read(consumer, from: [:], limit: limit)
        await consumer.close()
        return scan.letters.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
    }

    /// Where the next replay starts per partition (the replay group's committed offsets; none before a replay).
    public func replayPositions() async throws -> [TopicPartition: Int64] {
        let admin = try KafkaAdmin(options: client, logger: logger)
        return try await admin.committedOffsets(group: replayGroup).filter { $0.key.topic == topic && $0.value >= 0 }
    }

    /// Re-publishes the dead letters not replayed yet (at most `limit`) to the input topics they came from, then
    /// commits how far it got. A dead letter whose source is not one of the node's input topics is skipped (and
    /// stays in the topic).
    public func replay(limit: Int? = nil) async throws -> DeadLetterReplay {
        let consumer = try makeConsumer(group: replayGroup)
        do {
            let outcome = try await replay(limit: limit, consumer: consumer)
            await consumer.close()
            return outcome
        } catch {
            await consumer.close()
            throw error
        }
    }

    private func replay(limit: Int?, consumer: KafkaConsumer) async throws -> DeadLetterReplay {
        let scan = try await read(consumer, from: try await replayPositions(), limit: limit)
        var outcome = DeadLetterReplay(replayed: [], skipped: [])
        guard !scan.letters.isEmpty else { return outcome }

        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        let failures = Mutex<[KafkaError]>([])
        do {
            for letter in scan.letters {
                guard let record = letter.replayRecord, inputTopics.contains(record.topic) else {
                    outcome.skipped.append(letter)
                    continue
                }
                try await producer.produce(record) { result in
                    if case .failure(let error) = result { failures.withLock { $0.append(error) } }
                }
                outcome.replayed.append(letter)
            }
            try await producer.flush()
        } catch {
            await producer.close()
            throw error
        }
        await producer.close()
        if let failure = failures.withLock({ $0.first }) { throw failure }
        // Only now, with every delivery report back, does the replay group move past these dead letters.
        try await consumer.commit(scan.positions)
        logger.info(
            "replayed dead letters",
            metadata: [
                "sluice.dlq": "\(topic)", "sluice.replayed": "\(outcome.replayed.count)",
                "sluice.skipped": "\(outcome.skipped.count)",
            ])
        return outcome
    }

    // MARK: Reading

    private func makeConsumer(group: String) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: group)
        configuration.autoCommitIntervalMilliseconds = 0
        configuration.offsetReset = .earliest
        return try KafkaConsumer(configuration: configuration, logger: logger)
    }

    /// The dead letters of the topic from `from` (else its first offset) to its current end.
    private func read(_ consumer: KafkaConsumer, from: [TopicPartition: Int64], limit: Int?) async throws
        -> (letters: [DeadLetter], positions: [TopicPartition: Int64])
    {
        guard
            let scan = try await TopicScan.read(
                topic, consumer: consumer, client: client, logger: logger, from: from, limit: limit, timeout: readTimeout)
        else {
            throw NodeError(code: .unknownNode, message: "no dead-letter topic \(topic): is the graph deployed?")
        }
        return (scan.messages.map(DeadLetter.init), scan.positions)
    }
}

/// What ``DeadLetterQueue/replay(limit:)`` did.
public struct DeadLetterReplay: Sendable {
    /// The dead letters re-published to their source topics.
    public var replayed: [DeadLetter]
    /// The dead letters without a source topic of the node (still in the dead-letter topic).
    public var skipped: [DeadLetter]
}
