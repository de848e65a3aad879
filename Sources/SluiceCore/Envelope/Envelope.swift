import Foundation

/// One message on a Sluice topic: a JSON payload plus the headers that route and trace it.
///
/// On the wire (see `Schemas/envelope.schema.json`):
///
/// ```
/// key     = correlation id (UTF-8)
/// value   = JSON payload, raw bytes, passed through untouched
/// headers = sluice-message-id, sluice-correlation-id, traceparent, sluice-iteration,
///           sluice-produced-at, sluice-origin, sluice-spec-version
/// ```
public struct Envelope: Sendable, Hashable {
    /// Header names.
    public enum Header {
        public static let messageID = "sluice-message-id"
        public static let correlationID = "sluice-correlation-id"
        public static let traceparent = "traceparent"
        public static let iteration = "sluice-iteration"
        public static let producedAt = "sluice-produced-at"
        public static let origin = "sluice-origin"
        public static let specVersion = "sluice-spec-version"
    }

    /// Unique per message; a retry keeps it, so consumers can deduplicate.
    public var messageID: String {
        get { Self.text(messageIDBytes) }
        set { text.messageID = text.store(newValue.utf8) }
    }
    /// Ties together every message of one piece of work; also the Kafka key, so it picks the partition.
    public var correlationID: String {
        get { Self.text(correlationIDBytes) }
        set { text.correlationID = text.store(newValue.utf8) }
    }
    /// W3C trace context (`00-<trace-id>-<parent-id>-<flags>`), when tracing is on.
    public var traceparent: String? {
        get { traceparentBytes.map(Self.text) }
        set { text.traceparent = newValue.map { text.store($0.utf8) } }
    }
    /// How many times this message has gone round a loop (0 outside loops).
    public var iteration: Int
    /// Milliseconds since the Unix epoch when the message was produced.
    public var producedAt: Int64
    /// The producing node and worker, `node@instance`; `nil` for a message published by a user.
    public var origin: String? {
        get { originBytes.map(Self.text) }
        set { text.origin = newValue.map { text.store($0.utf8) } }
    }
    /// The version of the graph spec the producer ran; `nil` for a message published by a user.
    public var specVersion: Int?
    /// The JSON payload, as raw bytes.
    public var payload: [UInt8]

    /// The text headers as UTF-8, in one buffer: a decoded envelope shares the consumed record's header buffer,
    /// so decoding builds no strings and copying an envelope retains two buffers (this and the payload).
    private var text: TextHeaders

    /// ``messageID`` as UTF-8.
    public var messageIDBytes: ArraySlice<UInt8> { text.bytes[text.messageID] }
    /// ``correlationID`` as UTF-8: the record key.
    public var correlationIDBytes: ArraySlice<UInt8> { text.bytes[text.correlationID] }
    /// ``traceparent`` as UTF-8.
    public var traceparentBytes: ArraySlice<UInt8>? { text.traceparent.map { text.bytes[$0] } }
    /// ``origin`` as UTF-8.
    public var originBytes: ArraySlice<UInt8>? { text.origin.map { text.bytes[$0] } }

    /// The text headers' UTF-8: where each is in one buffer.
    struct TextHeaders: Sendable {
        var bytes: [UInt8]
        var messageID: Range<Int>
        var correlationID: Range<Int>
        var traceparent: Range<Int>?
        var origin: Range<Int>?

        /// Appends `value` to the buffer (copying the buffer first if it is shared) and returns where it is.
        mutating func store(_ value: some Collection<UInt8>) -> Range<Int> {
            let start = bytes.count
            bytes.append(contentsOf: value)
            return start..<bytes.count
        }
    }

    /// An envelope around a payload that is already JSON (labelled `rawPayload` because `[UInt8]` is
    /// itself `Encodable`: ``init(payload:correlationID:messageID:iteration:producedAt:origin:specVersion:traceparent:)``
    /// would encode it as an array of numbers). The bytes are not checked here
    /// (they usually come from a decoded envelope); use ``JSONSyntax/validate(_:)-(UnsafeBufferPointer<UInt8>)`` when unsure.
    public init(
        rawPayload payload: [UInt8], correlationID: String, messageID: String = Envelope.makeMessageID(), iteration: Int = 0,
        producedAt: Int64 = Envelope.now(), origin: String? = nil, specVersion: Int? = nil, traceparent: String? = nil
    ) {
        var text = TextHeaders(bytes: [], messageID: 0..<0, correlationID: 0..<0)
        text.messageID = text.store(messageID.utf8)
        text.correlationID = text.store(correlationID.utf8)
        text.traceparent = traceparent.map { text.store($0.utf8) }
        text.origin = origin.map { text.store($0.utf8) }
        self.init(
            payload: payload, text: text, iteration: iteration, producedAt: producedAt, specVersion: specVersion)
    }

