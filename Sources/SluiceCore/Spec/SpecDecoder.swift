/// Turns a positioned document into a ``GraphSpec``, collecting every structural issue:
/// wrong types, unknown or duplicate fields, missing required fields and bad enum values.
///
/// Decoding is best-effort: a field with a bad value keeps its default so that semantic
/// validation can still run on the rest and report everything at once.
struct SpecDecoder {
    private(set) var issues: [SpecIssue] = []
    /// The position of every path seen (a key for containers, the value for scalars).
    private(set) var positions: [String: SourcePosition] = [:]

    mutating func decode(_ root: SourceNode) -> GraphSpec {
        var spec = GraphSpec(graph: "", version: 1, inputs: [], nodes: [])
        guard let fields = fields(of: root, path: "", known: GraphSpec.fieldNames, required: GraphSpec.requiredFieldNames)
        else { return spec }
        if let node = fields["graph"], let name = string(node.value, path: "graph") { spec.graph = name }
        if let node = fields["version"], let version = int(node.value, path: "version") { spec.version = version }
        for entry in entries(of: fields["inputs"], path: "inputs") {
            spec.inputs.append(decodeInput(entry, path: "inputs.\(entry.key)"))
        }
        for entry in entries(of: fields["nodes"], path: "nodes") {
            spec.nodes.append(decodeNode(entry, path: "nodes.\(entry.key)"))
        }
        for entry in entries(of: fields["outputs"], path: "outputs") {
            let path = "outputs.\(entry.key)"
            guard let text = string(entry.value, path: path) else { continue }
            spec.outputs.append(OutputSpec(name: entry.key, from: reference(text, at: entry.value.position, path: path)))
        }
        return spec
    }

    private mutating func decodeInput(_ entry: SourceNode.Entry, path: String) -> InputSpec {
        var input = InputSpec(name: entry.key, partitions: 1)
        let fields = fields(
            of: entry.value, path: path, known: InputSpec.fieldNames, required: InputSpec.requiredFieldNames,
            keyPosition: entry.keyPosition)
        if let node = fields?["partitions"], let count = int(node.value, path: "\(path).partitions") {
            input.partitions = count
        }
        return input
    }

    private mutating func decodeNode(_ entry: SourceNode.Entry, path: String) -> NodeSpec {
        var spec = NodeSpec(name: entry.key, kind: .passthrough, inputs: [])
        guard
            let fields = fields(
                of: entry.value, path: path, known: NodeSpec.fieldNames, required: NodeSpec.requiredFieldNames,
                keyPosition: entry.keyPosition)
        else { return spec }
        if let node = fields["kind"], let text = string(node.value, path: "\(path).kind") {
            if let kind = NodeKind(rawValue: text) {
                spec.kind = kind
            } else {
                report("\(path).kind", at: node.value.position, Self.unknownKindMessage(text))
            }
        }
        if let node = fields["inputs"], let items = list(node.value, path: "\(path).inputs") {
            spec.inputs = items.enumerated().map { index, item in decodeRef(item, path: "\(path).inputs[\(index)]") }
        }
        if let node = fields["ports"], let items = list(node.value, path: "\(path).ports") {
            // A bad item stays as "" so later indices keep their paths (the validator's repeat is dropped).
            spec.ports = items.enumerated().map { index, item in string(item, path: "\(path).ports[\(index)]") ?? "" }
        }
        if let node = fields["config"] { spec.config = node.value.jsonValue }
        if let node = fields["concurrency"], let value = int(node.value, path: "\(path).concurrency") {
            spec.concurrency = value
        }
        if let node = fields["ordering"], let value = enumValue(node.value, path: "\(path).ordering", as: Ordering.self) {
            spec.ordering = value
        }
        if let node = fields["delivery"],
            let value = enumValue(node.value, path: "\(path).delivery", as: DeliveryGuarantee.self)
        {
            spec.delivery = value
        }
        if let node = fields["retries"], let value = int(node.value, path: "\(path).retries") { spec.retries = value }
        if let node = fields["replicas"], let value = int(node.value, path: "\(path).replicas") { spec.replicas = value }
        if let node = fields["partitions"], let value = int(node.value, path: "\(path).partitions") {
            spec.partitions = value
        }
        return spec
    }

    /// A reference in string form, or the object form `{from:, maxIterations:}`.
    private mutating func decodeRef(_ node: SourceNode, path: String) -> InputRef {
        if case .string(let text) = node.value {
            positions[path] = node.position
            return reference(text, at: node.position, path: path)
        }
        guard case .mapping = node.value else {
            report(path, at: node.position, "expected a reference (a string or {from:, maxIterations:}), found \(node.typeName)")
            return InputRef(source: "")
        }
        positions[path] = node.position
        let fields = fields(of: node, path: path, known: InputRef.fieldNames, required: InputRef.requiredFieldNames)
        var ref = InputRef(source: "")
        if let from = fields?["from"], let text = string(from.value, path: "\(path).from") {
            ref = reference(text, at: from.value.position, path: path)
        }
        if let limit = fields?["maxIterations"], let count = int(limit.value, path: "\(path).maxIterations") {
            ref.maxIterations = count
        }
        return ref
    }

