/// A topic and one of its partitions.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// One Kafka record header. Header names may repeat within a message.
public struct KafkaHeader: Hashable, Sendable {
    public var name: String
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// A header whose value is a UTF-8 string.
    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }

    /// The value decoded as UTF-8, if any.
    public var stringValue: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}

/// A record to produce.
public struct KafkaRecord: Sendable {
    public var topic: String
    /// A fixed partition, or `nil` to let the partitioner choose by key (librdkafka's consistent-random).
    public var partition: Int32?
    public var key: [UInt8]?
    /// The value; `nil` is a tombstone (deletes the key from a compacted topic).
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Creation time in milliseconds since the epoch, or `nil` for now.
    public var timestampMilliseconds: Int64?

    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]?, headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// Where the broker stored a produced record.
public struct DeliveryReport: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
}

/// A consumed message.
///
/// A value type whose fields live in one immutable, reference-counted box: copying a message (into a work item, a
/// queue, a task) costs one retain, not one for each of its topic, key, value and headers, and reading a field
/// needs no exclusivity check. Setting a field replaces the box.
public struct KafkaMessage: Sendable {
    public var topic: String {
        get { storage.fields.topic }
        set { change { $0.topic = newValue } }
    }
    public var partition: Int32 {
        get { storage.fields.partition }
        set { change { $0.partition = newValue } }
    }
    public var offset: Int64 {
        get { storage.fields.offset }
        set { change { $0.offset = newValue } }
    }
    public var key: [UInt8]? {
        get { storage.fields.key }
        set { change { $0.key = newValue } }
    }
    /// The value (empty for a tombstone; see ``isTombstone``).
    public var value: [UInt8] {
        get { storage.fields.value }
        set { change { $0.value = newValue } }
    }
    /// Timestamp in milliseconds since the epoch, or `nil` if the broker gave none.
    public var timestampMilliseconds: Int64? {
        get { storage.fields.timestampMilliseconds }
        set { change { $0.timestampMilliseconds = newValue } }
    }
    /// Whether the value is null: a deletion marker on a compacted topic.
    public var isTombstone: Bool {
        get { storage.fields.isTombstone }
        set { change { $0.isTombstone = newValue } }
    }

    private var storage: Storage

    /// The fields, shared by every copy of the message.
    private final class Storage: Sendable {
        let fields: Fields

        init(_ fields: Fields) { self.fields = fields }
    }

    private struct Fields: Sendable {
        var topic: String
        var partition: Int32
        var offset: Int64
        var key: [UInt8]?
        var value: [UInt8]
        var timestampMilliseconds: Int64?
        var isTombstone: Bool
        /// The headers as given, or as read (packed) by a consumer.
        var headers: Headers
    }

    /// Replaces the box with one whose fields `body` changed.
    private mutating func change(_ body: (inout Fields) -> Void) {
        var fields = storage.fields
        body(&fields)
        storage = Storage(fields)
    }

    private enum Headers: Sendable {
        case list([KafkaHeader])
        case packed(PackedHeaders)
    }

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader],
        timestampMilliseconds: Int64?
    ) {
        self.init(
            topic: topic, partition: partition, offset: offset, key: key, value: value, headers: .list(headers),
            timestampMilliseconds: timestampMilliseconds)
    }

    /// A consumed message whose header values share one buffer.
    init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], packedHeaders: PackedHeaders,
        timestampMilliseconds: Int64?, isTombstone: Bool = false
    ) {
        self.init(
            topic: topic, partition: partition, offset: offset, key: key, value: value,
            headers: .packed(packedHeaders), timestampMilliseconds: timestampMilliseconds, isTombstone: isTombstone)
    }

    private init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: Headers,
        timestampMilliseconds: Int64?, isTombstone: Bool = false
    ) {
        storage = Storage(
            Fields(
                topic: topic, partition: partition, offset: offset, key: key, value: value,
                timestampMilliseconds: timestampMilliseconds, isTombstone: isTombstone, headers: headers))
    }

    /// The headers in wire order. A consumed message keeps its header values in one buffer; this builds the list
    /// from it on each access, so code on a hot path reads them with ``forEachHeader(_:)``.
    public var headers: [KafkaHeader] {
        get {
            switch storage.fields.headers {
            case .list(let headers): return headers
            case .packed(let packed):
                var headers: [KafkaHeader] = []
                headers.reserveCapacity(packed.count)
                packed.forEach { headers.append(KafkaHeader(name: $0, value: $1.map(Array.init))) }
                return headers
            }
        }
        set { change { $0.headers = .list(newValue) } }
    }

    /// Calls `body` with each header in wire order, its value a view of the message's storage (`nil` for a null
    /// value): no copy.
    public func forEachHeader(_ body: (_ name: String, _ value: ArraySlice<UInt8>?) throws -> Void) rethrows {
        switch storage.fields.headers {
        case .list(let headers): for header in headers { try body(header.name, header.value?[...]) }
        case .packed(let packed): try packed.forEach(body)
        }
    }

    public var topicPartition: TopicPartition {
        TopicPartition(topic: storage.fields.topic, partition: storage.fields.partition)
    }

    /// The first header with this name.
    public func header(_ name: String) -> KafkaHeader? { headers.first { $0.name == name } }
}

/// A consumed message's headers: names (shared with the consumer's other messages) and value bounds in one array,
/// every value in one byte buffer, so reading a message costs two allocations for its headers, not one per header.
struct PackedHeaders: Sendable {
    private struct Entry: Sendable {
        var name: String
        var start: Int
        /// `-1` for a null value.
        var count: Int
    }

    private var entries: [Entry] = []
    private var bytes: [UInt8] = []

    init(capacity: Int, valueBytes: Int) {
        entries.reserveCapacity(capacity)
        bytes.reserveCapacity(valueBytes)
    }

    var count: Int { entries.count }

    mutating func append(name: String, value: UnsafeRawBufferPointer?) {
        guard let value else {
            entries.append(Entry(name: name, start: bytes.count, count: -1))
            return
        }
        entries.append(Entry(name: name, start: bytes.count, count: value.count))
        bytes.append(contentsOf: value)
    }

    func forEach(_ body: (_ name: String, _ value: ArraySlice<UInt8>?) throws -> Void) rethrows {
        for entry in entries {
            try body(entry.name, entry.count < 0 ? nil : bytes[entry.start..<entry.start + entry.count])
        }
    }
}

extension TopicPartition: Comparable {
    /// Orders by topic, then partition, so logs and commit lists come out in a stable order.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        lhs.topic == rhs.topic ? lhs.partition < rhs.partition : lhs.topic < rhs.topic
    }
}
