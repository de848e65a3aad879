import Foundation
import Testing
@testable import SluiceCore

@Suite struct EnvelopeTests {
    private struct Question: Codable, Equatable {
        var text: String
        var priority: Int
    }

    private let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    private func sample() throws -> Envelope {
        try Envelope(
            payload: Question(text: "hi", priority: 2), correlationID: "order-42", messageID: "m-1", iteration: 2,
            producedAt: 1_700_000_000_123, origin: "classify@worker-1", specVersion: 3, traceparent: traceparent)
    }

    @Test func nowIsTheWallClockInMilliseconds() {
        let before = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let now = Envelope.now()
        let after = Int64((Date().timeIntervalSince1970 * 1000).rounded(.up))
        #expect((before...after).contains(now))
    }

    @Test func encodesKeyValueAndHeaders() throws {
        let record = try sample().encode()
        #expect(record.key == Array("order-42".utf8))
        #expect(record.headers.map(\.name) == [
            "sluice-message-id", "sluice-correlation-id", "traceparent", "sluice-iteration", "sluice-produced-at",
            "sluice-origin", "sluice-spec-version",
        ])
        #expect(record.header("sluice-iteration") == Array("2".utf8))
        #expect(record.header("sluice-produced-at") == Array("1700000000123".utf8))
    }

    @Test func roundTripsThroughARecord() throws {
        let envelope = try sample()
        let decoded = try Envelope.decode(envelope.encode())
        #expect(decoded == envelope)
        #expect(try decoded.payload(as: Question.self) == Question(text: "hi", priority: 2))
    }

    @Test func payloadBytesPassThroughUntouched() throws {
        let raw = Array("{ \"b\" : 1,\"a\":[ ] }".utf8)
        let envelope = Envelope(rawPayload: raw, correlationID: "c", origin: "n@1", specVersion: 1)
        #expect(try Envelope.decode(envelope.encode()).payload == raw)
    }

    @Test(arguments: [
        "sluice-message-id", "sluice-correlation-id", "sluice-iteration", "sluice-produced-at", "sluice-origin",
        "sluice-spec-version",
    ])
    func strictDecodingNamesTheMissingHeader(header: String) throws {
        var record = try sample().encode()
        record.headers.removeAll { $0.name == header }
        #expect(throws: EnvelopeError(code: .missingHeader, header: header, message: "missing header '\(header)'")) {
            try Envelope.decode(record)
        }
    }

    @Test(arguments: [
        ("sluice-iteration", "-1"), ("sluice-iteration", "1e3"), ("sluice-produced-at", ""), ("sluice-origin", "classify"),
        ("sluice-origin", "@w"), ("sluice-spec-version", "0"), ("traceparent", "00-xyz"),
        ("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"), ("sluice-message-id", ""),
    ])
    func malformedHeadersAreNamed(header: String, value: String) throws {
        var record = try sample().encode()
        record.headers.removeAll { $0.name == header }
        record.headers.append((header, Array(value.utf8)))
        do {
            _ = try Envelope.decode(record)
            Issue.record("decoded a record with \(header)=\(value)")
        } catch {
            #expect(error.code == .malformedHeader)
            #expect(error.header == header)
        }
    }

    @Test func headersThatAreNotUTF8AreMalformed() throws {
        var record = try sample().encode()
        record.headers.append(("sluice-origin", [0xFF, 0x40, 0x41]))
        #expect(throws: EnvelopeError.self) { try Envelope.decode(record) }
    }

    @Test func asciiIsCheckedEightBytesAtATimeWithoutMissingAHighByte() {
        for count in 0...19 {
            let ascii = [UInt8](repeating: UInt8(ascii: "a"), count: count)
            #expect(ascii.withUnsafeBytes(Envelope.isASCII), "\(count) ASCII bytes")
            for position in 0..<count {
                var bytes = ascii
                bytes[position] = 0x80
                #expect(!bytes.withUnsafeBytes(Envelope.isASCII), "0x80 at \(position) of \(count)")
            }
        }
    }

    @Test func aKeyThatIsNotUTF8IsRejectedWithoutACorrelationHeader() throws {
        var record = Envelope(rawPayload: Array("{}".utf8), correlationID: "c").encode()
        record.headers.removeAll { $0.name == Envelope.Header.correlationID }
        record.key = Array("order-".utf8) + [0xC3, 0x28]
        #expect { try Envelope.decode(record, mode: .lenient) } throws: { ($0 as? EnvelopeError)?.code == .keyMismatch }
        record.key = Array("größe".utf8)
        #expect(try Envelope.decode(record, mode: .lenient).correlationID == "größe")
    }

    @Test func nonASCIITextHeadersRoundTripAndStayBytesUntilRead() throws {
        let envelope = Envelope(
            rawPayload: Array("{}".utf8), correlationID: "bestellung-größe-🙂", origin: "zusammenfassen@wörker-1",
            specVersion: 1)
        let decoded = try Envelope.decode(envelope.encode())
        #expect(decoded.correlationIDBytes.elementsEqual("bestellung-größe-🙂".utf8))
        #expect(decoded.correlationID == "bestellung-größe-🙂")
        #expect(decoded.origin == "zusammenfassen@wörker-1")
        var changed = decoded
        changed.correlationID = "other"
        #expect(changed.key == Array("other".utf8) && changed != decoded)
    }

    @Test func keyMustMatchTheCorrelationHeader() throws {
        var record = try sample().encode()
        record.key = Array("other".utf8)
        #expect { try Envelope.decode(record) } throws: { ($0 as? EnvelopeError)?.code == .keyMismatch }
        record.key = []
        #expect { try Envelope.decode(record) } throws: { ($0 as? EnvelopeError)?.code == .missingKey }
        record.key = [0xC3]
        #expect { try Envelope.decode(record) } throws: { ($0 as? EnvelopeError)?.code == .keyMismatch }
    }

    @Test func invalidPayloadReportsTheByteOffset() throws {
        var record = try sample().encode()
        record.value = Array("{\"text\": \"hi\",}".utf8)
        do {
            _ = try Envelope.decode(record)
            Issue.record("decoded an invalid payload")
        } catch {
            #expect(error.code == .invalidPayload)
            #expect(error.byteOffset == 14)
        }
        record.value = []
        #expect { try Envelope.decode(record) } throws: { ($0 as? EnvelopeError)?.byteOffset == 0 }
    }

    @Test func lenientDecodingFillsDefaultsForUserMessages() throws {
        let envelope = try Envelope.decode(
            key: Array("user-7".utf8), value: Array("{\"q\": 1}".utf8), headers: [], mode: .lenient, receivedAt: 42)
        #expect(envelope.correlationID == "user-7")
        #expect(envelope.iteration == 0 && envelope.producedAt == 42)
        #expect(UUID(uuidString: envelope.messageID) != nil)
        #expect(envelope.origin == nil && envelope.specVersion == nil && envelope.traceparent == nil)
    }

    @Test func lenientDecodingWithoutKeyGeneratesACorrelationID() throws {
        let first = try Envelope.decode(key: nil, value: Array("1".utf8), headers: [], mode: .lenient)
        let second = try Envelope.decode(key: nil, value: Array("1".utf8), headers: [], mode: .lenient)
        #expect(!first.correlationID.isEmpty && first.correlationID != second.correlationID)
    }

    @Test func lenientDecodingStillRejectsMalformedHeadersAndPayloads() {
        #expect(throws: EnvelopeError.self) {
            try Envelope.decode(key: nil, value: Array("1".utf8), headers: [("sluice-iteration", Array("x".utf8))], mode: .lenient)
        }
        #expect(throws: EnvelopeError.self) { try Envelope.decode(key: nil, value: Array("{".utf8), headers: [], mode: .lenient) }
    }

    @Test func payloadOfTheWrongTypeIsAnError() throws {
        let envelope = Envelope(rawPayload: Array("[1]".utf8), correlationID: "c")
        #expect { try envelope.payload(as: Question.self) } throws: { ($0 as? EnvelopeError)?.code == .payloadDecoding }
    }

    @Test func arbitraryBytesNeverCrashTheDecoder() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let value = (0..<Int.random(in: 0..<40, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            let decoded = try? Envelope.decode(key: value, value: value, headers: [("sluice-iteration", value)], mode: .lenient)
            if let decoded { #expect(decoded.payload == value) }
        }
    }
}
