import SluiceRuntime

/// `custom/Screen`: routes documents that mention a banned word to port `flagged`, the rest to `out`.
///
/// Config: `{ "banned": ["word", ...] }`. Shows ports, configuration checked at start-up, actor state (a running
/// count, safe without locks because the node is an actor), and a kind that never suspends declaring so.
actor Screen: Node {
    /// Pure computation: the worker runs each input where it is read, with no hand-off between tasks.
    static var execution: NodeExecution { .synchronous }

    struct Document: Codable {
        var id: String
        var text: String
    }

    struct Flagged: Codable {
        var id: String
        var matched: [String]
    }

    private let banned: Set<String>
    private var screened = 0

    init(setup: NodeSetup) throws {
        guard case .array(let words)? = setup.config["banned"], words.allSatisfy({ $0.stringValue != nil }) else {
            throw NodeError(
                code: .invalidConfiguration, message: "\(setup.name): config 'banned' must be a list of words")
        }
        banned = Set(words.compactMap { $0.stringValue?.lowercased() })
    }

    func process(_ input: NodeInput, context: NodeContext) throws {
        let document = try input.payload(as: Document.self)
        screened += 1
        let words = document.text.lowercased().split { !$0.isLetter }.map(String.init)
        let matched = Set(words).intersection(banned).sorted()
        if matched.isEmpty {
            try context.emit(rawJSON: input.rawPayload)
        } else {
            context.logger.info("flagged document \(document.id) (\(screened) screened so far)")
            try context.emit(Flagged(id: document.id, matched: matched), to: "flagged")
        }
    }
}
