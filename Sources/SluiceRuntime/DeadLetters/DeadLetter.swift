import SluiceCore
public import SluiceKafka

/// One record of a node's dead-letter topic: the failed input's key, value and headers, plus the
/// ``DeadLetterHeader`` headers the worker added (why it failed, how often it was tried, where it came from).
public struct DeadLetter: Sendable {
    /// Where the dead letter is in the dead-letter topic.
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    public var timestampMilliseconds: Int64?

    public init(_ message: KafkaMessage) {
        partition = message.partition
        offset = message.offset
        key = message.key
        value = message.value
        headers = message.headers
        timestampMilliseconds = message.timestampMilliseconds
    }

    /// The headers the worker adds when it dead-letters an input; a replay removes them.
    public static let deadLetterHeaders: Set<String> = [
        DeadLetterHeader.error, DeadLetterHeader.attempts, DeadLetterHeader.node, DeadLetterHeader.instance,
        DeadLetterHeader.sourceTopic, DeadLetterHeader.sourcePartition, DeadLetterHeader.sourceOffset,
    ]

    public func header(_ name: String) -> String? { headers.last { $0.name == name }?.stringValue }

    /// The node's last error, or the decoding error.
    public var error: String? { header(DeadLetterHeader.error) }
    /// How many times the node was called (0 for an input that could not be decoded).
    public var attempts: Int? { header(DeadLetterHeader.attempts).flatMap { Int($0) } }
    public var sourceTopic: String? { header(DeadLetterHeader.sourceTopic) }
    public var sourcePartition: Int32? { header(DeadLetterHeader.sourcePartition).flatMap { Int32($0) } }
    public var sourceOffset: Int64? { header(DeadLetterHeader.sourceOffset).flatMap { Int64($0) } }

    /// The envelope's correlation id, else the Kafka key (a user's plain JSON input has no envelope headers).
    public var correlationID: String? {
        header(Envelope.Header.correlationID) ?? key.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The start of the value on one line: control characters escaped, cut at `length` characters.
    public func preview(length: Int = 60) -> String {
        var text = ""
        for scalar in String(decoding: value.prefix(length * 4), as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                text += "\\u{\(String(scalar.value, radix: 16))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        guard text.count > length || value.count > length * 4 else { return text }
        return String(text.prefix(length - 1)) + "…"
    }

    /// The record that puts the input back where it came from: its source topic and partition, with the original
    /// key, value and headers minus the dead-letter ones. `nil` when the source topic header is missing.
    public var replayRecord: KafkaRecord? {
        guard let sourceTopic, !sourceTopic.isEmpty else { return nil }
        return KafkaRecord(
            topic: sourceTopic, partition: sourcePartition, key: key, value: value,
            headers: headers.filter { !Self.deadLetterHeaders.contains($0.name) })
    }
}
