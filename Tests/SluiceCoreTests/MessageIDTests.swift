import SluiceCore
import Testing

@Suite("Message ids")
struct MessageIDTests {
    @Test func idsAreLowercaseVersion4UUIDsAndDistinct() {
        let ids = (0..<10_000).map { _ in Envelope.makeMessageID() }
        #expect(Set(ids).count == ids.count)
        // Every hex digit turns up, at every position that is not fixed (dashes, version, variant).
        #expect(Set(ids.joined()) == Set("0123456789abcdef-"))
        for position in 0..<36 where ![8, 13, 14, 18, 19, 23].contains(position) {
            #expect(Set(ids.map { Array($0.utf8)[position] }).count == 16, "position \(position)")
        }
        for id in ids.prefix(100) {
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") }, "\(id)")
            #expect(bytes[14] == UInt8(ascii: "4"), "version nibble of \(id)")
            #expect("89ab".utf8.contains(bytes[19]), "variant nibble of \(id)")
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) }, "\(id)")
        }
    }
}
