/// Checks that bytes are one well-formed JSON document (RFC 8259, UTF-8) without building it.
///
/// Runs on every message, so it never allocates: an iterative scanner whose container stack is
/// a bit set (object or array) in a small stack-allocated buffer, bounded by ``maxDepth``.
public enum JSONSyntax {
    /// The deepest nesting accepted; deeper documents fail with ``JSONSyntaxError/Reason/tooDeep``.
    public static let maxDepth = 512

    /// Throws the first syntax error, with its byte offset.
    public static func validate(_ bytes: [UInt8]) throws(JSONSyntaxError) {
        let error = bytes.withUnsafeBufferPointer { buffer in firstError(in: buffer) }
        if let error { throw error }
    }

    /// Throws the first syntax error, with its byte offset.
    public static func validate(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) {
        if let error = firstError(in: bytes) { throw error }
    }

    static func firstError(in bytes: UnsafeBufferPointer<UInt8>) -> JSONSyntaxError? {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: maxDepth / 64) { stack -> JSONSyntaxError? in
            var scanner = JSONScanner(bytes: bytes, stack: stack)
            do throws(JSONSyntaxError) {
                try scanner.document()
                return nil
            } catch {
                return error
            }
        }
    }
}

/// Why and where a payload is not JSON.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidLiteral
        case invalidNumber
        case invalidEscape
        case controlCharacterInString
        case invalidUTF8
        case tooDeep
        case trailingData
    }

    /// Offset of the offending byte from the start of the payload (the length for an unexpected end).
    public var offset: Int
    public var reason: Reason

    public var description: String {
        let what =
            switch reason {
            case .unexpectedEnd: "unexpected end of input"
            case .unexpectedByte(let byte):
                (0x20..<0x7F).contains(byte)
                    ? "unexpected character '\(Character(Unicode.Scalar(byte)))'" : "unexpected byte 0x\(String(byte, radix: 16))"
            case .invalidLiteral: "invalid literal (expected true, false or null)"
            case .invalidNumber: "invalid number"
            case .invalidEscape: "invalid escape sequence in string"
            case .controlCharacterInString: "unescaped control character in string"
            case .invalidUTF8: "invalid UTF-8"
            case .tooDeep: "nesting deeper than \(JSONSyntax.maxDepth)"
            case .trailingData: "unexpected data after the JSON value"
            }
        return "\(what) at byte \(offset)"
    }
}

private struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Bit `n` set: the container at depth `n` is an object; clear: an array.
    let stack: UnsafeMutableBufferPointer<UInt64>
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, stack: UnsafeMutableBufferPointer<UInt64>) {
        self.bytes = bytes
        self.stack = stack
    }

    private var insideObject: Bool { stack[(depth - 1) >> 6] & (1 << UInt64((depth - 1) & 63)) != 0 }

    mutating func document() throws(JSONSyntaxError) {
        value: while true {
            skipSpace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[index] == UInt8(ascii: "{")
                index += 1
                skipSpace()
                if index < bytes.count, bytes[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                } else {
                    try push(isObject)
                    if isObject { try key() }
                    continue value
                }
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw fail(.unexpectedByte(bytes[index]))
            }
            // After a value: close containers until one wants another element.
            while true {
                skipSpace()
                guard depth > 0 else {
                    if index < bytes.count { throw fail(.trailingData) }
                    return
                }
                guard index < bytes.count else { throw fail(.unexpectedEnd) }
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: ",") {
                    if insideObject { try key() }
                    continue value
                }
                guard byte == (insideObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    index -= 1
                    throw fail(.unexpectedByte(byte))
                }
                depth -= 1
            }
        }
    }

    /// An object key and its colon.
    private mutating func key() throws(JSONSyntaxError) {
        skipSpace()
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        guard bytes[index] == UInt8(ascii: "\"") else { throw fail(.unexpectedByte(bytes[index])) }
        try string()
        skipSpace()
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        guard bytes[index] == UInt8(ascii: ":") else { throw fail(.unexpectedByte(bytes[index])) }
        index += 1
    }

    private mutating func push(_ isObject: Bool) throws(JSONSyntaxError) {
        guard depth < JSONSyntax.maxDepth else { throw fail(.tooDeep) }
        let word = depth >> 6, bit: UInt64 = 1 << UInt64(depth & 63)
        if isObject { stack[word] |= bit } else { stack[word] &= ~bit }
        depth += 1
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail(.invalidLiteral) }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] { throw fail(.invalidLiteral) }
        index += count
    }

    private mutating func number() throws(JSONSyntaxError) {
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw fail(.invalidNumber) }
        if bytes[index] == UInt8(ascii: "0") { index += 1 } else { skipDigits() }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail(.invalidNumber) }
            skipDigits()
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail(.invalidNumber) }
            skipDigits()
        }
    }

    private mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// A string starting at the opening quote.
    private mutating func string() throws(JSONSyntaxError) {
        index += 1
        while true {
            skipPlainStringBytes()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            // Not plain: the closing quote, an escape, a control character or the start of a multi-byte scalar.
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return
            } else if byte == UInt8(ascii: "\\") {
                try escape()
            } else if byte < 0x20 {
                throw fail(.controlCharacterInString)
            } else {
                try utf8Sequence()
            }
        }
    }

    /// Skips the string's plain bytes (printable ASCII other than a quote or a backslash), eight at a time
    /// while it can: payloads are mostly text, and this is where a long one spends its time.
    private mutating func skipPlainStringBytes() {
        if let base = UnsafeRawPointer(bytes.baseAddress) {
            while index + 8 <= bytes.count,
                !Self.mayHoldSpecialStringByte(base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            {
                index += 8
            }
        }
        while index < bytes.count, Self.isPlainStringByte(bytes[index]) { index += 1 }
    }

    private static func isPlainStringByte(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }

    /// Whether any of the eight bytes in `word` may be a quote, a backslash, a control character or not ASCII.
    /// Never `false` when one is; the byte loop sorts out the rest.
    ///
    /// `(x - 0x01…01) & ~x & 0x80…80` is non-zero exactly when some byte of `x` is zero; with `0x20…20`
    /// subtracted, when some byte is below 0x20 (a byte from 0x80 up is caught by its own high bit).
    private static func mayHoldSpecialStringByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = (word &- ones &* 0x20) & ~word
        return (hasQuote | hasBackslash | hasControl | word) & (ones &* 0x80) != 0
    }

    private mutating func escape() throws(JSONSyntaxError) {
        guard index + 1 < bytes.count else { throw fail(.unexpectedEnd) }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
        case UInt8(ascii: "u"):
            guard index + 6 <= bytes.count else { throw fail(.unexpectedEnd) }
            for offset in 2..<6 {
                let byte = bytes[index + offset]
                guard isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f")) else {
                    throw fail(.invalidEscape)
                }
            }
            index += 6
        default:
            throw fail(.invalidEscape)
        }
    }

    /// One multi-byte UTF-8 scalar, rejecting overlong forms, surrogates and values past U+10FFFF.
    private mutating func utf8Sequence() throws(JSONSyntaxError) {
        let lead = bytes[index]
        let length: Int, secondRange: ClosedRange<UInt8>
        switch lead {
        case 0xC2...0xDF: (length, secondRange) = (2, 0x80...0xBF)
        case 0xE0: (length, secondRange) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, secondRange) = (3, 0x80...0xBF)
        case 0xED: (length, secondRange) = (3, 0x80...0x9F)
        case 0xF0: (length, secondRange) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, secondRange) = (4, 0x80...0xBF)
        case 0xF4: (length, secondRange) = (4, 0x80...0x8F)
        default: throw fail(.invalidUTF8)
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { throw fail(.invalidUTF8) }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { throw fail(.invalidUTF8) }
        index += length
    }

    private func fail(_ reason: JSONSyntaxError.Reason) -> JSONSyntaxError {
        JSONSyntaxError(offset: min(index, bytes.count), reason: reason)
    }
}
