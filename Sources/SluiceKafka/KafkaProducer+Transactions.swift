import Crdkafka

/// Transactions for consume-transform-produce relays (exactly-once).
///
/// ```swift
/// try await producer.initTransactions()
/// try producer.beginTransaction()
/// try await producer.produce(output)
/// try await producer.sendOffsetsToTransaction(consumed, consumer: consumer)
/// try await producer.commitTransaction()   // or abortTransaction() on error
/// ```
/// A `read_committed` consumer sees the outputs only after the commit, never after an abort, and the
/// consumed offsets are committed atomically with them.
extension KafkaProducer {
    /// Registers the `transactional.id` with the coordinator and fences older producers using it.
    public func initTransactions(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await transactionCall("init transactions") { rd_kafka_init_transactions($0, timeout.milliseconds) }
    }

    /// Starts a transaction; everything produced until commit or abort belongs to it.
    public func beginTransaction() throws(KafkaError) {
        if let error = rd_kafka_begin_transaction(client.handle) {
            throw KafkaError(consuming: error, context: "begin transaction")
        }
    }

    /// Adds consumed offsets (next offset to read, per partition) of `consumer`'s group to the transaction.
    public func sendOffsetsToTransaction(
        _ offsets: [TopicPartition: Int64], consumer: KafkaConsumer, timeout: Duration = .seconds(30)
    ) async throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let consumerClient = consumer.client
        try await transactionCall("send offsets to transaction") { handle in
            let metadata = rd_kafka_consumer_group_metadata(consumerClient.handle)
            defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
            let list = TopicPartitionList.make(offsets.map { ($0.key, $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return rd_kafka_send_offsets_to_transaction(handle, list, metadata, timeout.milliseconds)
        }
    }

    /// Flushes and commits the current transaction.
    public func commitTransaction(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await transactionCall("commit transaction") { rd_kafka_commit_transaction($0, timeout.milliseconds) }
    }

    /// Aborts the current transaction; its records are never visible to `read_committed` consumers.
    public func abortTransaction(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await transactionCall("abort transaction") { rd_kafka_abort_transaction($0, timeout.milliseconds) }
    }

    private func transactionCall(
        _ what: String, _ call: @escaping @Sendable (OpaquePointer) -> OpaquePointer?
    ) async throws(KafkaError) {
        guard isTransactional else {
            throw KafkaError(code: .invalidArgument, message: "\(what): producer has no transactionalID")
        }
        try await client.blocking { [client] () throws(KafkaError) in
            if let error = call(client.handle) { throw KafkaError(consuming: error, context: what) }
        }
    }
}
