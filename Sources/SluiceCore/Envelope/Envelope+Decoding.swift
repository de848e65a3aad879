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
    /// The envelope's text headers stay views of the collected bytes: no strings are built.
    ///
    /// - Throws: ``EnvelopeError`` as ``decode(key:value:headers:mode:receivedAt:)`` does.
    public static func decode(
        key: [UInt8]?, value: [UInt8], headers: RawHeaders, mode: DecodingMode = .strict, receivedAt: Int64? = nil
    ) throws(EnvelopeError) -> Envelope {
        let lenient = mode == .lenient
        func required(_ bytes: ArraySlice<UInt8>?, _ name: String) throws(EnvelopeError) -> ArraySlice<UInt8>? {
            if let bytes { return bytes }
            if lenient { return nil }
            throw EnvelopeError(code: .missingHeader, header: name, message: "missing header '\(name)'")
        }

        let messageID = try required(headers.messageID, Header.messageID).map { bytes throws(EnvelopeError) in
            try text(bytes, header: Header.messageID)
        }
        let correlationHeader = try required(headers.correlationID, Header.correlationID).map {
            bytes throws(EnvelopeError) in try text(bytes, header: Header.correlationID)
        }
        let traceparent = try headers.traceparent.map { bytes throws(EnvelopeError) in
            guard isTraceparent(String(decoding: try text(bytes, header: Header.traceparent), as: UTF8.self)) else {
                throw malformed(Header.traceparent, bytes, expected: "W3C trace context 00-<32 hex>-<16 hex>-<2 hex>")
            }
            return bytes
        }
        let iteration = try required(headers.iteration, Header.iteration).map { bytes throws(EnvelopeError) in
            guard let number = decimal(bytes, maxDigits: 9) else {
                throw malformed(Header.iteration, bytes, expected: "a non-negative decimal integer")
            }
            return number
        }
        let producedAt = try required(headers.producedAt, Header.producedAt).map { bytes throws(EnvelopeError) in
            guard let number = decimal(bytes, maxDigits: 18) else {
                throw malformed(Header.producedAt, bytes, expected: "milliseconds since the epoch, in decimal")
            }
            return number
        }
        let origin = try required(headers.origin, Header.origin).map { bytes throws(EnvelopeError) in
            let value = try text(bytes, header: Header.origin)
            guard let at = value.firstIndex(of: UInt8(ascii: "@")), at != value.startIndex,
                value.index(after: at) != value.endIndex
            else {
                throw malformed(Header.origin, bytes, expected: "node@instance")
            }
            return value
        }
        let specVersion = try required(headers.specVersion, Header.specVersion).map { bytes throws(EnvelopeError) in
            guard let number = decimal(bytes, maxDigits: 9), number > 0 else {
                throw malformed(Header.specVersion, bytes, expected: "a positive decimal integer")
            }
            return number
        }

        let keyBytes = key.flatMap { $0.isEmpty ? nil : $0[...] }
        // A key equal to the (checked) correlation header is UTF-8 too.
        if let keyBytes, keyBytes != correlationHeader, !isUTF8(keyBytes) {
            throw EnvelopeError(code: .keyMismatch, message: "record key is not valid UTF-8 (it must be the correlation id)")
        }
        let correlationID: ArraySlice<UInt8>
        switch (keyBytes, correlationHeader) {
        case (let keyBytes?, let header?):
            guard keyBytes == header else {
                throw EnvelopeError(
                    code: .keyMismatch, header: Header.correlationID,
                    message: "record key '\(String(decoding: keyBytes, as: UTF8.self))' differs from header "
                        + "'\(Header.correlationID)' ('\(String(decoding: header, as: UTF8.self))')")
            }
            correlationID = header
        case (nil, let header?):
            guard lenient else {
                throw EnvelopeError(code: .missingKey, message: "record has no key (the key must be the correlation id)")
            }
            correlationID = header
        case (let keyBytes?, nil):
            correlationID = keyBytes
        case (nil, nil):
            correlationID = makeMessageIDBytes()[...]
        }

        if value.isEmpty {
            throw EnvelopeError(code: .invalidPayload, byteOffset: 0, message: "payload is empty (expected a JSON value)")
        }
        do {
            try JSONSyntax.validate(value)
        } catch {
            throw EnvelopeError(code: .invalidPayload, byteOffset: error.offset, message: "payload is not valid JSON: \(error)")
        }
        return Envelope(
            payload: value, messageID: messageID ?? makeMessageIDBytes()[...], correlationID: correlationID,
            traceparent: traceparent, iteration: iteration.map(Int.init) ?? 0,
            producedAt: producedAt ?? receivedAt ?? now(), origin: origin, specVersion: specVersion.map(Int.init))
    }

    /// Decodes a record produced by ``encode()`` or consumed from a topic.
    public static func decode(_ record: EncodedRecord, mode: DecodingMode = .strict) throws(EnvelopeError) -> Envelope {
        try decode(key: record.key, value: record.value, headers: record.headers, mode: mode)
    }

    /// The values of the envelope's headers on one record, collected in a single pass over its headers; other
    /// headers are ignored, and of a repeated name the last value counts.
    public struct RawHeaders: Sendable {
        fileprivate var messageID, correlationID, traceparent, iteration, producedAt, origin, specVersion:
            ArraySlice<UInt8>?

        public init() {}

        /// Notes header `name` if it is one of the envelope's (a null value counts as empty).
        public mutating func collect(name: String, value: ArraySlice<UInt8>?) {
            // The envelope's header names all differ in length: one string comparison per header, not up to seven.
            let value = value ?? []
            switch name.utf8.count {
            case Header.messageID.utf8.count where name == Header.messageID: messageID = value
            case Header.correlationID.utf8.count where name == Header.correlationID: correlationID = value
            case Header.traceparent.utf8.count where name == Header.traceparent: traceparent = value
            case Header.iteration.utf8.count where name == Header.iteration: iteration = value
            case Header.producedAt.utf8.count where name == Header.producedAt: producedAt = value
            case Header.origin.utf8.count where name == Header.origin: origin = value
            case Header.specVersion.utf8.count where name == Header.specVersion: specVersion = value
            default: break
            }
        }
    }

    // MARK: Header values

    /// `bytes`, once checked to be non-empty UTF-8 text.
    private static func text(_ bytes: ArraySlice<UInt8>, header: String) throws(EnvelopeError) -> ArraySlice<UInt8> {
        guard isUTF8(bytes) else { throw malformed(header, bytes, expected: "UTF-8 text") }
        guard !bytes.isEmpty else { throw malformed(header, bytes, expected: "a non-empty value") }
        return bytes
    }

    /// Whether `bytes` is valid UTF-8; ASCII (the usual header) is checked without building a string.
    private static func isUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes(isASCII) || String(validating: bytes, as: UTF8.self) != nil
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
    private static func decimal(_ bytes: ArraySlice<UInt8>, maxDigits: Int) -> Int64? {
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

    private static func malformed(_ header: String, _ bytes: ArraySlice<UInt8>, expected: String) -> EnvelopeError {
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
