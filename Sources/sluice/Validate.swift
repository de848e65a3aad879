import ArgumentParser
import Foundation
import SluiceCore

extension Sluice {
    /// `sluice validate FILE`: checks a graph spec and prints every issue, like a compiler.
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a graph spec (YAML or JSON) and report every issue with its line and column.",
            discussion: "Exits with 0 when the spec is valid and 1 when it is not."
        )

        @Argument(help: "The spec file (.yaml, .yml or .json).")
        var file: String

        @Flag(name: .shortAndLong, help: "Print nothing when the spec is valid.")
        var quiet = false

        func run() async throws {
            let spec = try loadSpec(file)
            guard !quiet else { return }
            let inputs = spec.inputs.count, nodes = spec.nodes.count
            print("\(file): ok: graph '\(spec.graph)' v\(spec.version), \(inputs) input\(inputs == 1 ? "" : "s"), \(nodes) node\(nodes == 1 ? "" : "s")")
        }
    }
}

/// Loads and validates a spec; on failure prints every issue (file:line:column) and exits with 1.
func loadSpec(_ file: String) throws -> GraphSpec {
    do {
        return try GraphSpec.load(path: file)
    } catch {
        printError(error.description)
        let count = error.issues.count
        printError("\(count) issue\(count == 1 ? "" : "s") found in \(file)")
        throw ExitCode.failure
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    var standardError = StandardError()
    print(line, to: &standardError)
}

private struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
