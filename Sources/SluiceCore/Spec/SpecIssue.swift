/// A line and column in a spec file, both counted from 1 (columns in Unicode scalars).
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// One problem found in a graph spec, named by its path (`nodes.merge.inputs[1]`) and,
/// when the spec came from a file, by its position there.
public struct SpecIssue: Sendable, Hashable, CustomStringConvertible {
    /// Where in the spec: dotted keys with `[index]` for list items; empty for the whole document.
    public var path: String
    public var message: String
    public var line: Int?
    public var column: Int?

    public init(path: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    init(path: String, message: String, at position: SourcePosition?) {
        self.init(path: path, message: message, line: position?.line, column: position?.column)
    }

    /// Renders the issue like a compiler diagnostic:
    /// `spec.yaml:12:7: nodes.merge.inputs[1]: unknown reference 'clasify' (did you mean 'classify'?)`.
    public func rendered(file: String) -> String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }

    public var description: String { rendered(file: "<spec>") }

    /// Orders issues by position (issues without one last), then by path and message.
    static func byPosition(_ lhs: SpecIssue, _ rhs: SpecIssue) -> Bool {
        let left = (lhs.line ?? .max, lhs.column ?? .max)
        let right = (rhs.line ?? .max, rhs.column ?? .max)
        if left != right { return left < right }
        if lhs.path != rhs.path { return lhs.path < rhs.path }
        return lhs.message < rhs.message
    }
}

/// The error thrown when a spec cannot be read or is not valid: every issue found, in file order.
public struct SpecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file the spec came from, as given to the loader (`<spec>` when parsed from a string).
    public var file: String
    /// All issues, sorted by position.
    public var issues: [SpecIssue]

    public init(file: String, issues: [SpecIssue]) {
        self.file = file
        self.issues = issues.sorted(by: SpecIssue.byPosition)
    }

    /// One rendered line per issue.
    public var description: String {
        issues.map { $0.rendered(file: file) }.joined(separator: "\n")
    }
}
