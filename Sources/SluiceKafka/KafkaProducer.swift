import Crdkafka
public import Logging

/// An asynchronous Kafka producer: batching, compression and idempotence by librdkafka, delivery reports
/// as `async` results.
///
/// ```
///  send(record) ──► librdkafka queue ──► broker
///       ▲                                  │ ack
///       └──── delivery report ◄── poll thread (dr_msg_cb) 
/// ```
/// Two ways to send: ``send(_:)`` awaits the broker's acknowledgement; ``produce(_:onDelivery:)`` returns as
/// soon as the record is queued and reports delivery to a callback, for pipelines that keep many records
/// in flight. ``close(timeout:)`` flushes and stops the poll thread; call it before dropping the producer.
public final class KafkaProducer: Sendable {
    /// Called once per record, on the producer's poll thread: keep it short.
    public typealias DeliveryHandler = @Sendable (Result<DeliveryReport, KafkaError>) -> Void

    let client: RDKafkaClient
    private let pollThread: PollThread
    /// Whether this producer was configured with a `transactional.id`.
    public let isTransactional: Bool

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        client = try RDKafkaClient(kind: .producer, properties: configuration.librdkafkaProperties, logger: logger) {
            _, conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                guard let message, let opaque = message.pointee._private else { return }
                let box = Unmanaged<DeliveryBox>.fromOpaque(opaque).takeRetainedValue()
                box.handler(KafkaProducer.result(of: message))
            }
        }
        isTransactional = configuration.transactionalID != nil
        pollThread = PollThread(name: "sluice.producer.poll") { [client] in _ = rd_kafka_poll(client.handle, 50) }
    }

    deinit {
        purgeAndStop()
    }

    /// Queues a record and returns its delivery report once the broker has acknowledged it.
    public func send(_ record: KafkaRecord) async throws(KafkaError) -> DeliveryReport {
        let result: Result<DeliveryReport, KafkaError> = await withCheckedContinuation { continuation in
            Task.immediate {
                do throws(KafkaError) {
                    try await produce(record) { continuation.resume(returning: $0) }
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Queues a record; `onDelivery` (if any) receives its delivery report. Waits only while librdkafka's
    /// local queue is full.
    public func produce(_ record: KafkaRecord, onDelivery: DeliveryHandler? = nil) async throws(KafkaError) {
        var backoff = Duration.microseconds(200)
        while true {
            let err = enqueue(record, onDelivery: onDelivery)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL, pollThread.isRunning else {
                throw client.fatalError() ?? KafkaError(err, context: "produce to \(record.topic)")
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .milliseconds(20))
        }
    }

    private func enqueue(_ record: KafkaRecord, onDelivery: DeliveryHandler?) -> rd_kafka_resp_err_t {
        let opaque = onDelivery.map { Unmanaged.passRetained(DeliveryBox($0)).toOpaque() }
        var headers: OpaquePointer? = nil
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                if let value = header.value {
                    value.withUnsafeBytes { _ = rd_kafka_header_add(headers, header.name, -1, $0.baseAddress, $0.count) }
                } else {
                    _ = rd_kafka_header_add(headers, header.name, -1, nil, 0)
                }
            }
        }
        let err = withOptionalBytes(record.value) { value in
            withOptionalBytes(record.key) { key in
                sluice_produce(
                    client.handle, record.topic, record.partition ?? RD_KAFKA_PARTITION_UA,
                    key?.baseAddress, key?.count ?? 0, value?.baseAddress, value?.count ?? 0, headers,
                    record.timestampMilliseconds ?? 0, opaque)
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if let headers { rd_kafka_headers_destroy(headers) }
            if let opaque { Unmanaged<DeliveryBox>.fromOpaque(opaque).release() }
        }
        return err
    }

    /// Waits until every queued record is delivered or failed.
    public func flush(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await client.blocking { [client] () throws(KafkaError) in
            let err = rd_kafka_flush(client.handle, timeout.milliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(err, context: "flush: \(rd_kafka_outq_len(client.handle)) records still queued")
            }
        }
    }

    /// Flushes (bounded by `timeout`), fails whatever is still queued, and stops the poll thread.
    public func close(timeout: Duration = .seconds(30)) async {
        do { try await flush(timeout: timeout) } catch { client.logger.warning("closing producer: \(error)") }
        purgeAndStop()
    }

    /// Records queued or in flight.
    public var outstandingCount: Int { Int(rd_kafka_outq_len(client.handle)) }

    private func purgeAndStop() {
        guard pollThread.isRunning else { return }
        pollThread.stop()
        // Fail what is left so every waiting `send` resumes, then serve those reports here.
        _ = rd_kafka_purge(client.handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        while rd_kafka_outq_len(client.handle) > 0, rd_kafka_poll(client.handle, 10) > 0 {}
        _ = rd_kafka_poll(client.handle, 0)
    }

    static func result(of message: UnsafePointer<rd_kafka_message_t>) -> Result<DeliveryReport, KafkaError> {
        let topic = String(cString: rd_kafka_topic_name(message.pointee.rkt))
        guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return .failure(KafkaError(message.pointee.err, context: "delivery to \(topic)"))
        }
        return .success(DeliveryReport(topic: topic, partition: message.pointee.partition, offset: message.pointee.offset))
    }
}

/// Carries a delivery handler through librdkafka's per-message opaque pointer.
private final class DeliveryBox: Sendable {
    let handler: KafkaProducer.DeliveryHandler
    init(_ handler: @escaping KafkaProducer.DeliveryHandler) { self.handler = handler }
}

func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
