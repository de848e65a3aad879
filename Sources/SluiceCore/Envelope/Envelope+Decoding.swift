import Foundation

extension Envelope {
    /// How strictly ``decode(key:value:headers:mode:receivedAt:)`` treats missing headers.
    public enum DecodingMode: Sendable, Hashable {
        /// Every header except `traceparent` must be present: records between nodes.
        case strict
        /// Missing headers get defaults: records a user published to an entry topic. The message id
        /// is generated, the correlation id is the key (or generated), the iteration is 0 and the
        /// production time is `receivedAt`. Headers that are present must still be well formed.
        case lenient
    }

    /// Decodes and checks a consumed record. Never traps: any malformed input gives a precise error.
    ///
    /// - Parameters:
    ///   - key: the record key, `nil` for a record without one.
    ///   - receivedAt: the production time to assume in lenient mode (the record's timestamp); now if `nil`.
    /// - Throws: ``EnvelopeError`` naming the missing or malformed header, or the byte offset
    ///   where the payload stops being JSON.
    public static func decode(
        key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])], mode: DecodingMode = .strict,
        receivedAt: Int64? = nil
    ) throws(EnvelopeError) -> Envelope {
        var raw = RawHeaders()
        for header in headers { raw.collect(name: header.name, value: header.value[...]) }
        return try decode(key: key, value: value, headers: raw, mode: mode, receivedAt: receivedAt)
    }

    /// Decodes and checks a consumed record whose envelope headers were collected in one pass over its headers.
    /// The envelope's text headers stay in the collected buffer: no strings are built.
    ///
    /// - Throws: ``EnvelopeError`` as ``decode(key:value:headers:mode:receivedAt:)`` does.
    public static func decode(
        key: [UInt8]?, value: [UInt8], headers: RawHeaders, mode: DecodingMode = .strict, receivedAt: Int64? = nil
    ) throws(EnvelopeError) -> Envelope {
        let lenient = mode == .lenient
        func required(_ bounds: Range<Int>?, _ name: String) throws(EnvelopeError) -> Range<Int>? {
            if let bounds { return bounds }
            if lenient { return nil }
            throw EnvelopeError(code: .missingHeader, header: name, message: "missing header '\(name)'")
        }

        let bytes = headers.bytes
        let found = try bytes.withUnsafeBufferPointer { buffer throws(EnvelopeError) in
            try CheckedHeaders(headers, in: buffer, required: required)
        }
        var text = TextHeaders(
            bytes: bytes, messageID: found.messageID ?? 0..<0, correlationID: found.correlationID ?? 0..<0,
            traceparent: found.traceparent, origin: found.origin)

        let key = key.flatMap { $0.isEmpty ? nil : $0 }
        switch (key, found.correlationID) {
        case (let key?, let header?):
            guard equal(key, bytes, header) else {
                try requireUTF8(key)
                throw EnvelopeError(
                    code: .keyMismatch, header: Header.correlationID,
                    message: "record key '\(String(decoding: key, as: UTF8.self))' differs from header "
                        + "'\(Header.correlationID)' ('\(String(decoding: bytes[header], as: UTF8.self))')")
            }
        case (nil, _?):
            guard lenient else {
                throw EnvelopeError(code: .missingKey, message: "record has no key (the key must be the correlation id)")
            }
        case (let key?, nil):
            try requireUTF8(key)
            text.correlationID = text.store(key)
        case (nil, nil):
            text.correlationID = text.store(makeMessageIDBytes())
        }
        if found.messageID == nil { text.messageID = text.store(makeMessageIDBytes()) }

        if value.isEmpty {
            throw EnvelopeError(code: .invalidPayload, byteOffset: 0, message: "payload is empty (expected a JSON value)")
        }
        do {
            try JSONSyntax.validate(value)
        } catch {
            throw EnvelopeError(code: .invalidPayload, byteOffset: error.offset, message: "payload is not valid JSON: \(error)")
        }
        return Envelope(
            payload: value, text: text, iteration: found.iteration.map(Int.init) ?? 0,
            producedAt: found.producedAt ?? receivedAt ?? now(), specVersion: found.specVersion.map(Int.init))
    }

    /// Throws unless the record key is UTF-8, as a correlation id is. (A key equal to the checked correlation header
    /// needs no check of its own.)
    private static func requireUTF8(_ key: [UInt8]) throws(EnvelopeError) {
        guard isUTF8(key[...]) else {
            throw EnvelopeError(code: .keyMismatch, message: "record key is not valid UTF-8 (it must be the correlation id)")
        }
    }

    /// Whether `key` holds the same bytes as `bounds` of `bytes`.
    private static func equal(_ key: [UInt8], _ bytes: [UInt8], _ bounds: Range<Int>) -> Bool {
        key.count == bounds.count
            && key.withUnsafeBytes { key in
                bytes.withUnsafeBytes { memcmp(key.baseAddress!, $0.baseAddress! + bounds.lowerBound, key.count) == 0 }
            }
    }

    /// The envelope's headers, each checked, read from one buffer.
    private struct CheckedHeaders {
        var messageID, correlationID, traceparent, origin: Range<Int>?
        var iteration, producedAt, specVersion: Int64?

        init(
            _ headers: RawHeaders, in buffer: UnsafeBufferPointer<UInt8>,
            required: (Range<Int>?, String) throws(EnvelopeError) -> Range<Int>?
        ) throws(EnvelopeError) {
            func text(_ bounds: Range<Int>?, _ header: String) throws(EnvelopeError) -> Range<Int>? {
                guard let bounds = try required(bounds, header) else { return nil }
                let value = UnsafeBufferPointer(rebasing: buffer[bounds])
                guard isUTF8(value) else { throw malformed(header, value, expected: "UTF-8 text") }
                guard !value.isEmpty else { throw malformed(header, value, expected: "a non-empty value") }
                return bounds
            }
            func number(_ bounds: Range<Int>?, _ header: String, maxDigits: Int, minimum: Int64 = 0, expected: String)
                throws(EnvelopeError) -> Int64?
            {
                guard let bounds = try required(bounds, header) else { return nil }
                let value = UnsafeBufferPointer(rebasing: buffer[bounds])
                guard let number = decimal(value, maxDigits: maxDigits), number >= minimum else {
                    throw malformed(header, value, expected: expected)
                }
                return number
            }

            messageID = try text(headers.messageID, Header.messageID)
            correlationID = try text(headers.correlationID, Header.correlationID)
            if let bounds = headers.traceparent {
                let value = UnsafeBufferPointer(rebasing: buffer[bounds])
                guard isUTF8(value), isTraceparent(String(decoding: value, as: UTF8.self)) else {
                    throw malformed(
                        Header.traceparent, value, expected: "W3C trace context 00-<32 hex>-<16 hex>-<2 hex>")
                }
                traceparent = bounds
            }
            iteration = try number(
                headers.iteration, Header.iteration, maxDigits: 9, expected: "a non-negative decimal integer")
            producedAt = try number(
                headers.producedAt, Header.producedAt, maxDigits: 18, expected: "milliseconds since the epoch, in decimal")
            origin = try text(headers.origin, Header.origin)
            if let origin {
                let value = UnsafeBufferPointer(rebasing: buffer[origin])
                guard let at = value.firstIndex(of: UInt8(ascii: "@")), at != value.startIndex,
                    value.index(after: at) != value.endIndex
                else {
                    throw malformed(Header.origin, value, expected: "node@instance")
                }
            }
            specVersion = try number(
                headers.specVersion, Header.specVersion, maxDigits: 9, minimum: 1, expected: "a positive decimal integer")
        }
    }

    /// Decodes a record produced by ``encode()`` or consumed from a topic.
    public static func decode(_ record: EncodedRecord, mode: DecodingMode = .strict) throws(EnvelopeError) -> Envelope {
        try decode(key: record.key, value: record.value, headers: record.headers, mode: mode)
    }

    /// The values of the envelope's headers on one record, collected in a single pass over its headers: where each
    /// is in one buffer. Other headers are ignored, and of a repeated name the last value counts.
    public struct RawHeaders: Sendable {
        fileprivate var bytes: [UInt8]
        fileprivate var messageID, correlationID, traceparent, iteration, producedAt, origin, specVersion: Range<Int>?

        /// Collects values given one by one (``collect(name:value:)``), copying them.
        public init() { bytes = [] }

        /// Collects headers that all lie in `buffer` (a consumed record's names and values, one after another),
        /// given by their bounds (``collect(name:value:)-(Range<Int>,_)``): nothing is copied.
        public init(buffer: [UInt8]) { bytes = buffer }

        /// Notes the header whose name and value (`nil` when null, which counts as empty) are these bounds of the
        /// buffer given to ``init(buffer:)``, if it is one of the envelope's.
        public mutating func collect(name: Range<Int>, value: Range<Int>?) {
            guard let field = bytes.withUnsafeBufferPointer({ Self.field(named: UnsafeBufferPointer(rebasing: $0[name])) })
            else { return }
            set(field, to: value ?? name.upperBound..<name.upperBound)
        }

        /// Notes header `name` if it is one of the envelope's (a null value counts as empty), copying its value.
        public mutating func collect(name: String, value: ArraySlice<UInt8>?) {
            var name = name
            guard let field = name.withUTF8(Self.field(named:)) else { return }
            set(field, to: (value ?? []).withUnsafeBytes { store($0) })
        }

        /// The envelope's headers, as ``field(named:)`` recognises them.
        private enum Field { case messageID, correlationID, traceparent, iteration, producedAt, origin, specVersion }

        /// Which of the envelope's headers `name` spells, if any. Their names all differ in length: one comparison
        /// per header, not up to seven.
        private static func field(named name: UnsafeBufferPointer<UInt8>) -> Field? {
            switch name.count {
            case Header.messageID.utf8.count where matches(name, Header.messageID): .messageID
            case Header.correlationID.utf8.count where matches(name, Header.correlationID): .correlationID
            case Header.traceparent.utf8.count where matches(name, Header.traceparent): .traceparent
            case Header.iteration.utf8.count where matches(name, Header.iteration): .iteration
            case Header.producedAt.utf8.count where matches(name, Header.producedAt): .producedAt
            case Header.origin.utf8.count where matches(name, Header.origin): .origin
            case Header.specVersion.utf8.count where matches(name, Header.specVersion): .specVersion
            default: nil
            }
        }

        private mutating func set(_ field: Field, to value: Range<Int>) {
            switch field {
            case .messageID: messageID = value
            case .correlationID: correlationID = value
            case .traceparent: traceparent = value
            case .iteration: iteration = value
            case .producedAt: producedAt = value
            case .origin: origin = value
            case .specVersion: specVersion = value
            }
        }

        private mutating func store(_ bytes: UnsafeRawBufferPointer) -> Range<Int> {
            let start = self.bytes.count
            self.bytes.append(contentsOf: bytes)
            return start..<self.bytes.count
        }

        /// Whether `name` spells `header` (a literal, so its UTF-8 is contiguous).
        private static func matches(_ name: UnsafeBufferPointer<UInt8>, _ header: String) -> Bool {
            header.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }
                ?? header.utf8.elementsEqual(name)
        }
    }

    // MARK: Header values

    /// Whether `bytes` is valid UTF-8; ASCII (the usual header) is checked without building a string.
    private static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        isASCII(UnsafeRawBufferPointer(bytes)) || String(validating: bytes, as: UTF8.self) != nil
    }

    private static func isUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { isUTF8($0) }
    }

    /// Whether every byte is below 0x80, checked eight bytes at a time.
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var high: UInt64 = 0
        var offset = 0
        while offset + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < bytes.count {
            high |= UInt64(bytes[offset])
            offset += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// A plain decimal number (digits only, no sign), or `nil`.
    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>, maxDigits: Int) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= maxDigits else { return nil }
        var number: Int64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            number = number * 10 + Int64(digit)
        }
        return number
    }

    /// W3C trace context: `version-traceid-parentid-flags`, lowercase hex, ids not all zero, version not `ff`.
    static func isTraceparent(_ value: String) -> Bool {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
            parts[0] != "ff", parts.allSatisfy({ $0.utf8.allSatisfy(isLowerHex) }),
            parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" })
        else { return false }
        return parts[0] == "00" ? parts.count == 4 : true
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func malformed(
        _ header: String, _ bytes: UnsafeBufferPointer<UInt8>, expected: String
    ) -> EnvelopeError {
        let shown: String
        if let text = String(validating: bytes.prefix(64), as: UTF8.self) {
            shown = "'\(text)\(bytes.count > 64 ? "…" : "")'"
        } else {
            shown = "\(bytes.count) bytes that are not UTF-8"
        }
        return EnvelopeError(
            code: .malformedHeader, header: header, message: "header '\(header)' is malformed: \(shown), expected \(expected)")
    }
}
