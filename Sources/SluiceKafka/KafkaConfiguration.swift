/// Settings shared by every Kafka client: where the brokers are and any librdkafka property.
///
/// Typed properties cover the common knobs; ``properties`` passes anything else straight to librdkafka
/// (SASL/SSL for real clusters, tuning). An unknown property name fails client creation with
/// ``KafkaError/Code/invalidConfiguration``.
public struct KafkaClientOptions: Sendable {
    /// Comma-separated `host:port` list (`bootstrap.servers`).
    public var brokers: String
    /// `client.id`, shown in broker logs.
    public var clientID: String
    /// Any librdkafka property, applied after (and overriding) the typed settings.
    public var properties: [String: String]

    public init(brokers: String, clientID: String = "sluice", properties: [String: String] = [:]) {
        self.brokers = brokers
        self.clientID = clientID
        self.properties = properties
    }

    var librdkafkaProperties: [String: String] {
        ["bootstrap.servers": brokers, "client.id": clientID]
    }
}

/// How a ``KafkaProducer`` batches, compresses and acknowledges.
public struct KafkaProducerConfiguration: Sendable {
    /// Compression codec for produced batches (`compression.codec`).
    public enum Compression: String, Sendable { case none, gzip, snappy, lz4, zstd }

    public var client: KafkaClientOptions
    /// How long to wait to fill a batch (`linger.ms`).
    public var lingerMilliseconds: Int = 5
    /// Maximum batch size in bytes (`batch.size`).
    public var batchSizeBytes: Int = 1_000_000
    public var compression: Compression = .none
    /// Exactly-once per partition within a producer session (`enable.idempotence`), on by default.
    public var idempotence: Bool = true
    /// How long a message may wait for delivery before it fails (`message.timeout.ms`).
    public var messageTimeoutMilliseconds: Int = 30_000
    /// Set to make this producer transactional (`transactional.id`); see ``KafkaProducer/initTransactions(timeout:)``.
    public var transactionalID: String?
    /// Maximum messages waiting in the local queue (`queue.buffering.max.messages`).
    public var maxQueuedMessages: Int = 100_000

    public init(client: KafkaClientOptions) { self.client = client }

    /// The full librdkafka property map this configuration stands for.
    public var librdkafkaProperties: [String: String] {
        var p = client.librdkafkaProperties
        p["linger.ms"] = String(lingerMilliseconds)
        p["batch.size"] = String(batchSizeBytes)
        p["compression.codec"] = compression.rawValue
        p["enable.idempotence"] = String(idempotence || transactionalID != nil)
        p["acks"] = "all"
        p["message.timeout.ms"] = String(messageTimeoutMilliseconds)
        p["queue.buffering.max.messages"] = String(maxQueuedMessages)
        if let transactionalID { p["transactional.id"] = transactionalID }
        return p.merging(client.properties) { _, override in override }
    }
}

/// How a ``KafkaConsumer`` joins its group, fetches and commits.
///
/// The defaults suit a stream processor: offsets are committed only after the application stores them
/// (`enable.auto.offset.store=false`, then committed in the background every ``autoCommitIntervalMilliseconds``),
/// cooperative-sticky assignment, and group timeouts short enough for the development broker.
public struct KafkaConsumerConfiguration: Sendable {
    /// Where a group with no committed offset starts (`auto.offset.reset`).
    public enum OffsetReset: String, Sendable { case earliest, latest, error }
    /// Which messages of transactional producers are visible (`isolation.level`).
    public enum Isolation: String, Sendable {
        case readCommitted = "read_committed"
        case readUncommitted = "read_uncommitted"
    }
    /// Partition assignment strategy (`partition.assignment.strategy`).
    public enum Assignment: String, Sendable {
        case cooperativeSticky = "cooperative-sticky"
        case range
        case roundRobin = "roundrobin"
    }

    public var client: KafkaClientOptions
    /// The consumer group (`group.id`).
    public var groupID: String
    /// Static membership (`group.instance.id`): a restart within the session timeout keeps the assignment.
    public var groupInstanceID: String?
    public var offsetReset: OffsetReset = .earliest
    public var isolation: Isolation = .readCommitted
    public var assignment: Assignment = .cooperativeSticky
    public var sessionTimeoutMilliseconds: Int = 6_000
    public var maxPollIntervalMilliseconds: Int = 10_000
    public var heartbeatIntervalMilliseconds: Int = 1_000
    /// Upper bound on the latency a waiting fetch adds per hop (`fetch.wait.max.ms`).
    public var fetchWaitMaxMilliseconds: Int = 10
    /// Commit stored offsets in the background at this interval; 0 disables background commits.
    public var autoCommitIntervalMilliseconds: Int = 1_000
    /// Messages buffered between librdkafka and the ``KafkaConsumer/messages`` sequence before the consumer
    /// pauses fetching (it keeps polling, so the group never evicts it).
    public var bufferCapacity: Int = 10_000

    public init(client: KafkaClientOptions, groupID: String) {
        self.client = client
        self.groupID = groupID
    }

    /// The full librdkafka property map this configuration stands for.
    public var librdkafkaProperties: [String: String] {
        var p = client.librdkafkaProperties
        p["group.id"] = groupID
        if let groupInstanceID { p["group.instance.id"] = groupInstanceID }
        p["auto.offset.reset"] = offsetReset.rawValue
        p["isolation.level"] = isolation.rawValue
        p["partition.assignment.strategy"] = assignment.rawValue
        p["session.timeout.ms"] = String(sessionTimeoutMilliseconds)
        p["max.poll.interval.ms"] = String(maxPollIntervalMilliseconds)
        p["heartbeat.interval.ms"] = String(heartbeatIntervalMilliseconds)
        p["fetch.wait.max.ms"] = String(fetchWaitMaxMilliseconds)
        p["enable.auto.commit"] = String(autoCommitIntervalMilliseconds > 0)
        if autoCommitIntervalMilliseconds > 0 { p["auto.commit.interval.ms"] = String(autoCommitIntervalMilliseconds) }
        p["enable.auto.offset.store"] = "false"
        p["enable.partition.eof"] = "false"
        return p.merging(client.properties) { _, override in override }
    }
}
