extension GraphSpec {
    /// The partition count of every graph input and node (the partitions of its output topics).
    ///
    /// A node without an explicit count takes the largest count among its inputs; loop edges
    /// (those with `maxIterations`) are left out so that a loop never decides its own size.
    /// Unknown references are ignored: this runs on invalid specs too.
    func resolvedPartitions() -> [String: Int] {
        var result: [String: Int] = [:]
        for input in inputs { result[input.name] = input.partitions }
        let nodesByName = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var visiting: Set<String> = []

        func resolve(_ name: String) -> Int? {
            if let known = result[name] { return known }
            guard let node = nodesByName[name], !visiting.contains(name) else { return nil }
            visiting.insert(name)
            defer { visiting.remove(name) }
            let fromInputs = node.inputs.filter { $0.maxIterations == nil }.compactMap { resolve($0.source) }.max()
            let count = node.partitions ?? fromInputs ?? 1
            result[name] = count
            return count
        }
        for node in nodes { _ = resolve(node.name) }
        return result
    }

    /// For each node, the nodes that consume it, in declaration order. Loop edges are included
    /// only when `includingLoopEdges` is set.
    func consumers(includingLoopEdges: Bool) -> [String: [String]] {
        var result: [String: [String]] = [:]
        // A name that is both a graph input and a node (itself an error) refers to the input.
        let names = Set(nodes.map(\.name)).subtracting(inputs.map(\.name))
        for node in nodes {
            for ref in node.inputs where names.contains(ref.source) && (includingLoopEdges || ref.maxIterations == nil) {
                if !(result[ref.source]?.contains(node.name) ?? false) { result[ref.source, default: []].append(node.name) }
            }
        }
        return result
    }
}
