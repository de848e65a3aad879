import Foundation
@testable import SluiceCore

/// The repository root, found from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The issues `text` produces, or an empty list when it is a valid spec.
func issues(_ text: String, format: SpecFormat = .yaml) -> [SpecIssue] {
    do {
        _ = try GraphSpec.parse(text, file: "spec.yaml", format: format)
        return []
    } catch {
        return error.issues
    }
}

/// A minimal valid spec with the given nodes section appended (indented by two spaces per level).
func spec(inputs: String = "  questions: { partitions: 6 }", nodes: String, outputs: String? = nil) -> String {
    var text = "graph: test\nversion: 1\ninputs:\n\(inputs)\nnodes:\n\(nodes)\n"
    if let outputs { text += "outputs:\n\(outputs)\n" }
    return text
}
