import SluiceRuntime

/// `custom/Summarize`: keeps the first `maxWords` words of a document (a stand-in for a model call).
///
/// Config: `{ "maxWords": 12 }` (default 20). Any input that is not a document throws, so after the node's
/// retries it lands in the dead-letter topic with the decoding error.
actor Summarize: Node {
    struct Document: Decodable {
        var id: String
        var text: String
    }

    struct Summary: Encodable {
        var id: String
        var summary: String
        var words: Int
        var truncated: Bool
    }

    private let maxWords: Int

    init(setup: NodeSetup) throws {
        let value = setup.config["maxWords"]
        guard let maxWords = value == nil ? 20 : value?.intValue, maxWords > 0 else {
            throw NodeError(
                code: .invalidConfiguration, message: "\(setup.name): config 'maxWords' must be a positive integer")
        }
        self.maxWords = maxWords
    }

    func process(_ input: NodeInput, context: NodeContext) async throws {
        let document = try input.payload(as: Document.self)
        let words = document.text.split(whereSeparator: \.isWhitespace)
        let summary = Summary(
            id: document.id, summary: words.prefix(maxWords).joined(separator: " "), words: words.count,
            truncated: words.count > maxWords)
        try context.emit(summary)
    }
}
