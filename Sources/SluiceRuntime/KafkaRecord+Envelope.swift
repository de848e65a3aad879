public import SluiceCore
public import SluiceKafka

extension KafkaRecord {
    /// The record that carries `envelope` to `topic`: key = correlation id, value = payload, the envelope's headers.
    public init(topic: String, envelope: Envelope) {
        var headers: [KafkaHeader] = []
        headers.reserveCapacity(Envelope.maxHeaderCount)
        envelope.forEachHeader { headers.append(KafkaHeader(name: $0, value: $1)) }
        self.init(topic: topic, key: envelope.key, value: envelope.payload, headers: headers)
    }
}
