/// A spec encodes to the same shape it is written in (maps keyed by name, defaults included),
/// and decodes through the same checks as a file, so a decoded spec is always valid.
extension GraphSpec: Codable {
    public init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        self = try GraphSpec.decode(SourceNode(json), file: "<decoded>")
    }

    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }

    /// The spec in its written shape, with every default spelled out.
    public var jsonValue: JSONValue {
        var root: [String: JSONValue] = [
            "graph": .string(graph),
            "version": .int(version),
            "inputs": .object(Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, ["partitions": .int($0.partitions)]) })),
            "nodes": .object(Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0.jsonValue) })),
        ]
        if !outputs.isEmpty {
            root["outputs"] = .object(Dictionary(uniqueKeysWithValues: outputs.map { ($0.name, .string($0.from.description)) }))
        }
        return .object(root)
    }
}

extension NodeSpec {
    var jsonValue: JSONValue {
        var fields: [String: JSONValue] = [
            "kind": .string(kind.rawValue),
            "inputs": .array(inputs.map(\.jsonValue)),
            "ports": .array(ports.map(JSONValue.string)),
            "config": config,
            "concurrency": .int(concurrency),
            "ordering": .string(ordering.rawValue),
            "delivery": .string(delivery.rawValue),
            "retries": .int(retries),
            "replicas": .int(replicas),
        ]
        if let partitions { fields["partitions"] = .int(partitions) }
        return .object(fields)
    }
}

extension InputRef {
    var jsonValue: JSONValue {
        guard let maxIterations else { return .string(description) }
        return ["from": .string(description), "maxIterations": .int(maxIterations)]
    }
}
