import Crdkafka

/// Bridges Swift offsets maps and librdkafka's `rd_kafka_topic_partition_list_t`.
enum TopicPartitionList {
    typealias Pointer = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// A new list (owned by the caller: destroy with `rd_kafka_topic_partition_list_destroy`).
    static func make(_ entries: some Collection<(TopicPartition, Int64)>) -> Pointer {
        let list = rd_kafka_topic_partition_list_new(Int32(entries.count))!
        for (tp, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)!
            element.pointee.offset = offset
        }
        return list
    }

    static func make(_ partitions: some Collection<TopicPartition>, offset: Int64 = Int64(RD_KAFKA_OFFSET_INVALID)) -> Pointer {
        make(partitions.map { ($0, offset) })
    }

    /// Runs `body` with a temporary list and destroys it afterwards.
    static func with<T>(_ entries: some Collection<(TopicPartition, Int64)>, _ body: (Pointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        let list = make(entries)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return try body(list)
    }

    struct Entry {
        var topicPartition: TopicPartition
        var offset: Int64
        var error: rd_kafka_resp_err_t
    }

    static func entries(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [Entry] {
        (0..<Int(list.pointee.cnt)).map { i in
            let element = list.pointee.elems[i]
            return Entry(
                topicPartition: TopicPartition(topic: String(cString: element.topic), partition: element.partition),
                offset: element.offset, error: element.err)
        }
    }

    /// Throws the first per-partition error in the list, naming the partition.
    static func checkErrors(of list: UnsafePointer<rd_kafka_topic_partition_list_t>, context: String) throws(KafkaError) {
        for entry in entries(of: list) where entry.error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(entry.error, context: "\(context) \(entry.topicPartition)")
        }
    }
}
