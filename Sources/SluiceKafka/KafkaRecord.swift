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

    /// A consumed message whose headers share one buffer.
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

    /// The headers in wire order. A consumed message keeps its headers in one buffer; this builds the list from it
    /// on each access, so code on a hot path reads them with ``packedHeaders``.
    public var headers: [KafkaHeader] {
        get {
            switch storage.fields.headers {
            case .list(let headers): return headers
            case .packed(let packed): return packed.list
            }
        }
        set { change { $0.headers = .list(newValue) } }
    }

    /// The headers in one buffer: as read for a consumed message (no copy), packed from the list otherwise.
    public var packedHeaders: PackedHeaders {
        switch storage.fields.headers {
        case .list(let headers): return PackedHeaders(headers)
        case .packed(let packed): return packed
        }
    }

    /// Calls `body` with each header in wire order (`nil` for a null value).
    public func forEachHeader(_ body: (_ name: String, _ value: ArraySlice<UInt8>?) throws -> Void) rethrows {
        switch storage.fields.headers {
        case .list(let headers): for header in headers { try body(header.name, header.value?[...]) }
        case .packed(let packed):
            try packed.forEach { name, value in
                try body(String(decoding: packed.bytes[name], as: UTF8.self), value.map { packed.bytes[$0] })
            }
        }
    }

    public var topicPartition: TopicPartition {
        TopicPartition(topic: storage.fields.topic, partition: storage.fields.partition)
    }

    /// The first header with this name.
    public func header(_ name: String) -> KafkaHeader? { headers.first { $0.name == name } }
}

/// A message's headers in one byte buffer: each header's name and value are bounds in ``bytes``, so a consumed
/// message costs two allocations for all its headers, and reading them retains nothing but the buffer.
public struct PackedHeaders: Sendable {
    /// Where one header's name and value are in ``bytes``.
    private struct Entry: Sendable {
        var nameStart: Int
        var nameCount: Int
        var valueStart: Int
        /// `-1` for a null value.
        var valueCount: Int
    }

    /// Every header's name and value, one after another.
    public let bytes: [UInt8]
    private let entries: [Entry]

    /// `count` headers whose names and values take `byteCount` bytes in all: `header` is called with each index
    /// and a function to call once with that header's name and value (`nil` when null), which copies them. Both
    /// buffers are allocated once, at their size.
    init(
        count: Int, byteCount: Int,
        header: (_ index: Int, _ write: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer?) -> Void) -> Void
    ) {
        var bytes: [UInt8] = []
        entries = [Entry](unsafeUninitializedCapacity: count) { entries, entryCount in
            bytes = [UInt8](unsafeUninitializedCapacity: byteCount) { bytes, byteOffset in
                /// Copies `source` to the end of what is written, returning where it went.
                func copy(_ source: UnsafeRawBufferPointer) -> Int {
                    let start = byteOffset
                    precondition(start + source.count <= byteCount, "headers larger than sized")
                    if let from = source.baseAddress, !source.isEmpty {
                        UnsafeMutableRawPointer(bytes.baseAddress! + start).copyMemory(from: from, byteCount: source.count)
                    }
                    byteOffset += source.count
                    return start
                }
                for index in 0..<count {
                    header(index) { name, value in
                        precondition(entryCount == index, "one write per header")
                        let nameStart = copy(name)
                        let valueStart = copy(value ?? UnsafeRawBufferPointer(start: nil, count: 0))
                        entries.baseAddress!.advanced(by: index).initialize(
                            to: Entry(
                                nameStart: nameStart, nameCount: name.count, valueStart: valueStart,
                                valueCount: value?.count ?? -1))
                        entryCount += 1
                    }
                }
                precondition(entryCount == count, "one write per header")
            }
        }
        self.bytes = bytes
    }

    /// The headers of a list, packed.
    public init(_ headers: [KafkaHeader]) {
        let byteCount = headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
        self.init(count: headers.count, byteCount: byteCount) { index, write in
            var name = headers[index].name
            name.withUTF8 { name in
                if let value = headers[index].value {
                    value.withUnsafeBytes { write(UnsafeRawBufferPointer(name), $0) }
                } else {
                    write(UnsafeRawBufferPointer(name), nil)
                }
            }
        }
    }

    /// How many headers there are.
    public var count: Int { entries.count }

    /// Calls `body` with the bounds in ``bytes`` of each header's name (UTF-8, as the producer wrote it) and value
    /// (`nil` for a null value), in wire order.
    public func forEach(_ body: (_ name: Range<Int>, _ value: Range<Int>?) throws -> Void) rethrows {
        for index in entries.indices {
            let entry = entries[index]
            try body(
                entry.nameStart..<entry.nameStart + entry.nameCount,
                entry.valueCount < 0 ? nil : entry.valueStart..<entry.valueStart + entry.valueCount)
        }
    }

    /// The headers as a list.
    var list: [KafkaHeader] {
        var headers: [KafkaHeader] = []
        headers.reserveCapacity(count)
        forEach { name, value in
            headers.append(KafkaHeader(name: String(decoding: bytes[name], as: UTF8.self), value: value.map { Array(bytes[$0]) }))
        }
        return headers
    }
}

extension TopicPartition: Comparable {
    /// Orders by topic, then partition, so logs and commit lists come out in a stable order.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        lhs.topic == rhs.topic ? lhs.partition < rhs.partition : lhs.topic < rhs.topic
    }
}
