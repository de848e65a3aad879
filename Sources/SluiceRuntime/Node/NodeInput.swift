public import SluiceCore

/// One message handed to ``Node/process(_:context:)``: the decoded envelope and where it was read.
public struct NodeInput: Sendable {
    /// The decoded message: payload and routing headers.
    public var envelope: Envelope
    /// The topic the message was read from.
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(envelope: Envelope, topic: String, partition: Int32, offset: Int64) {
        self.envelope = envelope
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    /// Ties together every message of one piece of work; outputs keep it.
    public var correlationID: String { envelope.correlationID }

    /// How many times the message has gone round a loop (0 outside loops).
    public var iteration: Int { envelope.iteration }

    /// The JSON payload as raw bytes.
    public var rawPayload: [UInt8] { envelope.payload }

    /// The payload decoded as `type`.
    ///
    /// - Throws: ``EnvelopeError/Code/payloadDecoding`` when the JSON does not fit `type`.
    public func payload<T: Decodable>(as type: T.Type) throws(EnvelopeError) -> T {
        try envelope.payload(as: type)
    }
}
