public import Foundation
public import Logging
public import SluiceCore
public import SluiceKafka

/// A graph as recorded in the `_sluice.graphs` topic: the deployed spec and when it was deployed.
public struct DeployedGraph: Codable, Sendable, Hashable {
    public var graph: String
    public var version: Int
    public var deployedAtMilliseconds: Int64
    public var spec: GraphSpec
}

/// Reads and writes the compacted `_sluice.graphs` topic (key: graph name) that workers and the registry
/// service use to agree on one version of each graph.
public struct GraphRegistry: Sendable {
    public let brokers: String
    public let logger: Logger
    public static let topic = TopicName.registry

    public init(brokers: String, logger: Logger) {
        self.brokers = brokers
        self.logger = logger
    }

    /// The latest record of every graph still deployed, keyed by graph name.
    public func deployedGraphs(timeout: Duration = .seconds(10)) async throws -> [String: DeployedGraph] {
        let admin = try KafkaAdmin(options: KafkaClientOptions(brokers: brokers, clientID: "sluice-registry"), logger: logger)
        guard let description = try await admin.describeTopics([Self.topic], timeout: timeout)[Self.topic] else { return [:] }
        let partitions = (0..<description.partitions).map { TopicPartition(topic: Self.topic, partition: $0) }
        var ends: [TopicPartition: Int64] = [:]
        for partition in partitions {
            let (low, high) = try await admin.watermarks(of: partition, timeout: timeout)
            if high > low { ends[partition] = high }
        }
        guard !ends.isEmpty else { return [:] }

        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: KafkaClientOptions(brokers: brokers), groupID: "sluice-registry-reader"),
            logger: logger)
        try consumer.assign(Dictionary(uniqueKeysWithValues: ends.keys.map { ($0, KafkaOffset.beginning) }))
        let reading = Task { [ends] in
            var graphs: [String: DeployedGraph] = [:]
            var remaining = ends
            let decoder = JSONDecoder()
            for await message in consumer.messages {
                if let key = message.key.map({ String(decoding: $0, as: UTF8.self) }) {
                    if message.isTombstone {
                        graphs[key] = nil
                    } else {
                        do {
                            graphs[key] = try decoder.decode(DeployedGraph.self, from: Data(message.value))
                        } catch {
                            logger.warning("unreadable record for graph '\(key)' in \(Self.topic) at offset \(message.offset): \(error)")
                        }
                    }
                }
                if let end = remaining[message.topicPartition], message.offset + 1 >= end { remaining[message.topicPartition] = nil }
                if remaining.isEmpty { break }
            }
            return graphs
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            reading.cancel()
        }
        let result = await reading.value
        timer.cancel()
        await consumer.close()
        return result
    }

    /// Records `spec` as the deployed version of its graph.
    public func record(_ spec: GraphSpec, producer: KafkaProducer) async throws {
        let record = DeployedGraph(
            graph: spec.graph, version: spec.version,
            deployedAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), spec: spec)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        _ = try await producer.send(
            KafkaRecord(
                topic: Self.topic, key: Array(spec.graph.utf8), value: Array(try encoder.encode(record)),
                headers: [KafkaHeader(name: Envelope.Header.specVersion, string: String(spec.version))]))
    }

    /// Removes the graph from the registry (a tombstone).
    public func remove(graph: String, producer: KafkaProducer) async throws {
        _ = try await producer.send(KafkaRecord(topic: Self.topic, key: Array(graph.utf8), value: nil))
    }
}
