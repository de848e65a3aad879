import Crdkafka
import Dispatch
import Logging
import Synchronization

/// Owns one `rd_kafka_t` and the Swift state its C callbacks reach through the opaque pointer.
///
/// The only type that creates or destroys a librdkafka handle. Blocking librdkafka calls go through
/// ``blocking(_:)``, which runs them on a dispatch queue this layer owns, never on Swift's cooperative pool.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind { case producer, consumer }

    let handle: OpaquePointer
    let logger: Logger
    /// `bootstrap.servers`, for error messages.
    let brokers: String
    private let context: Unmanaged<CallbackContext>

    /// Swift state reachable from C callbacks via `rd_kafka_opaque`.
    final class CallbackContext: @unchecked Sendable {
        let logger: Logger
        /// Set once before the handle exists; called on the consumer's poll thread.
        var onRebalance: ((OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)?
        /// Set once before the handle exists; receives the delivery reports of records produced with a tag.
        var onTaggedDelivery: KafkaProducer.TaggedDeliveryHandler?
        /// What the delivery-report callbacks share, behind `deliveryLock`: librdkafka runs them on whichever thread
        /// serves the producer's queue, its poll thread and at the same time one in `rd_kafka_flush` (a flush, a
        /// transaction commit). A lock beside the value rather than a `Mutex` of it: the callbacks hand it
        /// librdkafka's message pointers, which a `Mutex`'s region checking would not let in.
        private var deliveryReports = DeliveryReports()
        private let deliveryLock = Mutex(())

        func withDeliveryReports<T: Sendable>(_ body: (inout DeliveryReports) -> T) -> T {
            deliveryLock.withLock { _ in body(&deliveryReports) }
        }

        init(logger: Logger) { self.logger = logger }
    }

    init(
        kind: Kind, properties: [String: String], logger: Logger,
        configure: (CallbackContext, OpaquePointer) -> Void = { _, _ in }
    ) throws(KafkaError) {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                let reason = RDKafkaClient.string(errstr)
                throw KafkaError(
                    code: .invalidConfiguration, name: result == RD_KAFKA_CONF_UNKNOWN ? "CONF_UNKNOWN" : "CONF_INVALID",
                    message: "configuration property '\(name)'='\(value)': \(reason)")
            }
        }
        let context = CallbackContext(logger: logger)
        let unmanaged = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, unmanaged.toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let rk, let context = RDKafkaClient.context(of: rk) else { return }
            let text = "\(facility.map { String(cString: $0) } ?? ""): \(message.map { String(cString: $0) } ?? "")"
            context.logger.log(level: RDKafkaClient.logLevel(syslog: level), "\(text)", metadata: ["kafka.log": "librdkafka"])
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, _ in
            guard let rk, let context = RDKafkaClient.context(of: rk) else { return }
            let text = reason.map { String(cString: $0) } ?? ""
            let name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(err)))
            context.logger.warning("librdkafka error \(name): \(text)")
        }
        configure(context, conf)

        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            // rd_kafka_new does not take ownership of conf on failure.
            rd_kafka_conf_destroy(conf)
            unmanaged.release()
            throw KafkaError(code: .clientCreation, message: "cannot create Kafka client: \(RDKafkaClient.string(errstr))")
        }
        self.handle = handle
        self.logger = logger
        self.brokers = properties["bootstrap.servers"] ?? "?"
        self.context = unmanaged
    }

    deinit {
        rd_kafka_destroy(handle)
        context.release()
    }

    static func context(of rk: OpaquePointer) -> CallbackContext? {
        guard let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<CallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// Decodes a NUL-terminated C error buffer.
    static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }

    /// The queue on which blocking librdkafka calls (flush, commit, transactions, admin) run.
    static let blockingQueue = DispatchQueue(label: "sluice.kafka.blocking", attributes: .concurrent)

    /// Runs a blocking librdkafka call off the cooperative thread pool.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            RDKafkaClient.blockingQueue.async {
                do throws(KafkaError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// The broker-side fatal error, if the client has raised one.
    func fatalError() -> KafkaError? {
        var errstr = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(handle, &errstr, errstr.count)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(code: .fatal, name: String(cString: rd_kafka_err2name(err)), message: RDKafkaClient.string(errstr), isFatal: true)
    }
}
