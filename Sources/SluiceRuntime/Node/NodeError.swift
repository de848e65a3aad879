/// Why a node could not be created or could not emit.
public struct NodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unknownKind = "unknown-kind"
            case unknownNode = "unknown-node"
            case unknownPort = "unknown-port"
            case invalidConfiguration = "invalid-configuration"
            case invalidOutput = "invalid-output"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No factory is registered for the node's kind.
        public static let unknownKind = Code(.unknownKind)
        /// The graph has no node of that name.
        public static let unknownNode = Code(.unknownNode)
        /// ``NodeContext/emit(_:to:)`` named a port the node does not declare.
        public static let unknownPort = Code(.unknownPort)
        /// The node's `config` is not what its kind needs.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// An emitted payload is not JSON or cannot be encoded.
        public static let invalidOutput = Code(.invalidOutput)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
