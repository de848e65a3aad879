import Yams

/// A parsed document with a position on every node: the common ground of YAML and JSON specs.
///
/// Mappings keep their entries in order and keep duplicate keys, so the decoder can report them.
struct SourceNode: Sendable {
    enum Value: Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case sequence([SourceNode])
        case mapping([Entry])
    }

    struct Entry: Sendable {
        var key: String
        var keyPosition: SourcePosition?
        var value: SourceNode
    }

    var value: Value
    var position: SourcePosition?

    /// The name of this node's type in error messages ("a string", "a list", ...).
    var typeName: String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }

    /// The node as a free-form ``JSONValue`` (a later duplicate key wins).
    var jsonValue: JSONValue {
        switch value {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .int(value)
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .sequence(let items): .array(items.map(\.jsonValue))
        case .mapping(let entries):
            .object(Dictionary(entries.map { ($0.key, $0.value.jsonValue) }, uniquingKeysWith: { _, last in last }))
        }
    }
}

extension SourceNode {
    /// Builds a position-less tree from a JSON value, so specs decoded through `Codable` share the decoder.
    init(_ json: JSONValue) {
        position = nil
        switch json {
        case .null: value = .null
        case .bool(let flag): value = .bool(flag)
        case .int(let number): value = .int(number)
        case .double(let number): value = .double(number)
        case .string(let text): value = .string(text)
        case .array(let items): value = .sequence(items.map(SourceNode.init))
        case .object(let members):
            value = .mapping(
                members.sorted { $0.key < $1.key }.map { Entry(key: $0.key, keyPosition: nil, value: SourceNode($0.value)) }
            )
        }
    }

    /// Parses YAML (or JSON, which libyaml reads as flow-style YAML) keeping every node's position.
    static func parse(yaml text: String) throws(SpecIssueList) -> SourceNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw SpecIssueList([issue(for: error)])
        } catch {
            throw SpecIssueList([SpecIssue(path: "", message: "cannot parse: \(error)")])
        }
        guard let root else {
            throw SpecIssueList([SpecIssue(path: "", message: "the document is empty")])
        }
        var issues: [SpecIssue] = []
        let node = SourceNode(root, issues: &issues)
        if !issues.isEmpty { throw SpecIssueList(issues) }
        return node
    }

    private init(_ node: Node, issues: inout [SpecIssue]) {
        position = node.mark.map { SourcePosition(line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let scalar):
            value = Self.scalarValue(node, scalar)
        case .sequence(let sequence):
            value = .sequence(sequence.map { SourceNode($0, issues: &issues) })
        case .mapping(let mapping):
            var entries: [Entry] = []
            for (key, item) in mapping {
                let keyPosition = key.mark.map { SourcePosition(line: $0.line, column: $0.column) }
                guard let name = key.scalar?.string else {
                    issues.append(SpecIssue(path: "", message: "mapping keys must be strings", at: keyPosition))
                    continue
                }
                entries.append(Entry(key: name, keyPosition: keyPosition, value: SourceNode(item, issues: &issues)))
            }
            value = .mapping(entries)
        }
    }

    private static func scalarValue(_ node: Node, _ scalar: Node.Scalar) -> Value {
        switch Tag.Name(rawValue: node.tag.description) {
        case Tag.Name.null: return .null
        case Tag.Name.bool: return node.bool.map(Value.bool) ?? .string(scalar.string)
        case Tag.Name.int: return node.int.map(Value.int) ?? .string(scalar.string)
        case Tag.Name.float: return node.float.map(Value.double) ?? .string(scalar.string)
        default: return .string(scalar.string)
        }
    }

    private static func issue(for error: YamlError) -> SpecIssue {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let message = context.map { "\(problem) \($0.text)" } ?? problem
            return SpecIssue(path: "", message: "syntax error: \(message)", line: mark.line, column: mark.column)
        case .reader(let problem, _, _, _):
            return SpecIssue(path: "", message: "cannot read: \(problem)")
        default:
            return SpecIssue(path: "", message: "cannot parse: \(error)")
        }
    }
}

/// Issues carried through a typed `throws`.
struct SpecIssueList: Error {
    var issues: [SpecIssue]
    init(_ issues: [SpecIssue]) { self.issues = issues }
}
