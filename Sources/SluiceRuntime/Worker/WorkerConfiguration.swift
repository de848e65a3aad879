import Foundation
public import SluiceKafka

/// How a ``WorkerHost`` connects, identifies itself, retries and commits.
public struct WorkerConfiguration: Sendable {
    /// Brokers, client id and any librdkafka property (applied to both consumer and producer).
    public var client: KafkaClientOptions
    /// This worker's identity, also its `group.instance.id` (static membership: a restart under the same id
    /// within the session timeout gets its partitions back without a rebalance). `nil` means `node@host:pid`.
    public var instanceID: String?
    /// The first retry of a failed input waits up to this long; each further retry doubles the cap.
    public var retryBaseDelay: Duration = .milliseconds(100)
    /// The largest wait before a retry.
    public var retryMaxDelay: Duration = .seconds(10)
    /// How often finished offsets are stored for the consumer's background commit.
    public var storeInterval: Duration = .milliseconds(200)
    /// How long a revoke waits for the in-flight inputs of the revoked partitions before giving them up.
    public var revokeTimeout: Duration = .seconds(10)
    /// Whether the instance id is also the consumer's `group.instance.id` (static membership, the default).
    /// Tansu 0.6 does not bring a static member into the second round of a cooperative rebalance, so a worker
    /// joining a running group never gets partitions there; turn this off on such brokers.
    public var staticMembership = true
    /// `delivery: exactly-once`: how often a transaction commits the outputs of finished inputs with their
    /// offsets (Kafka Streams' `commit.interval.ms` for exactly-once is 100 ms too). Outputs become visible to
    /// `read_committed` readers only then, so this is also the latency it adds.
    public var transactionInterval: Duration = .milliseconds(100)
    /// Inputs read and not yet finished, at most (and at least twice the node's concurrency): at-least-once, until
    /// every output is acknowledged; exactly-once, until their transaction commits. `concurrency` bounds the
    /// node's parallel `process` calls; this bounds the memory of work waiting for the broker, so a node keeps
    /// processing while earlier outputs are acknowledged. Exactly-once starts a transaction early once half of
    /// them are waiting for one. The default covers the broker's acknowledgement latency at high rates (at 80,000
    /// inputs a second, 2,000 inputs were 25 ms of it, and a fast node stalled waiting for acknowledgements); a slow
    /// node is held back long before by its read-ahead bound, four inputs per lane.
    public var maxPendingInputs = 10_000
    /// Messages the consumer buffers ahead of the host; `nil` means `max(64, concurrency)`.
    public var consumerBufferCapacity: Int?

    public init(client: KafkaClientOptions, instanceID: String? = nil) {
        self.client = client
        self.instanceID = instanceID
    }

    /// `node@host:pid`: unique per process, and stable across restarts only when set explicitly.
    public static func defaultInstanceID(node: String) -> String {
        "\(node)@\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}
