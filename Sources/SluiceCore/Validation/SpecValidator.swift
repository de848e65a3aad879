/// Checks the meaning of a ``GraphSpec``: names, ranges, references, loops and co-partitioning.
///
/// Structural problems (types, unknown fields) are found while decoding a file; this runs on
/// any spec, including one built in code, and reports every issue at once.
public enum SpecValidator {
    /// The largest partition count, concurrency and iteration bound a spec may ask for.
    public static let maxPartitions = 10_000
    /// Longest name allowed for a graph, input, node, port or output (keeps topic names under Kafka's 249).
    public static let maxNameLength = 64
    /// Port names that would collide with a node's dead-letter or changelog topic.
    public static let reservedPortNames: Set<String> = ["dlq", "changelog"]
    /// Node names that would collide with entry topics (`sluice.<graph>.in.<input>`).
    public static let reservedNodeNames: Set<String> = ["in"]

    /// Every semantic issue of `spec`, in declaration order.
    public static func validate(_ spec: GraphSpec) -> [SpecIssue] {
        validate(spec, positions: [:])
    }

    static func validate(_ spec: GraphSpec, positions: [String: SourcePosition]) -> [SpecIssue] {
        var check = Check(spec: spec, positions: positions)
        check.names()
        check.numbers()
        check.references()
        check.loops()
        check.joins()
        check.outputs()
        return check.issues
    }
}

/// One validation run: the spec, where its paths are, and the issues found so far.
struct Check {
    let spec: GraphSpec
    let positions: [String: SourcePosition]
    var issues: [SpecIssue] = []

    init(spec: GraphSpec, positions: [String: SourcePosition]) {
        self.spec = spec
        self.positions = positions
    }

    mutating func report(_ path: String, _ message: String) {
        issues.append(SpecIssue(path: path, message: message, at: positions[path]))
    }

    // MARK: Names and numbers

    mutating func names() {
        if !Self.isGraphName(spec.graph) {
            report("graph", "invalid graph name '\(spec.graph)' (use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most \(SpecValidator.maxNameLength) characters)")
        }
        var taken: [String: String] = [:]
        for input in spec.inputs {
            name(input.name, path: "inputs.\(input.name)", what: "input")
            if taken[input.name] != nil { report("inputs.\(input.name)", "duplicate input '\(input.name)'") }
            taken[input.name] = "graph input"
        }
        for node in spec.nodes {
            let path = "nodes.\(node.name)"
            name(node.name, path: path, what: "node")
            if SpecValidator.reservedNodeNames.contains(node.name) {
                report(path, "node name '\(node.name)' is reserved (entry topics are named sluice.<graph>.in.<input>)")
            }
            if let other = taken[node.name] {
                report(path, "node '\(node.name)' has the same name as \(other) '\(node.name)'")
            }
            taken[node.name] = "node"
            if node.ports.isEmpty { report("\(path).ports", "a node needs at least one port") }
            var ports: Set<String> = []
            for (index, port) in node.ports.enumerated() {
                let portPath = "\(path).ports[\(index)]"
                name(port, path: portPath, what: "port")
                if SpecValidator.reservedPortNames.contains(port) {
                    report(portPath, "port name '\(port)' is reserved (it would collide with the node's \(port) topic)")
                }
                if !ports.insert(port).inserted { report(portPath, "duplicate port '\(port)'") }
            }
        }
        if spec.nodes.isEmpty { report("nodes", "a graph needs at least one node") }
        var outputs: Set<String> = []
        for output in spec.outputs {
            name(output.name, path: "outputs.\(output.name)", what: "output")
            if !outputs.insert(output.name).inserted { report("outputs.\(output.name)", "duplicate output '\(output.name)'") }
        }
    }

    private mutating func name(_ name: String, path: String, what: String) {
        guard !Self.isTopicSafe(name) else { return }
        let reason = name.contains(".") ? "dots separate the parts of topic names" : "use letters, digits, '-' and '_'"
        report(path, "invalid \(what) name '\(name)' (\(reason); at most \(SpecValidator.maxNameLength) characters)")
    }

    mutating func numbers() {
        let limit = SpecValidator.maxPartitions
        if spec.version < 1 { report("version", "version must be a positive integer, found \(spec.version)") }
        for input in spec.inputs where !(1...limit).contains(input.partitions) {
            report("inputs.\(input.name).partitions", "partitions must be between 1 and \(limit), found \(input.partitions)")
        }
        for node in spec.nodes {
            let path = "nodes.\(node.name)"
            if let count = node.partitions, !(1...limit).contains(count) {
                report("\(path).partitions", "partitions must be between 1 and \(limit), found \(count)")
            }
            if !(1...10_000).contains(node.concurrency) {
                report("\(path).concurrency", "concurrency must be between 1 and 10000, found \(node.concurrency)")
            }
            if !(0...100).contains(node.retries) {
                report("\(path).retries", "retries must be between 0 and 100, found \(node.retries)")
            }
            if !(1...1_000).contains(node.replicas) {
                report("\(path).replicas", "replicas must be between 1 and 1000, found \(node.replicas)")
            }
            for (index, ref) in node.inputs.enumerated() {
                if let bound = ref.maxIterations, !(1...10_000).contains(bound) {
                    report("\(path).inputs[\(index)]", "maxIterations must be between 1 and 10000, found \(bound)")
                }
            }
        }
    }

    static func isGraphName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLowerOrDigit(first) else { return false }
        return name.count <= SpecValidator.maxNameLength
            && name.unicodeScalars.allSatisfy { isLowerOrDigit($0) || $0 == "-" || $0 == "_" }
    }

    static func isTopicSafe(_ name: String) -> Bool {
        !name.isEmpty && name.count <= SpecValidator.maxNameLength
            && name.unicodeScalars.allSatisfy {
                isLowerOrDigit($0) || ("A"..."Z").contains($0) || $0 == "-" || $0 == "_"
            }
    }

    private static func isLowerOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
