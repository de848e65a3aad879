import Crdkafka
import Synchronization
public import Logging

/// An asynchronous Kafka producer: batching, compression and idempotence by librdkafka, delivery reports
/// as `async` results.
///
/// ```
///  send(record) ──► librdkafka queue ──► broker
///       ▲                                  │ ack
///       └──── delivery report ◄── poll thread (dr_msg_cb) 
/// ```
/// Three ways to send: ``send(_:)`` awaits the broker's acknowledgement; ``produce(_:onDelivery:)`` returns as
/// soon as the record is queued and reports delivery to a callback, for pipelines that keep many records
/// in flight; ``produce(_:tag:)`` reports to the producer's one tagged handler, without an allocation per
/// record, for the hottest paths (``produceIfRoom(_:tag:)`` is the same without an `async` call).
/// ``close(timeout:)`` flushes and stops the poll thread; call it before dropping the producer.
public final class KafkaProducer: Sendable {
    /// Called once per record, on the producer's poll thread: keep it short.
    public typealias DeliveryHandler = @Sendable (Result<DeliveryReport, KafkaError>) -> Void
    /// Receives the delivery reports of records produced with ``produce(_:tag:)``, a batch at a time (all those
    /// one poll of librdkafka served), on the producer's poll thread.
    public typealias TaggedDeliveryHandler = @Sendable (TaggedDeliveries) -> Void

    let client: RDKafkaClient
    private let pollThread: PollThread
    /// librdkafka topic handles by name, made once per topic: producing through a handle skips librdkafka's
    /// lookup by name and Swift's C-string copy of the name for every record.
    private let topics = Mutex(TopicHandles())
    /// Whether this producer was configured with a `transactional.id`.
    public let isTransactional: Bool

    /// - Parameter onTaggedDelivery: receives the delivery reports of records sent with ``produce(_:tag:)``.
    public init(
        configuration: KafkaProducerConfiguration, logger: Logger, onTaggedDelivery: TaggedDeliveryHandler? = nil
    ) throws(KafkaError) {
        client = try RDKafkaClient(kind: .producer, properties: configuration.librdkafkaProperties, logger: logger) {
            context, conf in
            context.onTaggedDelivery = onTaggedDelivery
            rd_kafka_conf_set_dr_msg_cb(conf) { rk, message, _ in
                guard let rk, let message, let opaque = message.pointee._private,
                    let context = RDKafkaClient.context(of: rk)
                else { return }
                let bits = Int(bitPattern: opaque)
                if bits & 1 == 1 {
                    context.withDeliveryReports { $0.addTagged(bits >> 1, message) }
                } else {
                    // The handler runs outside the lock: it is the caller's code.
                    let result = context.withDeliveryReports { $0.result(of: message) }
                    Unmanaged<DeliveryBox>.fromOpaque(opaque).takeRetainedValue().handler(result)
                }
            }
        }
        isTransactional = configuration.transactionalID != nil
        pollThread = PollThread(name: "sluice.producer") { [client] in _ = client.pollDeliveries(timeout: 50) }
    }

    deinit {
        purgeAndStop()
        for handle in topics.withLock({ $0.all }) { rd_kafka_topic_destroy(handle) }
    }

    private func topicHandle(_ name: String) -> OpaquePointer? {
        topics.withLock { $0.handle(of: name) { rd_kafka_topic_new(client.handle, name, nil) } }
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
        try await produce(record) { onDelivery.map { Unmanaged.passRetained(DeliveryBox($0)).toOpaque() } }
    }

    /// Queues a record whose delivery report goes to the `onTaggedDelivery` handler given at creation, with
    /// `tag` (at most `Int.max >> 1`). Waits only while librdkafka's local queue is full.
    public func produce(_ record: KafkaRecord, tag: Int) async throws(KafkaError) {
        try await produce(record) { Self.opaque(tag: tag) }
    }

    /// ``produce(_:tag:)`` without waiting, and without an `async` call: queues the record unless librdkafka's
    /// local queue is full.
    ///
    /// - Returns: `false` if the queue is full and nothing was queued; ``produce(_:tag:)`` waits for room.
    public func produceIfRoom(_ record: KafkaRecord, tag: Int) throws(KafkaError) -> Bool {
        try tryEnqueue(record, opaque: Self.opaque(tag: tag))
    }

    /// An odd opaque is a tag; a ``DeliveryBox`` pointer is always even (aligned).
    private static func opaque(tag: Int) -> UnsafeMutableRawPointer? {
        precondition(tag >= 0 && tag <= Int.max >> 1, "delivery tag out of range")
        return UnsafeMutableRawPointer(bitPattern: tag << 1 | 1)
    }

    private func produce(
        _ record: KafkaRecord, opaque makeOpaque: () -> UnsafeMutableRawPointer?
    ) async throws(KafkaError) {
        var backoff = Duration.microseconds(200)
        while try !tryEnqueue(record, opaque: makeOpaque()) {
            await Self.wait(backoff)
            backoff = min(backoff * 2, .milliseconds(20))
        }
    }

    /// Waits `duration`, also in a cancelled task, whose own `Task.sleep` returns at once: a caller that is
    /// stopping still needs the room it waits for, and should not spin for it.
    private static func wait(_ duration: Duration) async {
        guard Task.isCancelled else {
            try? await Task.sleep(for: duration)
            return
        }
        await Task.detached { try? await Task.sleep(for: duration) }.value
    }

