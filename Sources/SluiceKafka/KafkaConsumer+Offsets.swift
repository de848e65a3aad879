import Crdkafka
import Dispatch
import Synchronization

/// Special offsets understood by ``KafkaConsumer/assign(_:)`` and ``KafkaConsumer/seek(_:timeout:)``.
public enum KafkaOffset {
    /// The oldest retained message.
    public static let beginning: Int64 = Int64(RD_KAFKA_OFFSET_BEGINNING)
    /// After the newest message: only new messages are read.
    public static let end: Int64 = Int64(RD_KAFKA_OFFSET_END)
    /// The group's committed offset (or `auto.offset.reset` without one).
    public static let stored: Int64 = Int64(RD_KAFKA_OFFSET_STORED)
}

/// Offsets: store, commit, committed, seek, and offsets for a timestamp.
///
/// Offsets follow Kafka's convention: the offset to commit for a partition is the *next* one to read,
/// i.e. the last processed offset + 1.
extension KafkaConsumer {
    /// Marks offsets as processed; the background commit (every `autoCommitIntervalMilliseconds`) and
    /// ``close()`` commit them. Nothing is committed that was not stored.
    public func store(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try TopicPartitionList.with(offsets.map { ($0.key, $0.value) }) { list throws(KafkaError) in
            let err = rd_kafka_offsets_store(client.handle, list)
            // Per-partition errors (e.g. a partition revoked meanwhile) are reported in the list.
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__STATE {
                throw KafkaError(err, context: "store offsets")
            }
            try TopicPartitionList.checkErrors(of: list, context: "store offset of")
        }
    }

    /// Commits these offsets now and waits for the broker; with `nil`, commits the stored offsets.
    public func commit(_ offsets: [TopicPartition: Int64]? = nil) async throws(KafkaError) {
        let entries = offsets.map { $0.map { ($0.key, $0.value) } }
        try await client.blocking { [client] () throws(KafkaError) in
            let list = entries.map { TopicPartitionList.make($0) }
            defer { list.map { rd_kafka_topic_partition_list_destroy($0) } }
            let err = rd_kafka_commit(client.handle, list, 0)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR || (offsets == nil && err == RD_KAFKA_RESP_ERR__NO_OFFSET) else {
                throw KafkaError(err, context: "commit offsets")
            }
        }
    }

    /// The group's committed offsets for these partitions (``KafkaOffset/stored`` marks none).
    public func committed(
        _ partitions: Set<TopicPartition>, timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartition: Int64] {
        try await client.blocking { [client] () throws(KafkaError) in
            let list = TopicPartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(client.handle, list, timeout.milliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "committed offsets") }
            try TopicPartitionList.checkErrors(of: list, context: "committed offset of")
            return Dictionary(uniqueKeysWithValues: TopicPartitionList.entries(of: list).map { ($0.topicPartition, $0.offset) })
        }
    }

    /// Moves the read position of assigned partitions; buffered messages of them are discarded.
    public func seek(_ offsets: [TopicPartition: Int64], timeout: Duration = .seconds(10)) async throws(KafkaError) {
        try updateFlow { $0.discardBuffered(Set(offsets.keys)) }
        let entries = offsets.map { ($0.key, $0.value) }
        try await client.blocking { [client] () throws(KafkaError) in
            let list = TopicPartitionList.make(entries)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let error = rd_kafka_seek_partitions(client.handle, list, timeout.milliseconds) {
                throw KafkaError(consuming: error, context: "seek")
            }
            try TopicPartitionList.checkErrors(of: list, context: "seek")
        }
        try updateFlow { $0.discardBuffered(Set(offsets.keys)) }
    }

    /// For each partition, the earliest offset whose timestamp is at or after `timestampMilliseconds`
    /// (``KafkaOffset/end`` if none is).
    public func offsets(
        forTimestamp timestampMilliseconds: Int64, partitions: Set<TopicPartition>, timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartition: Int64] {
        try await client.blocking { [client] () throws(KafkaError) in
            let list = TopicPartitionList.make(partitions, offset: timestampMilliseconds)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_offsets_for_times(client.handle, list, timeout.milliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "offsets for timestamp") }
            try TopicPartitionList.checkErrors(of: list, context: "offset for timestamp of")
            return Dictionary(uniqueKeysWithValues: TopicPartitionList.entries(of: list).map { ($0.topicPartition, $0.offset) })
        }
    }

    /// Reads these partitions again from `timestampMilliseconds` on, without group coordination: starts at
    /// the broker's offset for that time and drops any earlier message still delivered, so the first
    /// message of each partition is the first at or after the timestamp, even on brokers whose
    /// offset-for-timestamp answer is coarse.
    public func replay(fromTimestamp timestampMilliseconds: Int64, partitions: Set<TopicPartition>) async throws(KafkaError) {
        let offsets = try await offsets(forTimestamp: timestampMilliseconds, partitions: partitions)
        withBuffer { $0.skip(olderThan: timestampMilliseconds, in: partitions) }
        try assign(offsets)
    }

    // MARK: - Rebalance

    /// Called by librdkafka on the poll thread (or inside `rd_kafka_consumer_close`).
    func handleRebalance(
        _ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let partitions = Set(TopicPartitionList.entries(of: list).map(\.topicPartition))
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, list) {
                    client.logger.error("assign: \(KafkaError(consuming: error))")
                }
            } else {
                _ = rd_kafka_assign(rk, list)
            }
            try? updateFlow { $0.assign(partitions) }
            client.logger.info("assigned \(partitions.count) partition(s)", metadata: ["kafka.partitions": "\(partitions.sorted())"])
            runRebalanceHandler(.assigned(partitions))
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            try? updateFlow { $0.revoke(partitions) }
            revocations.add(1, ordering: .releasing)
            client.logger.info("\(lost ? "lost" : "revoked") \(partitions.count) partition(s)")
            runRebalanceHandler(lost ? .lost(partitions) : .revoked(partitions))
            if !lost {
                let commitErr = rd_kafka_commit(rk, nil, 0)
                if commitErr != RD_KAFKA_RESP_ERR_NO_ERROR && commitErr != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    client.logger.warning("commit on revoke: \(KafkaError(commitErr))")
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) {
                    client.logger.error("unassign: \(KafkaError(consuming: error))")
                }
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        default:
            client.logger.error("rebalance failed: \(KafkaError(err))")
            _ = rd_kafka_assign(rk, nil)
        }
    }

    /// Runs the async handler and blocks the poll thread until it returns, so offsets do not move meanwhile.
    private func runRebalanceHandler(_ event: RebalanceEvent) {
        guard let handler = rebalanceHandler else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            await handler(event)
            done.signal()
        }
        done.wait()
    }
}
