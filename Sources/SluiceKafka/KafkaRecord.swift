/// A topic and one of its partitions.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// One Kafka record header. Header names may repeat within a message.
public struct KafkaHeader: Hashable, Sendable {
    public var name: String
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// A header whose value is a UTF-8 string.
    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }

    /// The value decoded as UTF-8, if any.
    public var stringValue: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}

/// A record to produce.
public struct KafkaRecord: Sendable {
    public var topic: String
    /// A fixed partition, or `nil` to let the partitioner choose by key (librdkafka's consistent-random).
    public var partition: Int32?
    public var key: [UInt8]?
    /// The value; `nil` is a tombstone (deletes the key from a compacted topic).
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Creation time in milliseconds since the epoch, or `nil` for now.
    public var timestampMilliseconds: Int64?

    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]?, headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// Where the broker stored a produced record.
public struct DeliveryReport: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
}

/// A consumed message.
public struct KafkaMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    /// The value (empty for a tombstone; see ``isTombstone``).
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Timestamp in milliseconds since the epoch, or `nil` if the broker gave none.
    public var timestampMilliseconds: Int64?
    /// Whether the value is null: a deletion marker on a compacted topic.
    public var isTombstone: Bool = false

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader],
        timestampMilliseconds: Int64?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    /// The first header with this name.
    public func header(_ name: String) -> KafkaHeader? { headers.first { $0.name == name } }
}

extension TopicPartition: Comparable {
    /// Orders by topic, then partition, so logs and commit lists come out in a stable order.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        lhs.topic == rhs.topic ? lhs.partition < rhs.partition : lhs.topic < rhs.topic
    }
}
