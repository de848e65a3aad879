import Logging
import SluiceKafka

/// `delivery: exactly-once`: consume-transform-produce transactions.
///
/// ```
/// node.process ─▶ outputs held (HeldOutputs) ──┐  every transactionInterval, or when half the budget is held:
///                                               ├─▶ begin ─▶ produce held outputs ─▶ send offsets ─▶ commit
/// OffsetWatermark (contiguous finished) ───────┘
/// ```
/// An input's outputs are produced only in the transaction that also commits an offset past the input, so a
/// `read_committed` reader sees each output once: a crash before the commit loses both (the next owner processes
/// the input again), a crash after it loses neither. The producer's `transactional.id` is derived from the
/// instance id, so a restarted instance fences its predecessor and aborts its open transaction.
///
/// A failed transaction is aborted and the worker stops with the error (``WorkerHost/run()`` throws): the
/// process restarts and resumes from the last committed offsets. Rewinding in process (seek back, drop the
/// in-flight state) would avoid the restart, but a failed commit is rare and a restart is simpler to get right.
extension WorkerHost {
    /// `group/instance`: stable for a stable instance id, unique per node.
    var transactionalID: String { "\(topology.consumerGroup)/\(instanceID)" }

    /// Held inputs that start a transaction before its interval is up: half the pending budget.
    var transactionTrigger: Int { max(1, max(configuration.maxPendingInputs, 2 * spec.concurrency) / 2) }

    /// Asks the transaction loop for a transaction now.
    func requestTransaction() {
        control.withLock { $0.transactionRequests }?.yield()
    }

    /// Runs a transaction whenever one is requested, until the requests end.
    func runTransactions(_ requests: AsyncStream<Void>) async {
        for await _ in requests { await commitTransaction() }
    }

    /// Requests a transaction every ``WorkerConfiguration/transactionInterval`` until cancelled.
    func tickTransactions() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.transactionInterval)
            requestTransaction()
        }
    }

    /// Commits the held outputs of every input below the committable positions together with those positions, in
    /// one transaction; one at a time. Does nothing once the host failed or was abandoned.
    func commitTransaction() async {
        await transactionLock.withLock {
            let (clients, stopped) = control.withLock { control in
                ((control.consumer, control.producer), control.failure != nil || control.abandoned)
            }
            guard !stopped, let consumer = clients.0, let producer = clients.1 else { return }
            let batch = state.withLock { $0.takeTransaction() }
            guard !batch.isEmpty else { return }
            do {
                try producer.beginTransaction()
                for record in batch.records { try await producer.produce(record) }
                if control.withLock({ $0.abandoned }) {
                    // Cancelled without a graceful drain, as a crash would: the inputs stay uncommitted.
                    try await producer.abortTransaction()
                    return
                }
                try await producer.sendOffsetsToTransaction(batch.offsets, consumer: consumer)
                try await producer.commitTransaction()
                pending.release(batch.inputs)
                metrics.transactions.increment()
            } catch {
                // A fenced producer's transaction was aborted by its successor already.
                let kafkaError = error as? KafkaError
                if kafkaError?.isFatal != true, kafkaError?.isFenced != true {
                    do { try await producer.abortTransaction() } catch {
                        logger.warning("aborting the failed transaction failed: \(error)")
                    }
                }
                logger.error(
                    "transaction of \(batch.inputs) input(s) failed and was aborted; stopping so a restart resumes from the committed offsets",
                    metadata: [MetadataKey.offsets: "\(batch.offsets)"])
                fail(error)
            }
        }
    }

    /// On revoke, once the running inputs of `partitions` are done: commits them, then forgets the partitions
    /// and whatever of them is still held (above an unfinished input; the next owner processes it again).
    func commitBeforeRevoke(_ partitions: Set<TopicPartition>) async {
        await commitTransaction()
        let dropped = state.withLock { state in
            _ = state.endRevoke(partitions)
            return state.dropHeld(partitions)
        }
        pending.release(dropped)
    }
}