    /// An envelope from header values as UTF-8 (checked by the caller).
    init(payload: [UInt8], text: TextHeaders, iteration: Int, producedAt: Int64, specVersion: Int?) {
        self.text = text
        self.iteration = iteration
        self.producedAt = producedAt
        self.specVersion = specVersion
        self.payload = payload
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// An envelope around `payload` encoded as JSON.
    ///
    /// - Throws: ``EnvelopeError/Code/payloadEncoding`` when the value cannot be encoded.
    public init(
        payload: some Encodable, correlationID: String, messageID: String = Envelope.makeMessageID(), iteration: Int = 0,
        producedAt: Int64 = Envelope.now(), origin: String? = nil, specVersion: Int? = nil, traceparent: String? = nil
    ) throws(EnvelopeError) {
        let bytes: [UInt8]
        do {
            bytes = Array(try JSONEncoder().encode(payload))
        } catch {
            throw EnvelopeError(code: .payloadEncoding, message: "cannot encode payload as JSON: \(error)")
        }
        self.init(
            rawPayload: bytes, correlationID: correlationID, messageID: messageID, iteration: iteration,
            producedAt: producedAt, origin: origin, specVersion: specVersion, traceparent: traceparent)
    }

    /// Decodes the payload as `type`.
    ///
    /// - Throws: ``EnvelopeError/Code/payloadDecoding`` with the decoder's explanation.
    public func payload<T: Decodable>(as type: T.Type) throws(EnvelopeError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(payload))
        } catch {
            throw EnvelopeError(code: .payloadDecoding, message: "cannot decode payload as \(T.self): \(error)")
        }
    }

    /// The Kafka record for this envelope; every header except an absent `traceparent`,
    /// `sluice-origin` or `sluice-spec-version` is always written.
    public func encode() -> EncodedRecord {
        var headers: [(name: String, value: [UInt8])] = []
        headers.reserveCapacity(Self.maxHeaderCount)
        forEachHeader { headers.append(($0, $1)) }
        return EncodedRecord(key: key, value: payload, headers: headers)
    }

    /// The record key: the correlation id.
    public var key: [UInt8] { Array(correlationIDBytes) }

    /// The most headers ``forEachHeader(_:)`` produces.
    public static let maxHeaderCount = 7

    /// Calls `body` with each header of the encoded record, in order; what ``encode()`` writes, for callers that
    /// build their own record type.
    public func forEachHeader(_ body: (_ name: String, _ value: [UInt8]) throws -> Void) rethrows {
        try Self.forEachHeader(
            messageID: Array(messageIDBytes), correlationID: Array(correlationIDBytes),
            traceparent: traceparentBytes.map(Array.init), iteration: Self.decimal(iteration),
            producedAt: Self.decimal(producedAt), origin: originBytes.map(Array.init),
            specVersion: specVersion.map { Self.decimal($0) }, body)
    }

    /// Calls `body` with each header of an envelope given as header values, in wire order: for producers that keep
    /// values they reuse (origin, spec version, an input's correlation id) as bytes.
    public static func forEachHeader(
        messageID: [UInt8], correlationID: [UInt8], traceparent: [UInt8]?, iteration: [UInt8], producedAt: [UInt8],
        origin: [UInt8]?, specVersion: [UInt8]?, _ body: (_ name: String, _ value: [UInt8]) throws -> Void
    ) rethrows {
        try body(Header.messageID, messageID)
        try body(Header.correlationID, correlationID)
        if let traceparent { try body(Header.traceparent, traceparent) }
        try body(Header.iteration, iteration)
        try body(Header.producedAt, producedAt)
        if let origin { try body(Header.origin, origin) }
        if let specVersion { try body(Header.specVersion, specVersion) }
    }

    /// A fresh message id as header bytes (see ``makeMessageID()``).
    public static func makeMessageIDBytes() -> [UInt8] { messageIDs.nextBytes() }

    /// The decimal digits of a non-negative number, as a header value.
    public static func decimal(_ number: some BinaryInteger) -> [UInt8] {
        guard number > 0 else { return [UInt8(ascii: "0")] }
        var rest = UInt64(number)
        var count = 0
        var scan = rest
        while scan > 0 {
            count += 1
            scan /= 10
        }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in stride(from: count - 1, through: 0, by: -1) {
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            initialized = count
        }
    }

    /// A fresh message id (a lowercase version-4 UUID), without a system call.
    public static func makeMessageID() -> String { messageIDs.next() }

    private static let messageIDs = MessageIDGenerator()

    /// Milliseconds since the Unix epoch. Read from the clock directly: every output stamps it, and `Date` costs
    /// a floating-point round trip on top of the same clock read.
    public static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}

extension Envelope {
    /// Envelopes are equal when their headers' values and their payloads are, wherever their bytes are kept.
    public static func == (lhs: Envelope, rhs: Envelope) -> Bool {
        lhs.messageIDBytes == rhs.messageIDBytes && lhs.correlationIDBytes == rhs.correlationIDBytes
            && lhs.traceparentBytes == rhs.traceparentBytes && lhs.iteration == rhs.iteration
            && lhs.producedAt == rhs.producedAt && lhs.originBytes == rhs.originBytes
            && lhs.specVersion == rhs.specVersion && lhs.payload == rhs.payload
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(messageIDBytes)
        hasher.combine(correlationIDBytes)
        hasher.combine(traceparentBytes)
        hasher.combine(iteration)
        hasher.combine(producedAt)
        hasher.combine(originBytes)
        hasher.combine(specVersion)
        hasher.combine(payload)
    }
}

/// A Kafka record as bytes, ready to produce or just consumed.
public struct EncodedRecord: Sendable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// In order; Kafka allows repeated names (the decoder uses the last).
    public var headers: [(name: String, value: [UInt8])]

    public init(key: [UInt8], value: [UInt8], headers: [(name: String, value: [UInt8])]) {
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// The last value of header `name`, if present.
    public func header(_ name: String) -> [UInt8]? { headers.last { $0.name == name }?.value }
}
