import Foundation

/// The syntax of a spec file.
public enum SpecFormat: String, Sendable, Hashable {
    case yaml
    case json

    /// JSON for a `.json` file or text that starts with `{`; YAML otherwise.
    public static func detect(path: String?, text: String) -> SpecFormat {
        if let path, path.lowercased().hasSuffix(".json") { return .json }
        if let path, path.lowercased().hasSuffix(".yaml") || path.lowercased().hasSuffix(".yml") { return .yaml }
        return text.drop { $0.isWhitespace }.first == "{" ? .json : .yaml
    }
}

extension GraphSpec {
    /// Reads, decodes and validates the spec at `path` (YAML or JSON, told apart by extension or content).
    ///
    /// - Throws: ``SpecError`` listing every issue, each with its path and position in the file.
    public static func load(path: String) throws(SpecError) -> GraphSpec {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = (error as NSError).localizedDescription
            throw SpecError(file: path, issues: [SpecIssue(path: "", message: "cannot read file: \(reason)")])
        }
        return try parse(text, file: path, format: SpecFormat.detect(path: path, text: text))
    }

    /// Decodes and validates a spec held in memory.
    ///
    /// - Parameters:
    ///   - file: the name used when rendering issues.
    ///   - format: `nil` to detect it from `file` and the text.
    public static func parse(_ text: String, file: String = "<spec>", format: SpecFormat? = nil) throws(SpecError) -> GraphSpec {
        let format = format ?? SpecFormat.detect(path: file, text: text)
        // libyaml reads JSON as flow-style YAML but refuses tabs in some places; outside strings
        // (where JSON forbids raw tabs anyway) a tab is plain whitespace, and a space keeps every column.
        let source = format == .json ? text.replacingOccurrences(of: "\t", with: " ") : text
        let root: SourceNode
        do {
            root = try SourceNode.parse(yaml: source)
        } catch {
            throw SpecError(file: file, issues: error.issues)
        }
        return try decode(root, file: file)
    }

    /// Runs ``SpecValidator`` and throws when it finds anything.
    public func validate() throws(SpecError) {
        let issues = SpecValidator.validate(self)
        if !issues.isEmpty { throw SpecError(file: "<spec>", issues: issues) }
    }

    static func decode(_ root: SourceNode, file: String) throws(SpecError) -> GraphSpec {
        var decoder = SpecDecoder()
        let spec = decoder.decode(root)
        // A path the decoder already complained about (a bad kind, a missing field) would only
        // produce a second, vaguer message from the validator.
        let reported = Set(decoder.issues.map(\.path))
        let semantic = SpecValidator.validate(spec, positions: decoder.positions).filter { !reported.contains($0.path) }
        let issues = decoder.issues + semantic
        if !issues.isEmpty { throw SpecError(file: file, issues: issues) }
        return spec
    }
}