    private mutating func reference(_ text: String, at position: SourcePosition?, path: String) -> InputRef {
        if let ref = InputRef(parsing: text) { return ref }
        report(path, at: position, "invalid reference '\(text)' (expected 'name' or 'node.port')")
        return InputRef(source: text)
    }

    static func unknownKindMessage(_ text: String) -> String {
        if text.hasPrefix(NodeKind.customPrefix) {
            return "invalid custom kind '\(text)' (expected custom/<TypeName>, a Swift type name)"
        }
        let names = NodeKind.builtIn.map(\.rawValue)
        let hint = Suggestion.closest(to: text, in: names).map { "did you mean '\($0)'?" }
            ?? "expected one of \(names.joined(separator: ", ")) or custom/<TypeName>"
        return "unknown kind '\(text)' (\(hint))"
    }
}

// MARK: - Typed reads

extension SpecDecoder {
    /// The first occurrence of each field of a mapping, after reporting duplicates, unknown and missing fields.
    private mutating func fields(
        of node: SourceNode, path: String, known: [String], required: [String], keyPosition: SourcePosition? = nil
    ) -> [String: SourceNode.Entry]? {
        guard let entries = mapping(node, path: path) else { return nil }
        var fields: [String: SourceNode.Entry] = [:]
        for entry in entries {
            let fieldPath = join(path, entry.key)
            guard known.contains(entry.key) else {
                let hint = Suggestion.closest(to: entry.key, in: known).map { "did you mean '\($0)'?" }
                    ?? "expected one of \(known.joined(separator: ", "))"
                report(fieldPath, at: entry.keyPosition, "unknown field '\(entry.key)' (\(hint))")
                continue
            }
            if fields[entry.key] == nil { fields[entry.key] = entry }
        }
        for name in required where fields[name] == nil {
            report(join(path, name), at: keyPosition ?? node.position, "missing required field '\(name)'")
        }
        return fields
    }

    /// The entries of a mapping of named items (inputs, nodes, outputs), duplicates reported and dropped.
    private mutating func entries(of entry: SourceNode.Entry?, path: String) -> [SourceNode.Entry] {
        guard let entry else { return [] }
        return mapping(entry.value, path: path) ?? []
    }

    private mutating func mapping(_ node: SourceNode, path: String) -> [SourceNode.Entry]? {
        guard case .mapping(let entries) = node.value else {
            report(path, at: node.position, "expected a mapping, found \(node.typeName)")
            return nil
        }
        var seen: [String: SourcePosition?] = [:]
        var unique: [SourceNode.Entry] = []
        for entry in entries {
            let entryPath = join(path, entry.key)
            if let first = seen[entry.key] {
                let origin = first.map { " (first defined at line \($0.line))" } ?? ""
                report(entryPath, at: entry.keyPosition, "duplicate key '\(entry.key)'\(origin)")
                continue
            }
            seen[entry.key] = entry.keyPosition
            unique.append(entry)
            switch entry.value.value {
            case .mapping, .sequence: positions[entryPath] = entry.keyPosition
            default: positions[entryPath] = entry.value.position
            }
        }
        return unique
    }

    private mutating func list(_ node: SourceNode, path: String) -> [SourceNode]? {
        guard case .sequence(let items) = node.value else {
            report(path, at: node.position, "expected a list, found \(node.typeName)")
            return nil
        }
        for (index, item) in items.enumerated() { positions["\(path)[\(index)]"] = item.position }
        return items
    }

    private mutating func string(_ node: SourceNode, path: String) -> String? {
        guard case .string(let text) = node.value else {
            report(path, at: node.position, "expected a string, found \(node.typeName)")
            return nil
        }
        return text
    }

    private mutating func int(_ node: SourceNode, path: String) -> Int? {
        guard case .int(let number) = node.value else {
            report(path, at: node.position, "expected an integer, found \(node.typeName)")
            return nil
        }
        return number
    }

    private mutating func enumValue<Value: RawRepresentable & CaseIterable>(
        _ node: SourceNode, path: String, as type: Value.Type
    ) -> Value? where Value.RawValue == String {
        guard let text = string(node, path: path) else { return nil }
        if let value = Value(rawValue: text) { return value }
        let names = Value.allCases.map(\.rawValue)
        let field = path.split(separator: ".").last.map(String.init) ?? path
        let hint = Suggestion.closest(to: text, in: names).map { "did you mean '\($0)'?" }
            ?? "expected \(names.map { "'\($0)'" }.joined(separator: " or "))"
        report(path, at: node.position, "invalid \(field) '\(text)' (\(hint))")
        return nil
    }

    private mutating func report(_ path: String, at position: SourcePosition?, _ message: String) {
        issues.append(SpecIssue(path: path, message: message, at: position))
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
