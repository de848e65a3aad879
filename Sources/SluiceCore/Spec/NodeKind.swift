/// What a node does. Built-in kinds ship with Sluice; user kinds are registered by type name
/// and spelled `custom/<TypeName>` in a spec.
public enum NodeKind: Sendable, Hashable, CustomStringConvertible {
    case passthrough
    case join
    case window
    case router
    case llm
    case http
    case sink
    case delay
    /// A user-registered node type, `custom/<TypeName>`.
    case custom(String)

    /// The built-in kinds, in the order the docs list them.
    public static let builtIn: [NodeKind] = [.passthrough, .join, .window, .router, .llm, .http, .sink, .delay]

    /// Parses `router`, `custom/MyNode`, ...; `nil` for anything else.
    public init?(rawValue: String) {
        if let kind = Self.builtIn.first(where: { $0.rawValue == rawValue }) {
            self = kind
        } else if rawValue.hasPrefix(Self.customPrefix) {
            let typeName = String(rawValue.dropFirst(Self.customPrefix.count))
            guard Self.isTypeName(typeName) else { return nil }
            self = .custom(typeName)
        } else {
            return nil
        }
    }

    /// The spelling used in specs.
    public var rawValue: String {
        switch self {
        case .passthrough: "passthrough"
        case .join: "join"
        case .window: "window"
        case .router: "router"
        case .llm: "llm"
        case .http: "http"
        case .sink: "sink"
        case .delay: "delay"
        case .custom(let typeName): Self.customPrefix + typeName
        }
    }

    public var description: String { rawValue }

    /// Kinds that keep per-key state and therefore get a compacted changelog topic and need
    /// co-partitioned inputs.
    public var isStateful: Bool { self == .join || self == .window }

    static let customPrefix = "custom/"

    /// A Swift-like type name: a letter or `_`, then letters, digits or `_`.
    static func isTypeName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || first.properties.isAlphabetic,
            first.isASCII
        else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}

/// Whether messages of one correlation key are processed in order.
public enum Ordering: String, Sendable, Hashable, CaseIterable, Codable {
    /// One message per key at a time, in partition order (the default).
    case key
    /// No ordering: messages run as concurrency allows.
    case none
}

/// The delivery guarantee of a node's outputs.
public enum DeliveryGuarantee: String, Sendable, Hashable, CaseIterable, Codable {
    case atLeastOnce = "at-least-once"
    case exactlyOnce = "exactly-once"
}
