/// Why a record is not a valid envelope, precisely: which header, or where in the payload.
public struct EnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case missingKey = "missing-key"
            case keyMismatch = "key-mismatch"
            case missingHeader = "missing-header"
            case malformedHeader = "malformed-header"
            case invalidPayload = "invalid-payload"
            case payloadEncoding = "payload-encoding"
            case payloadDecoding = "payload-decoding"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The record has no key (or an empty one) and strict decoding needs it.
        public static let missingKey = Code(.missingKey)
        /// The key is not the `sluice-correlation-id` header (or is not UTF-8).
        public static let keyMismatch = Code(.keyMismatch)
        /// A required header is absent; ``EnvelopeError/header`` names it.
        public static let missingHeader = Code(.missingHeader)
        /// A header's value is not valid; ``EnvelopeError/header`` names it.
        public static let malformedHeader = Code(.malformedHeader)
        /// The value is not one well-formed JSON document; ``EnvelopeError/byteOffset`` says where.
        public static let invalidPayload = Code(.invalidPayload)
        /// A payload value could not be encoded as JSON.
        public static let payloadEncoding = Code(.payloadEncoding)
        /// The payload is JSON but not of the requested type.
        public static let payloadDecoding = Code(.payloadDecoding)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The header concerned, for header errors.
    public var header: String?
    /// Where in the payload, for ``Code/invalidPayload``.
    public var byteOffset: Int?
    public var message: String

    public init(code: Code, header: String? = nil, byteOffset: Int? = nil, message: String) {
        self.code = code
        self.header = header
        self.byteOffset = byteOffset
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
