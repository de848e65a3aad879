extension Check {
    // MARK: References

    mutating func references() {
        let inputNames = spec.inputs.map(\.name)
        let nodeNames = spec.nodes.map(\.name)
        for node in spec.nodes {
            let path = "nodes.\(node.name)"
            if node.inputs.isEmpty { report("\(path).inputs", "a node needs at least one input") }
            var seen: Set<String> = []
            for (index, ref) in node.inputs.enumerated() {
                let refPath = "\(path).inputs[\(index)]"
                if let message = problem(with: ref, inputNames: inputNames, nodeNames: nodeNames) {
                    report(refPath, message)
                } else if !seen.insert("\(ref.source).\(ref.port ?? "")").inserted {
                    report(refPath, "duplicate input '\(ref)'")
                }
            }
        }
    }

    /// Why `ref` does not name an existing stream, or `nil` when it does.
    private func problem(with ref: InputRef, inputNames: [String], nodeNames: [String]) -> String? {
        if inputNames.contains(ref.source) {
            guard let port = ref.port else { return nil }
            return "graph input '\(ref.source)' has no ports; refer to it as '\(ref.source)', not '\(ref.source).\(port)'"
        }
        guard let target = spec.node(named: ref.source) else {
            return "unknown reference '\(ref.source)'" + Suggestion.hint(for: ref.source, in: inputNames + nodeNames)
        }
        return Self.portProblem(ref, of: target)
    }

    /// Why `ref` does not name a port of `node`, or `nil` when it does.
    static func portProblem(_ ref: InputRef, of node: NodeSpec) -> String? {
        let port = ref.resolvedPort
        guard !node.ports.contains(port) else { return nil }
        let ports = node.ports.joined(separator: ", ")
        guard let named = ref.port else {
            return "node '\(node.name)' has no default port '\(port)' (its ports: \(ports); name one, e.g. '\(node.name).\(node.ports.first ?? port)')"
        }
        let hint = Suggestion.closest(to: named, in: node.ports).map { "did you mean '\($0)'?" } ?? "its ports: \(ports)"
        return "node '\(node.name)' has no port '\(named)' (\(hint))"
    }

    // MARK: Loops

    /// Every loop must pass through an edge with `maxIterations`, and only loop-closing edges may carry one.
    mutating func loops() {
        let bounded = spec.consumers(includingLoopEdges: false)
        for component in Self.stronglyConnected(spec.nodes.map(\.name), edges: bounded) {
            guard let cycle = Self.cycle(in: component, edges: bounded), let node = spec.node(named: cycle[0]) else {
                continue
            }
            let closing = cycle[cycle.count - 2]
            let index = node.inputs.firstIndex { $0.source == closing && $0.maxIterations == nil } ?? 0
            report(
                "nodes.\(node.name).inputs[\(index)]",
                "loop \(cycle.joined(separator: " → ")) has no edge with maxIterations (set it on the edge that closes the loop, e.g. {from: \"\(closing)\", maxIterations: 3})"
            )
        }
        let all = spec.consumers(includingLoopEdges: true)
        for node in spec.nodes {
            for (index, ref) in node.inputs.enumerated() where ref.maxIterations != nil {
                let isNode = spec.node(named: ref.source) != nil
                guard !isNode || !Self.reaches(from: node.name, to: ref.source, edges: all) else { continue }
                let reason = isNode ? "'\(ref.source)' does not depend on '\(node.name)'" : "'\(ref.source)' is a graph input"
                report("nodes.\(node.name).inputs[\(index)]", "maxIterations is only allowed on an edge that closes a loop (\(reason))")
            }
        }
    }

    /// Strongly connected components that contain a cycle (more than one node, or a self-loop), in declaration order.
    static func stronglyConnected(_ names: [String], edges: [String: [String]]) -> [[String]] {
        var index: [String: Int] = [:], low: [String: Int] = [:], onStack: Set<String> = [], stack: [String] = []
        var components: [[String]] = []
        func visit(_ name: String) {
            index[name] = index.count
            low[name] = index[name]
            stack.append(name)
            onStack.insert(name)
            for next in edges[name] ?? [] {
                if index[next] == nil {
                    visit(next)
                    low[name] = min(low[name]!, low[next]!)
                } else if onStack.contains(next) {
                    low[name] = min(low[name]!, index[next]!)
                }
            }
            guard low[name] == index[name] else { return }
            var component: [String] = []
            while let top = stack.popLast() {
                onStack.remove(top)
                component.append(top)
                if top == name { break }
            }
            if component.count > 1 || (edges[name] ?? []).contains(name) {
                components.append(names.filter(component.contains))
            }
        }
        for name in names where index[name] == nil { visit(name) }
        return components.sorted { (names.firstIndex(of: $0[0]) ?? 0) < (names.firstIndex(of: $1[0]) ?? 0) }
    }

    /// A shortest cycle through the component's first node, as `[a, b, …, a]`.
    static func cycle(in component: [String], edges: [String: [String]]) -> [String]? {
        guard let start = component.first else { return nil }
        var parent: [String: String] = [:], queue = [start], head = 0
        while head < queue.count {
            let current = queue[head]
            head += 1
            for next in edges[current] ?? [] where component.contains(next) {
                if next == start {
                    var path = [start], step = current
                    while step != start, let previous = parent[step] {
                        path.insert(step, at: 1)
                        step = previous
                    }
                    return path + [start]
                }
                if parent[next] == nil, next != start {
                    parent[next] = current
                    queue.append(next)
                }
            }
        }
        return nil
    }

    static func reaches(from source: String, to target: String, edges: [String: [String]]) -> Bool {
        var seen: Set<String> = [source], queue = [source]
        while let current = queue.popLast() {
            if current == target { return true }
            for next in edges[current] ?? [] where seen.insert(next).inserted { queue.append(next) }
        }
        return false
    }

    // MARK: Joins

    /// Joins need two or more inputs; stateful kinds need all inputs co-partitioned by correlation key.
    mutating func joins() {
        let partitions = spec.resolvedPartitions()
        for node in spec.nodes where node.kind.isStateful {
            let path = "nodes.\(node.name).inputs"
            if node.kind == .join, node.inputs.count < 2 {
                report(path, "a join needs at least 2 inputs, found \(node.inputs.count)")
            }
            let counts = node.inputs.compactMap { ref in partitions[ref.source].map { (ref, $0) } }
            guard let first = counts.first, let other = counts.first(where: { $0.1 != first.1 }) else { continue }
            report(
                path,
                "\(node.kind) inputs must be co-partitioned by correlation key, but '\(first.0)' has \(first.1) partitions and '\(other.0)' has \(other.1)"
            )
        }
    }

    // MARK: Outputs

    mutating func outputs() {
        for output in spec.outputs {
            let path = "outputs.\(output.name)"
            let ref = output.from
            if spec.input(named: ref.source) != nil {
                report(path, "an output must reference a node port, but '\(ref.source)' is a graph input")
            } else if let node = spec.node(named: ref.source) {
                if let message = Self.portProblem(ref, of: node) { report(path, message) }
            } else {
                report(path, "unknown node '\(ref.source)'" + Suggestion.hint(for: ref.source, in: spec.nodes.map(\.name)))
            }
        }
    }
}
