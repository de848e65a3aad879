/// `delay`: waits `config.ms` milliseconds, then emits the input payload unchanged to `out`.
///
/// A stand-in for a slow call (a model, a remote service) when sizing concurrency: the wait suspends, so up to
/// the node's `concurrency` inputs wait at once.
public actor DelayNode: Node {
    /// How long each input waits.
    public let delay: Duration

    public init(setup: NodeSetup) throws {
        let value = setup.config["ms"]
        guard let milliseconds = value == nil ? 0 : value?.intValue, milliseconds >= 0 else {
            throw NodeError(
                code: .invalidConfiguration,
                message: "node '\(setup.name)': config 'ms' must be a non-negative integer of milliseconds")
        }
        delay = .milliseconds(milliseconds)
    }

    public func process(_ input: NodeInput, context: NodeContext) async throws {
        try await Task.sleep(for: delay)
        try context.emit(rawJSON: input.rawPayload)
    }
}
