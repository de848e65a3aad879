public import SluiceCore

/// Maps node kinds to the code that implements them.
///
/// ```swift
/// var registry = NodeRegistry.builtIn
/// registry.register(Summarize.self)          // kind "custom/Summarize"
/// try await SluiceWorker.run(spec: "graph.yaml", node: "summarize", registry: registry)
/// ```
public struct NodeRegistry: Sendable {
    /// Creates a node from its setup.
    public typealias Factory = @Sendable (NodeSetup) throws -> any Node

    private var factories: [String: Factory] = [:]

    /// An empty registry.
    public init() {}

    /// The kinds that ship with the runtime: `passthrough` and `delay`.
    public static var builtIn: NodeRegistry {
        var registry = NodeRegistry()
        registry.register(PassthroughNode.self, as: .passthrough)
        registry.register(DelayNode.self, as: .delay)
        return registry
    }

    /// Registers `type` for `kind`; by default `custom/<TypeName>`, as a spec spells a user kind.
    public mutating func register<N: Node>(_ type: N.Type, as kind: NodeKind? = nil) {
        register(kind ?? .custom(String(describing: type))) { setup in try N(setup: setup) }
    }

    /// Registers a factory for `kind`, replacing any earlier one.
    public mutating func register(_ kind: NodeKind, factory: @escaping Factory) {
        factories[kind.rawValue] = factory
    }

    /// The kinds with a factory, sorted.
    public var kinds: [String] { factories.keys.sorted() }

    /// Creates the node for `setup.kind`.
    ///
    /// - Throws: ``NodeError/Code/unknownKind`` when no factory is registered, or what the node's initializer
    ///   throws.
    public func makeNode(_ setup: NodeSetup) throws -> any Node {
        guard let factory = factories[setup.kind.rawValue] else {
            throw NodeError(
                code: .unknownKind,
                message:
                    "no implementation of kind '\(setup.kind)' for node '\(setup.name)' (registered: \(kinds.joined(separator: ", ")))"
            )
        }
        return try factory(setup)
    }
}
