/// How a worker runs a node's inputs: declared by the node kind (``Node/execution``), chosen for its speed.
public enum NodeExecution: Sendable, Hashable {
    /// Up to the node's `concurrency` inputs are in flight, interleaving whenever ``Node/process(_:context:)``
    /// suspends: for nodes that await a model, a service or a timer. The default.
    case concurrent
    /// ``Node/process(_:context:)`` never suspends (pure computation, like a Kafka Streams processor): the worker
    /// runs each input on the task that reads it, one after another in read order, with no hand-off to other
    /// tasks. The spec's `concurrency` does not apply, and a retried input's backoff holds up the inputs behind it.
    /// A node declared so that does suspend still works, one input at a time.
    case synchronous
}
