import Crdkafka

/// A consumer group's progress on one partition.
public struct PartitionLag: Sendable, Hashable {
    public var topicPartition: TopicPartition
    /// The group's committed offset, or `nil` if it has committed none.
    public var committed: Int64?
    /// The partition's high watermark (next offset to be written).
    public var end: Int64
    /// Messages the group has not committed yet (`end - committed`, or `end - low` without a commit).
    public var lag: Int64
}

/// Consumer-group offsets: committed positions, lag, reset (replay) and deletion.
extension KafkaAdmin {
    /// The committed offsets of `group`, for all partitions it committed to (or only these).
    public func committedOffsets(
        group: String, partitions: Set<TopicPartition>? = nil, timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartition: Int64] {
        try await request("list offsets of group \(group)", timeout: timeout) { rk, options, queue in
            let list = partitions.map { TopicPartitionList.make($0) }
            defer { list.map { rd_kafka_topic_partition_list_destroy($0) } }
            var requests: [OpaquePointer?] = [rd_kafka_ListConsumerGroupOffsets_new(group, list)]
            defer { rd_kafka_ListConsumerGroupOffsets_destroy(requests[0]) }
            rd_kafka_ListConsumerGroupOffsets(rk, &requests, 1, options, queue)
        } read: { event throws(KafkaError) in
            var count = 0
            let groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
                rd_kafka_event_ListConsumerGroupOffsets_result(event), &count)
            return try Self.offsets(ofGroupResults: groups, count: count, context: "offsets of group \(group)")
        }
    }

    /// Lag per partition of `topics` for `group`.
    public func lag(group: String, topics: [String], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [PartitionLag] {
        let described = try await describeTopics(topics, timeout: timeout)
        let partitions = described.values.flatMap { t in (0..<t.partitions).map { TopicPartition(topic: t.name, partition: $0) } }
        let committed = try await committedOffsets(group: group, partitions: Set(partitions), timeout: timeout)
        var result: [PartitionLag] = []
        for tp in partitions.sorted() {
            let (low, high) = try await watermarks(of: tp, timeout: timeout)
            let offset = committed[tp].flatMap { $0 >= 0 ? $0 : nil }
            result.append(PartitionLag(topicPartition: tp, committed: offset, end: high, lag: max(0, high - (offset ?? low))))
        }
        return result
    }

    /// Sets the committed offsets of an inactive group (replay: reset to earlier offsets, then start it).
    public func alterCommittedOffsets(
        group: String, offsets: [TopicPartition: Int64], timeout: Duration = .seconds(10)
    ) async throws(KafkaError) {
        let entries = offsets.map { ($0.key, $0.value) }
        _ = try await request("alter offsets of group \(group)", timeout: timeout) { rk, options, queue in
            let list = TopicPartitionList.make(entries)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            var requests: [OpaquePointer?] = [rd_kafka_AlterConsumerGroupOffsets_new(group, list)]
            defer { rd_kafka_AlterConsumerGroupOffsets_destroy(requests[0]) }
            rd_kafka_AlterConsumerGroupOffsets(rk, &requests, 1, options, queue)
        } read: { event throws(KafkaError) in
            var count = 0
            let groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
                rd_kafka_event_AlterConsumerGroupOffsets_result(event), &count)
            return try Self.offsets(ofGroupResults: groups, count: count, context: "alter offsets of group \(group)")
        }
    }

    /// Deletes consumer groups (they must have no active members); an unknown group is not an error.
    public func deleteGroups(_ groups: [String], timeout: Duration = .seconds(10)) async throws(KafkaError) {
        guard !groups.isEmpty else { return }
        try await request("delete groups", timeout: timeout) { rk, options, queue in
            var requests: [OpaquePointer?] = groups.map { rd_kafka_DeleteGroup_new($0) }
            defer { requests.forEach { rd_kafka_DeleteGroup_destroy($0) } }
            rd_kafka_DeleteGroups(rk, &requests, requests.count, options, queue)
        } read: { event throws(KafkaError) in
            var count = 0
            let results = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(event), &count)
            for i in 0..<count {
                guard let result = results?[i], let error = rd_kafka_group_result_error(result) else { continue }
                let code = rd_kafka_error_code(error)
                if code == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND { continue }
                throw KafkaError(code, context: "delete group \(String(cString: rd_kafka_group_result_name(result)))")
            }
        }
    }

    static func offsets(
        ofGroupResults results: UnsafePointer<OpaquePointer?>?, count: Int, context: String
    ) throws(KafkaError) -> [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        for i in 0..<count {
            guard let result = results?[i] else { continue }
            if let error = rd_kafka_group_result_error(result) {
                throw KafkaError(rd_kafka_error_code(error), context: context)
            }
            guard let list = rd_kafka_group_result_partitions(result) else { continue }
            for entry in TopicPartitionList.entries(of: list) {
                guard entry.error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(entry.error, context: "\(context) \(entry.topicPartition)") }
                offsets[entry.topicPartition] = entry.offset
            }
        }
        return offsets
    }
}
