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
