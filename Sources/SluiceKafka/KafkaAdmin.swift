import Crdkafka
public import Logging

/// A topic to create.
public struct NewTopic: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    /// `-1` lets the broker choose its default.
    public var replicationFactor: Int32
    /// Topic configs, e.g. `["cleanup.policy": "compact"]`.
    public var configs: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int32 = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// A topic as the cluster describes it.
public struct TopicDescription: Sendable, Hashable {
    public var name: String
    public var partitions: Int32

    public init(name: String, partitions: Int32) {
        self.name = name
        self.partitions = partitions
    }
}

/// Cluster administration: topics, partitions and consumer-group offsets.
///
/// Each call is one admin request with its own reply queue, run off the cooperative thread pool and bounded
/// by its `timeout`: an unreachable broker gives ``KafkaError/Code/timedOut``, never a hang.
public final class KafkaAdmin: Sendable {
    let client: RDKafkaClient

    public init(options: KafkaClientOptions, logger: Logger) throws(KafkaError) {
        var properties = options.librdkafkaProperties.merging(options.properties) { _, override in override }
        properties["enable.idempotence"] = "false"
        client = try RDKafkaClient(kind: .producer, properties: properties, logger: logger)
    }

    // MARK: Topics

    /// Creates topics. With `ignoreExisting`, a topic that exists already is not an error (whatever its
    /// partitions: compare them with ``describeTopics(_:timeout:)`` first where that matters).
    public func createTopics(
        _ topics: [NewTopic], ignoreExisting: Bool = false, timeout: Duration = .seconds(30)
    ) async throws(KafkaError) {
        guard !topics.isEmpty else { return }
        try await request("create topics", timeout: timeout) { rk, options, queue throws(KafkaError) in
            var newTopics: [OpaquePointer?] = []
            defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
            var errstr = [CChar](repeating: 0, count: 512)
            for topic in topics {
                guard let t = rd_kafka_NewTopic_new(topic.name, topic.partitions, topic.replicationFactor, &errstr, errstr.count) else {
                    throw KafkaError(code: .invalidArgument, message: "topic '\(topic.name)': \(RDKafkaClient.string(errstr))")
                }
                newTopics.append(t)
                for (name, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                    _ = rd_kafka_NewTopic_set_config(t, name, value)
                }
            }
            rd_kafka_CreateTopics(rk, &newTopics, newTopics.count, options, queue)
        } read: { event throws(KafkaError) in
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
            try Self.checkTopicResults(results, count: count, context: "create topic", ignoring: ignoreExisting ? [RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS] : [])
        }
    }

    /// Deletes topics; a topic that does not exist is not an error.
    public func deleteTopics(_ names: [String], timeout: Duration = .seconds(30)) async throws(KafkaError) {
        guard !names.isEmpty else { return }
        try await request("delete topics", timeout: timeout) { rk, options, queue in
            var deletions: [OpaquePointer?] = names.map { rd_kafka_DeleteTopic_new($0) }
            defer { deletions.forEach { rd_kafka_DeleteTopic_destroy($0) } }
            rd_kafka_DeleteTopics(rk, &deletions, deletions.count, options, queue)
        } read: { event throws(KafkaError) in
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
            try Self.checkTopicResults(results, count: count, context: "delete topic", ignoring: [RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART])
        }
    }

