import Crdkafka

/// An error raised by the Kafka layer: librdkafka's code, name and message, and where it was raised.
///
/// Codes are static constants over a private enum, so new codes can be added without breaking API:
/// ```swift
/// catch let error as KafkaError where error.code == .invalidConfiguration { ... }
/// ```
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable {
            case invalidConfiguration, clientCreation, broker, timedOut, queueFull, closed, transaction, fatal
            case unknownTopic, topicAlreadyExists, invalidArgument, rebalanceInProgress
        }
        fileprivate let backing: Backing

        /// An unknown configuration property or an invalid value.
        public static let invalidConfiguration = Code(backing: .invalidConfiguration)
        /// librdkafka refused to create the client.
        public static let clientCreation = Code(backing: .clientCreation)
        /// Any error reported by librdkafka or the broker that has no more specific code.
        public static let broker = Code(backing: .broker)
        /// The operation did not complete within its time limit (e.g. the broker is unreachable).
        public static let timedOut = Code(backing: .timedOut)
        /// The producer's local queue is full.
        public static let queueFull = Code(backing: .queueFull)
        /// The client was used after it was closed.
        public static let closed = Code(backing: .closed)
        /// A transactional operation failed; see ``KafkaError/requiresAbort``.
        public static let transaction = Code(backing: .transaction)
        /// The client is in an unrecoverable state and must be recreated.
        public static let fatal = Code(backing: .fatal)
        /// The topic or partition does not exist.
        public static let unknownTopic = Code(backing: .unknownTopic)
        /// A topic to be created exists already.
        public static let topicAlreadyExists = Code(backing: .topicAlreadyExists)
        /// An argument was rejected before anything was sent.
        public static let invalidArgument = Code(backing: .invalidArgument)
        /// The consumer group is rebalancing; retry after the rebalance.
        public static let rebalanceInProgress = Code(backing: .rebalanceInProgress)

        public var description: String { "\(backing)" }
    }

    /// The kind of failure.
    public var code: Code
    /// librdkafka's error name (e.g. `_TIMED_OUT`, `UNKNOWN_TOPIC_OR_PART`), or empty.
    public var name: String
    /// A human-readable explanation.
    public var message: String
    /// Whether the same operation may succeed if retried.
    public var isRetriable: Bool
    /// Whether the client can no longer be used.
    public var isFatal: Bool
    /// For transactional producers: the transaction must be aborted before continuing.
    public var requiresAbort: Bool
    /// Where the error was raised.
    public var file: String
    public var line: Int

    public init(
        code: Code, name: String = "", message: String, isRetriable: Bool = false, isFatal: Bool = false,
        requiresAbort: Bool = false, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.name = name
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.requiresAbort = requiresAbort
        self.file = file
        self.line = line
    }

    /// Whether a newer producer with the same `transactional.id` took over: this one's open transaction was
    /// aborted by it, and this producer can only be closed.
    public var isFenced: Bool { ["_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"].contains(name) }

    public var description: String {
        let label = name.isEmpty ? "\(code)" : "\(code) (\(name))"
        return "KafkaError \(label): \(message) [\(file):\(line)]"
    }
}

extension KafkaError {
    /// Wraps a librdkafka response code.
    init(_ err: rd_kafka_resp_err_t, context: String = "", file: String = #fileID, line: Int = #line) {
        let detail = String(cString: rd_kafka_err2str(err))
        self.init(
            code: Code(err), name: String(cString: rd_kafka_err2name(err)),
            message: context.isEmpty ? detail : "\(context): \(detail)",
            isRetriable: KafkaError.retriableCodes.contains(err), file: file, line: line)
    }

    /// Wraps (and destroys) a librdkafka `rd_kafka_error_t`.
    init(consuming error: OpaquePointer, context: String = "", file: String = #fileID, line: Int = #line) {
        defer { rd_kafka_error_destroy(error) }
        let err = rd_kafka_error_code(error)
        let fatal = rd_kafka_error_is_fatal(error) != 0
        let abort = rd_kafka_error_txn_requires_abort(error) != 0
        let text = String(cString: rd_kafka_error_string(error))
        self.init(
            code: fatal ? .fatal : (abort ? .transaction : Code(err)),
            name: String(cString: rd_kafka_error_name(error)),
            message: context.isEmpty ? text : "\(context): \(text)",
            isRetriable: rd_kafka_error_is_retriable(error) != 0, isFatal: fatal, requiresAbort: abort,
            file: file, line: line)
    }

    static let retriableCodes: Set<rd_kafka_resp_err_t> = [
        RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
    ]
}

extension KafkaError.Code {
    init(_ err: rd_kafka_resp_err_t) {
        switch err {
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
            RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TRANSPORT:
            self = .timedOut
        case RD_KAFKA_RESP_ERR__QUEUE_FULL: self = .queueFull
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            self = .unknownTopic
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: self = .topicAlreadyExists
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR_INVALID_PARTITIONS,
            RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR, RD_KAFKA_RESP_ERR_INVALID_CONFIG:
            self = .invalidArgument
        case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS: self = .rebalanceInProgress
        case RD_KAFKA_RESP_ERR__FATAL: self = .fatal
        case RD_KAFKA_RESP_ERR__DESTROY: self = .closed
        default: self = .broker
        }
    }
}
