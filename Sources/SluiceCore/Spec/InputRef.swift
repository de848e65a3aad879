/// A reference to a stream: a graph input (`questions`), a node's default port (`classify`,
/// meaning `classify.out`) or a named port (`classify.urgent`).
///
/// An edge that closes a loop carries ``maxIterations``: a message goes round the loop at most
/// that many times (its `sluice-iteration` header counts the rounds).
public struct InputRef: Sendable, Hashable, CustomStringConvertible {
    /// A graph input name or a node name.
    public var source: String
    /// The port, or `nil` for a graph input or a node's default port.
    public var port: String?
    /// Set only on an edge that closes a loop.
    public var maxIterations: Int?

    /// The port a bare node reference means.
    public static let defaultPort = "out"

    public init(source: String, port: String? = nil, maxIterations: Int? = nil) {
        self.source = source
        self.port = port
        self.maxIterations = maxIterations
    }

    /// Parses `name` or `name.port`; `nil` when the text is empty or has more than one dot.
    public init?(parsing text: String, maxIterations: Int? = nil) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.init(source: String(parts[0]), port: parts.count == 2 ? String(parts[1]) : nil, maxIterations: maxIterations)
    }

    /// The port this reference reads from a node: ``port`` or ``defaultPort``.
    public var resolvedPort: String { port ?? Self.defaultPort }

    /// The spelling used in specs: `source` or `source.port`.
    public var description: String { port.map { "\(source).\($0)" } ?? source }
}

extension InputRef {
    /// The fields of the object form `{from: "refine.retry", maxIterations: 3}`.
    static let fieldNames = ["from", "maxIterations"]
    static let requiredFieldNames = ["from"]
}
