/// One partition of one Kafka topic: the unit that offsets, commits and assignments refer to.
public struct TopicPartition: Hashable, Sendable {
    /// The topic name.
    public var topic: String
    /// The partition number within ``topic``.
    public var partition: Int32

    /// Creates a topic-partition.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
}

extension TopicPartition: CustomStringConvertible {
    /// `topic[partition]`, the form used in logs.
    public var description: String { "\(topic)[\(partition)]" }
}

extension TopicPartition: Comparable {
    /// Orders by topic, then partition, so logs and commit lists come out in a stable order.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        lhs.topic == rhs.topic ? lhs.partition < rhs.partition : lhs.topic < rhs.topic
    }
}
