import Foundation
import Testing
@testable import SluiceCore

@Suite struct JSONSyntaxTests {
    private func error(_ text: String) -> JSONSyntaxError? {
        do {
            try JSONSyntax.validate(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        "0", "-0.5e+10", "\"\"", "true", "null", "[]", "{}", " [1, [2, {\"a\": [false]}], \"é\\u00e9\\n\"] ",
        "{\"a\":{\"b\":{}},\"c\":[[],[{}]]}", "\"😀\"", "1E3",
    ])
    func acceptsValidDocuments(text: String) {
        #expect(error(text) == nil)
    }

    @Test(arguments: [
        ("", 0, JSONSyntaxError.Reason.unexpectedEnd), ("{\"a\" 1}", 5, .unexpectedByte(UInt8(ascii: "1"))),
        ("[1,]", 3, .unexpectedByte(UInt8(ascii: "]"))), ("[1 2]", 3, .unexpectedByte(UInt8(ascii: "2"))),
        ("01", 1, .trailingData), ("-", 1, .invalidNumber), ("1.", 2, .invalidNumber), ("1e", 2, .invalidNumber),
        ("tru", 0, .invalidLiteral), ("nul!", 0, .invalidLiteral), ("\"a\\x\"", 2, .invalidEscape),
        ("\"\\u12g4\"", 1, .invalidEscape), ("\"a\nb\"", 2, .controlCharacterInString), ("{\"a\":1", 6, .unexpectedEnd),
        ("[1]]", 3, .trailingData), ("{1:2}", 1, .unexpectedByte(UInt8(ascii: "1"))), ("\"abc", 4, .unexpectedEnd),
        ("{\"a\":1]", 6, .unexpectedByte(UInt8(ascii: "]"))), ("'a'", 0, .unexpectedByte(UInt8(ascii: "'"))),
    ])
    func rejectsInvalidDocumentsAtTheRightOffset(text: String, offset: Int, reason: JSONSyntaxError.Reason) {
        #expect(error(text) == JSONSyntaxError(offset: offset, reason: reason))
    }

    @Test(arguments: [[0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0xFF, 0x22]] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONSyntaxError(offset: 1, reason: .invalidUTF8)) { try JSONSyntax.validate(bytes) }
    }

    /// Strings are scanned eight bytes at a time: a byte that needs a look must be found wherever it falls.
    @Test func findsEveryKindOfByteAtEveryPositionInALongString() {
        let cases: [(bytes: [UInt8], reason: JSONSyntaxError.Reason?)] = [
            ([0x0A], .controlCharacterInString), ([0x1F], .controlCharacterInString),
            ([0x00], .controlCharacterInString), ([UInt8(ascii: "\\"), UInt8(ascii: "x")], .invalidEscape),
            ([0x80], .invalidUTF8), ([0xFF], .invalidUTF8), ([UInt8(ascii: "\"")], .trailingData),
            ([UInt8(ascii: "\\"), UInt8(ascii: "n")], nil), ([0xC3, 0xA9], nil), ([0xF0, 0x9F, 0x98, 0x80], nil),
            ([0x7F], nil), ([0x20], nil), ([UInt8(ascii: "!")], nil), ([UInt8(ascii: "#")], nil),
            ([UInt8(ascii: "[")], nil), ([UInt8(ascii: "]")], nil),
        ]
        for (special, reason) in cases {
            for before in 0..<20 {
                let quote = [UInt8(ascii: "\"")]
                let text = quote + Array(repeating: UInt8(ascii: "a"), count: before) + special
                    + Array(repeating: UInt8(ascii: "b"), count: 19) + quote
                let found: JSONSyntaxError.Reason?
                do {
                    try JSONSyntax.validate(text)
                    found = nil
                } catch {
                    found = error.reason
                }
                #expect(found == reason, "\(special) after \(before) plain bytes")
            }
        }
    }

    @Test func limitsNestingInsteadOfOverflowingTheStack() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(error(deep)?.reason == .tooDeep)
        let ok = String(repeating: "[", count: JSONSyntax.maxDepth) + String(repeating: "]", count: JSONSyntax.maxDepth)
        #expect(error(ok) == nil)
        let mixed = String(repeating: "{\"k\":[", count: 200) + "1" + String(repeating: "]}", count: 200)
        #expect(error(mixed) == nil)
    }

    @Test func agreesWithFoundationOnARealPayload() throws {
        let payload = try JSONSerialization.data(withJSONObject: ["question": "Où est ma commande?", "tags": [1, 2.5, true], "meta": NSNull()])
        #expect(throws: Never.self) { try JSONSyntax.validate(Array(payload)) }
    }

    @Test func errorsDescribeThemselves() {
        #expect(JSONSyntaxError(offset: 7, reason: .unexpectedByte(UInt8(ascii: "}"))).description == "unexpected character '}' at byte 7")
    }
}
