import Foundation
import Synchronization
public import Logging
public import SluiceKafka
public import Testing

/// Helpers for tests against the broker named by `SLUICE_BROKERS` (`make test` starts one).
public enum TestKafka {
    public struct MissingBroker: Error, CustomStringConvertible {
        public var description: String { "SLUICE_BROKERS is not set: run the tests with `make test`, which starts a broker" }
    }

    public static func brokers() throws -> String {
        guard let brokers = ProcessInfo.processInfo.environment["SLUICE_BROKERS"], !brokers.isEmpty else {
            throw MissingBroker()
        }
        return brokers
    }

    /// Whether the broker is the local Tansu that `make test` starts (rather than a cluster named by the user).
    public static var isTansu: Bool { ProcessInfo.processInfo.environment["SLUICE_TEST_BROKER"] == "tansu" }

    /// Runs `body`; on Tansu, whose gap `limitation` names, its failures are expected (and their absence is
    /// reported, so the test notices when Tansu closes the gap, unless `isIntermittent`: the gap shows only in
    /// some runs). On any other broker it must pass.
    public static func onTansuKnownIssue(
        _ limitation: Comment, isIntermittent: Bool = false, _ body: () async throws -> Void
    ) async {
        if isTansu {
            await withKnownIssue(limitation, isIntermittent: isIntermittent) { try await body() }
        } else {
            do { try await body() } catch { Issue.record(error) }
        }
    }

    public static let logger: Logger = {
        var logger = Logger(label: "sluice.test")
        // SLUICE_TEST_LOG=info (or debug) shows rebalances and worker progress.
        logger.logLevel =
            ProcessInfo.processInfo.environment["SLUICE_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        return logger
    }()

    public static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    public static func admin() throws -> KafkaAdmin {
        try KafkaAdmin(options: KafkaClientOptions(brokers: brokers()), logger: logger)
    }

    public static func producer(_ configure: (inout KafkaProducerConfiguration) -> Void = { _ in }) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(client: KafkaClientOptions(brokers: try brokers()))
        configure(&configuration)
        return try KafkaProducer(configuration: configuration, logger: logger)
    }

    /// Tansu 0.6 answers a "latest offset" request with the last record batch's base offset + 1, so tests
    /// that assert lag produce one record per batch (Apache Kafka needs no such care).
    public static func singleRecordBatchProducer() throws -> KafkaProducer {
        try producer { $0.client.properties["batch.num.messages"] = "1" }
    }

    public static func consumer(
        group: String = unique("reader"), _ configure: (inout KafkaConsumerConfiguration) -> Void = { _ in },
        onRebalance: KafkaConsumer.RebalanceHandler? = nil
    ) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(client: KafkaClientOptions(brokers: try brokers()), groupID: group)
        configure(&configuration)
        return try KafkaConsumer(configuration: configuration, logger: logger, onRebalance: onRebalance)
    }

    /// Creates a uniquely named topic, runs `body`, and deletes the topic whatever happens.
    public static func withTopic<T>(
        partitions: Int32 = 1, configs: [String: String] = [:], _ body: (String) async throws -> T
    ) async throws -> T {
        let admin = try admin()
        let topic = unique("test")
        try await admin.createTopics([NewTopic(name: topic, partitions: partitions, configs: configs)])
        do {
            let result = try await body(topic)
            try? await admin.deleteTopics([topic])
            return result
        } catch {
            try? await admin.deleteTopics([topic])
            throw error
        }
    }

    /// Produces records in order and waits for every delivery report.
    @discardableResult
    public static func produce(_ producer: KafkaProducer, _ records: [KafkaRecord]) async throws -> [DeliveryReport] {
        let reports = Mutex<[Result<DeliveryReport, KafkaError>]>([])
        for record in records {
            try await producer.produce(record) { result in reports.withLock { $0.append(result) } }
        }
        try await producer.flush()
        return try reports.withLock { $0 }.map { try $0.get() }
    }

    /// Per partition, the offset after the last delivered record: what a consumer that processed them all commits.
    public static func endOffsets(of reports: some Sequence<DeliveryReport>) -> [TopicPartition: Int64] {
        var ends: [TopicPartition: Int64] = [:]
        for report in reports {
            let partition = TopicPartition(topic: report.topic, partition: report.partition)
            ends[partition] = max(ends[partition] ?? 0, report.offset + 1)
        }
        return ends
    }

    /// Reads `topic` from the beginning in a fresh group: `count` messages, then waits `quiet` for any extra.
    public static func read(
        _ topic: String, count: Int, timeout: Duration = .seconds(60), quiet: Duration = .seconds(2)
    ) async throws -> [KafkaMessage] {
        let consumer = try consumer()
        try consumer.subscribe(topics: [topic])
        var received = await consumer.collect(count, timeout: timeout)
        received += await consumer.collect(Int.max, timeout: quiet)
        await consumer.close()
        return received
    }

    /// Produces records `"<i>"` (keys `k<i % keys>`) in order and waits for all delivery reports.
    @discardableResult
    public static func produce(
        _ producer: KafkaProducer, topic: String, range: Range<Int>, keys: Int = 16, timestamp: Int64? = nil
    ) async throws -> [DeliveryReport] {
        try await produce(producer, range.map { i in
            KafkaRecord(topic: topic, key: Array("k\(i % keys)".utf8), value: Array("\(i)".utf8), timestampMilliseconds: timestamp)
        })
    }
}

extension KafkaConsumer {
    /// Reads until `count` messages arrived or `timeout` passed, whichever is first.
    public func collect(_ count: Int, timeout: Duration = .seconds(30), store: Bool = false) async -> [KafkaMessage] {
        guard count > 0 else { return [] }
        return await withTaskGroup(of: [KafkaMessage]?.self) { group in
            group.addTask {
                var received: [KafkaMessage] = []
                for await message in self.messages {
                    received.append(message)
                    if store { try? self.store([message.topicPartition: message.offset + 1]) }
                    if received.count >= count { break }
                }
                return received
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            if let received = first { return received }
            return await group.next()! ?? []
        }
    }

    /// Waits until the assignment satisfies `condition`.
    public func waitForAssignment(timeout: Duration = .seconds(30), _ condition: (Set<TopicPartition>) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(assignment) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition(assignment)
    }
}

extension KafkaMessage {
    /// The record's value as the integer the test helpers produce.
    public var number: Int { Int(String(decoding: value, as: UTF8.self))! }
}
