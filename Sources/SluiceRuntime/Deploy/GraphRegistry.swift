import Foundation
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
    /// Brokers and librdkafka properties of the clients it creates.
    public let client: KafkaClientOptions
    public let logger: Logger
    public static let topic = TopicName.registry

    public init(client: KafkaClientOptions, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public init(brokers: String, logger: Logger) {
        self.init(client: KafkaClientOptions(brokers: brokers), logger: logger)
    }

    /// The latest record of every graph still deployed, keyed by graph name.
    public func deployedGraphs(timeout: Duration = .seconds(10)) async throws -> [String: DeployedGraph] {
        var client = client
        client.clientID = "sluice-registry"
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: client, groupID: "sluice-registry-reader"), logger: logger)
        let scan: TopicScan?
        do {
            scan = try await TopicScan.read(Self.topic, consumer: consumer, client: client, logger: logger, timeout: timeout)
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        var graphs: [String: DeployedGraph] = [:]
        let decoder = JSONDecoder()
        for message in scan?.messages ?? [] {
            guard let key = message.key.map({ String(decoding: $0, as: UTF8.self) }) else { continue }
            guard !message.isTombstone else {
                graphs[key] = nil
                continue
            }
            do {
                graphs[key] = try decoder.decode(DeployedGraph.self, from: Data(message.value))
            } catch {
                logger.warning("unreadable record for graph '\(key)' in \(Self.topic) at offset \(message.offset): \(error)")
            }
        }
        return graphs
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