    /// Queues `record`, or finds librdkafka's local queue full (nothing queued, what `opaque` holds released).
    ///
    /// - Returns: whether it was queued.
    /// - Throws: why it cannot be queued at all.
    private func tryEnqueue(_ record: KafkaRecord, opaque: UnsafeMutableRawPointer?) throws(KafkaError) -> Bool {
        let err = enqueue(record, opaque: opaque)
        if err == RD_KAFKA_RESP_ERR_NO_ERROR { return true }
        guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL, pollThread.isRunning else {
            throw client.fatalError() ?? KafkaError(err, context: "produce to \(record.topic)")
        }
        return false
    }

    /// Queues `record`; on failure releases what `opaque` holds.
    private func enqueue(_ record: KafkaRecord, opaque: UnsafeMutableRawPointer?) -> rd_kafka_resp_err_t {
        guard let topic = topicHandle(record.topic) else {
            Self.releaseDeliveryBox(opaque)
            return rd_kafka_last_error()
        }
        var headers: OpaquePointer? = nil
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            // Each header is read in place, through the buffer: a `for header in` loop would copy every header,
            // retaining and releasing its name and value.
            record.headers.withUnsafeBufferPointer { list in
                for index in list.indices {
                    // withCString borrows a native string's bytes; passing the String itself would copy them each
                    // time. Given its length, librdkafka need not measure the name with strlen.
                    let nameLength = list[index].name.utf8.count
                    list[index].name.withCString { name in
                        let added = list[index].value?.withUnsafeBytes {
                            rd_kafka_header_add(headers, name, nameLength, $0.baseAddress, $0.count)
                        }
                        if added == nil { _ = rd_kafka_header_add(headers, name, nameLength, nil, 0) }
                    }
                }
            }
        }
        let err = withOptionalBytes(record.value) { value in
            withOptionalBytes(record.key) { key in
                sluice_produce(
                    client.handle, topic, record.partition ?? RD_KAFKA_PARTITION_UA,
                    key?.baseAddress, key?.count ?? 0, value?.baseAddress, value?.count ?? 0, headers,
                    record.timestampMilliseconds ?? 0, opaque)
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if let headers { rd_kafka_headers_destroy(headers) }
            Self.releaseDeliveryBox(opaque)
        }
        return err
    }

    /// Releases the ``DeliveryBox`` an opaque holds, if it holds one (a tag does not), for a record never queued.
    private static func releaseDeliveryBox(_ opaque: UnsafeMutableRawPointer?) {
        if let opaque, Int(bitPattern: opaque) & 1 == 0 { Unmanaged<DeliveryBox>.fromOpaque(opaque).release() }
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
        while rd_kafka_outq_len(client.handle) > 0, client.pollDeliveries(timeout: 10) > 0 {}
        _ = client.pollDeliveries(timeout: 0)
    }

    static func result(
        of message: UnsafePointer<rd_kafka_message_t>, topic: String
    ) -> Result<DeliveryReport, KafkaError> {
        guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return .failure(KafkaError(message.pointee.err, context: "delivery to \(topic)"))
        }
        return .success(DeliveryReport(topic: topic, partition: message.pointee.partition, offset: message.pointee.offset))
    }
}

/// The delivery reports of tagged records that one poll served.
public struct TaggedDeliveries: Sendable {
    /// Tags of the records the broker acknowledged, in report order.
    public var acknowledged: [Int] = []
    /// Tags of the records that failed, with why.
    public var failed: [(tag: Int, error: KafkaError)] = []

    public var isEmpty: Bool { acknowledged.isEmpty && failed.isEmpty }
}

/// The state delivery-report callbacks build up between two polls: tagged reports for the tagged handler, and the
/// topic names reports carry.
struct DeliveryReports {
    /// Tagged reports not yet handed to the tagged handler.
    private var tagged = TaggedDeliveries()
    private var topicNames = TopicNames()

    /// The report of `message`.
    mutating func result(of message: UnsafePointer<rd_kafka_message_t>) -> Result<DeliveryReport, KafkaError> {
        KafkaProducer.result(of: message, topic: topicNames.name(of: message.pointee.rkt))
    }

    /// Records the report of the record tagged `tag`: an acknowledgement keeps only the tag (no report, no topic
    /// name), a failure its error.
    mutating func addTagged(_ tag: Int, _ message: UnsafePointer<rd_kafka_message_t>) {
        guard message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR else { return tagged.acknowledged.append(tag) }
        if case .failure(let error) = result(of: message) { tagged.failed.append((tag, error)) }
    }

    /// The tagged reports gathered so far; they are forgotten here.
    mutating func takeTagged() -> TaggedDeliveries {
        defer { tagged = TaggedDeliveries() }
        return tagged
    }
}

extension RDKafkaClient {
    /// Serves the producer's queued callbacks (waiting up to `timeout` ms for the first), then hands the tagged
    /// delivery reports they produced to the tagged handler in one call.
    ///
    /// - Returns: how many events were served.
    func pollDeliveries(timeout: Int32) -> Int32 {
        let served = rd_kafka_poll(handle, timeout)
        guard let context = RDKafkaClient.context(of: handle) else { return served }
        // Taken even without a handler, so reports of records tagged with no one to receive them do not pile up.
        let batch = context.withDeliveryReports { $0.takeTagged() }
        if !batch.isEmpty { context.onTaggedDelivery?(batch) }
        return served
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
