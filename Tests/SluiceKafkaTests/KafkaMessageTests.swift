import Testing

@testable import SluiceKafka

/// A consumed message keeps its headers in one buffer (``PackedHeaders``); it must read back exactly as the header
/// list a message built from ``KafkaHeader``s gives.
@Suite struct KafkaMessageTests {
    private let headers = [
        KafkaHeader(name: "a", string: "1"), KafkaHeader(name: "empty", value: []), KafkaHeader(name: "null", value: nil),
        KafkaHeader(name: "a", string: "second a"), KafkaHeader(name: "binary", value: [0, 0xFF, 7]),
    ]

    private func packed() -> KafkaMessage {
        KafkaMessage(
            topic: "t", partition: 0, offset: 0, key: nil, value: [], packedHeaders: PackedHeaders(headers),
            timestampMilliseconds: nil)
    }

    @Test func packedHeadersReadBackInOrderWithNullAndEmptyValuesApart() {
        let message = packed()
        #expect(message.headers == headers)
        var seen: [KafkaHeader] = []
        message.forEachHeader { seen.append(KafkaHeader(name: $0, value: $1.map(Array.init))) }
        #expect(seen == headers)
        #expect(message.header("a")?.stringValue == "1")
        let packed = message.packedHeaders
        var bounds: [(name: String, value: [UInt8]?)] = []
        packed.forEach { bounds.append((String(decoding: packed.bytes[$0], as: UTF8.self), $1.map { Array(packed.bytes[$0]) })) }
        #expect(bounds.map(\.name) == headers.map(\.name))
        #expect(bounds.map(\.value) == headers.map(\.value))
    }

    @Test func aListedMessagePacksItsHeadersOnRequest() {
        let message = KafkaMessage(
            topic: "t", partition: 0, offset: 0, key: nil, value: [], headers: headers, timestampMilliseconds: nil)
        #expect(message.packedHeaders.count == headers.count)
        #expect(message.packedHeaders.list == headers)
    }

    @Test func settingHeadersReplacesThePackedOnes() {
        var message = packed()
        message.headers = [KafkaHeader(name: "only", string: "x")]
        #expect(message.headers == [KafkaHeader(name: "only", string: "x")])
        var names: [String] = []
        message.forEachHeader { name, _ in names.append(name) }
        #expect(names == ["only"])
    }

    @Test func aCopyKeepsItsFieldsWhenTheOriginalChanges() {
        let original = packed()
        var changed = original
        changed.topic = "other"
        changed.offset = 9
        changed.key = [1]
        changed.value = [2]
        changed.isTombstone = true
        changed.headers = []
        #expect(original.topic == "t" && original.offset == 0 && original.key == nil && original.value.isEmpty)
        #expect(!original.isTombstone)
        #expect(original.headers == headers)
        #expect(changed.topicPartition == TopicPartition(topic: "other", partition: 0))
        #expect(changed.offset == 9 && changed.key == [1] && changed.value == [2] && changed.isTombstone)
        #expect(changed.headers.isEmpty)
    }
}
