/// `passthrough`: emits each input payload unchanged to `out`.
public actor PassthroughNode: Node {
    public static var execution: NodeExecution { .synchronous }

    public init(setup: NodeSetup) {}

    public func process(_ input: NodeInput, context: NodeContext) throws {
        try context.emit(rawJSON: input.rawPayload)
    }
}