    /// Grows a topic to `totalPartitions` (Kafka cannot shrink a topic).
    public func createPartitions(topic: String, totalPartitions: Int32, timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await request("create partitions", timeout: timeout) { rk, options, queue throws(KafkaError) in
            var errstr = [CChar](repeating: 0, count: 512)
            guard let spec = rd_kafka_NewPartitions_new(topic, Int(totalPartitions), &errstr, errstr.count) else {
                throw KafkaError(code: .invalidArgument, message: "partitions of '\(topic)': \(RDKafkaClient.string(errstr))")
            }
            var specs: [OpaquePointer?] = [spec]
            defer { rd_kafka_NewPartitions_destroy(spec) }
            rd_kafka_CreatePartitions(rk, &specs, 1, options, queue)
        } read: { event throws(KafkaError) in
            var count = 0
            let results = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(event), &count)
            try Self.checkTopicResults(results, count: count, context: "create partitions of", ignoring: [])
        }
    }

    /// Every topic in the cluster (internal `__` topics excluded), sorted by name.
    public func listTopics(timeout: Duration = .seconds(10)) async throws(KafkaError) -> [TopicDescription] {
        try await metadata(topic: nil, timeout: timeout)
    }

    /// These topics' partition counts; a topic that does not exist is absent from the result.
    public func describeTopics(_ names: [String], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String: TopicDescription] {
        let wanted = Set(names)
        let all = try await metadata(topic: nil, timeout: timeout)
        return Dictionary(uniqueKeysWithValues: all.filter { wanted.contains($0.name) }.map { ($0.name, $0) })
    }

    /// The topic's non-default configs (e.g. `cleanup.policy`).
    public func topicConfigs(_ topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String: String] {
        try await request("describe configs of \(topic)", timeout: timeout) { rk, options, queue in
            var resources: [OpaquePointer?] = [rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)]
            defer { rd_kafka_ConfigResource_destroy(resources[0]) }
            rd_kafka_DescribeConfigs(rk, &resources, 1, options, queue)
        } read: { event throws(KafkaError) in
            var count = 0
            let resources = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count)
            guard count > 0, let resource = resources?[0] else { return [:] }
            let err = rd_kafka_ConfigResource_error(resource)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "describe configs of \(topic)") }
            var entryCount = 0
            let entries = rd_kafka_ConfigResource_configs(resource, &entryCount)
            var configs: [String: String] = [:]
            for i in 0..<entryCount {
                guard let entry = entries?[i], rd_kafka_ConfigEntry_is_default(entry) == 0,
                    let value = rd_kafka_ConfigEntry_value(entry)
                else { continue }
                configs[String(cString: rd_kafka_ConfigEntry_name(entry))] = String(cString: value)
            }
            return configs
        }
    }

    /// The low and high watermarks (first offset, next offset to be written) of a partition.
    public func watermarks(of partition: TopicPartition, timeout: Duration = .seconds(10)) async throws(KafkaError) -> (low: Int64, high: Int64) {
        try await client.blocking { [client] () throws(KafkaError) in
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(client.handle, partition.topic, partition.partition, &low, &high, timeout.milliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "watermarks of \(partition)") }
            return (low, high)
        }
    }

    // MARK: Plumbing

    private func metadata(topic: String?, timeout: Duration) async throws(KafkaError) -> [TopicDescription] {
        try await client.blocking { [client] () throws(KafkaError) in
            var metadata: UnsafePointer<rd_kafka_metadata>? = nil
            let err = rd_kafka_metadata(client.handle, 1, nil, &metadata, timeout.milliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                throw KafkaError(err, context: "metadata request to \(client.brokers)")
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            return (0..<Int(metadata.pointee.topic_cnt)).compactMap { i -> TopicDescription? in
                let t = metadata.pointee.topics[i]
                let name = String(cString: t.topic)
                guard !name.hasPrefix("__"), t.err == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
                return TopicDescription(name: name, partitions: t.partition_cnt)
            }.sorted { $0.name < $1.name }
        }
    }

    /// One admin request: `start` enqueues it on a private reply queue, `read` decodes the result event.
    func request<T: Sendable>(
        _ what: String, timeout: Duration,
        _ start: @escaping @Sendable (OpaquePointer, OpaquePointer, OpaquePointer) throws(KafkaError) -> Void,
        read: @escaping @Sendable (OpaquePointer) throws(KafkaError) -> T
    ) async throws(KafkaError) -> T {
        try await client.blocking { [client] () throws(KafkaError) in
            _ = rd_kafka_poll(client.handle, 0)  // serve queued error/log events
            let queue = rd_kafka_queue_new(client.handle)!
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_ANY)!
            defer { rd_kafka_AdminOptions_destroy(options) }
            var errstr = [CChar](repeating: 0, count: 256)
            _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.milliseconds, &errstr, errstr.count)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.milliseconds, &errstr, errstr.count)
            try start(client.handle, options, queue)
            guard let event = rd_kafka_queue_poll(queue, timeout.milliseconds + 2_000) else {
                throw KafkaError(code: .timedOut, message: "\(what): no reply from \(client.brokers) within \(timeout)")
            }
            defer { rd_kafka_event_destroy(event) }
            let err = rd_kafka_event_error(event)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                let detail = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
                throw KafkaError(err, context: "\(what) (\(detail))")
            }
            return try read(event)
        }
    }

    static func checkTopicResults(
        _ results: UnsafeMutablePointer<OpaquePointer?>?, count: Int, context: String, ignoring: Set<rd_kafka_resp_err_t>
    ) throws(KafkaError) {
        for i in 0..<count {
            guard let result = results?[i] else { continue }
            let err = rd_kafka_topic_result_error(result)
            guard err != RD_KAFKA_RESP_ERR_NO_ERROR, !ignoring.contains(err) else { continue }
            let name = String(cString: rd_kafka_topic_result_name(result))
            let detail = rd_kafka_topic_result_error_string(result).map { String(cString: $0) } ?? ""
            throw KafkaError(err, context: "\(context) '\(name)'\(detail.isEmpty ? "" : " (\(detail))")")
        }
    }
}
