public import Logging
public import SluiceCore

/// User code: one node kind, turning each input message into zero or more outputs.
///
/// Modelled on Kafka Streams' `Processor`: the host creates the node once per worker with ``init(setup:)``,
/// calls ``process(_:context:)`` for every input, and ``close()`` when the worker stops.
///
/// ```
/// consume ─▶ decode ─▶ process(input, context) ─▶ context.emit(...) ─▶ produce ─▶ commit
///                           │ throws
///                           └─▶ retry (node `retries`) ─▶ dead-letter topic
/// ```
/// A node is an actor, so its own state needs no locks. Up to the node's `concurrency` inputs are in flight at
/// once: calls interleave whenever ``process(_:context:)`` suspends (awaiting a model, an HTTP call, a sleep),
/// and run one at a time while it computes. With `ordering: key` (the default), inputs with the same key never
/// interleave and start in the order they were read. The host decodes inputs and queues outputs on the node's actor
/// too (no executor hop per input), so long computation inside `process` holds up the worker's other inputs: scale
/// CPU-bound nodes with more workers, or run the computation off the actor. A node whose `process` never suspends
/// says so with ``execution`` (``NodeExecution/synchronous``): the worker then runs it without any hand-off between
/// tasks, the fastest way through a worker.
///
/// Outputs are collected by the ``NodeContext`` and produced only when ``process(_:context:)`` returns, so an
/// attempt that throws emits nothing and a retried input does not duplicate its outputs.
public protocol Node: Actor {
    /// Creates the node; throw ``NodeError/Code/invalidConfiguration`` when `setup.config` is unusable, which
    /// stops the worker before it consumes anything.
    init(setup: NodeSetup) throws

    /// Handles one input message. Emit outputs through `context`; throw to have the input retried and, once
    /// the retries are spent, sent to the node's dead-letter topic.
    func process(_ input: NodeInput, context: NodeContext) async throws

    /// Releases what the node holds; called once, after the last ``process(_:context:)`` returned.
    func close() async

    /// How the worker runs this kind's inputs; ``NodeExecution/concurrent`` unless the kind says otherwise.
    static var execution: NodeExecution { get }
}

extension Node {
    public static var execution: NodeExecution { .concurrent }

    public func close() async {}
}

/// What a node is created with: who it is and its configuration from the graph spec.
public struct NodeSetup: Sendable {
    /// The node's name in the graph.
    public var name: String
    /// The kind the spec gives, e.g. `passthrough` or `custom/Summarize`.
    public var kind: NodeKind
    /// The worker process hosting this node, unique among the node's workers.
    public var instanceID: String
    /// The node's `config` from the spec (an empty object when the spec has none).
    public var config: JSONValue
    /// The node's output ports, in spec order.
    public var ports: [String]
    /// A logger with the node and instance as metadata.
    public var logger: Logger

    public init(name: String, kind: NodeKind, instanceID: String, config: JSONValue, ports: [String], logger: Logger) {
        self.name = name
        self.kind = kind
        self.instanceID = instanceID
        self.config = config
        self.ports = ports
        self.logger = logger
    }
}
