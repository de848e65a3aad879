extension Topology {
    /// A plain-text table: each node with the topics it reads and writes, then every topic.
    public func renderTable() -> String {
        var nodeRows = [["NODE", "KIND", "PARTITIONS", "READS", "WRITES", "DEAD LETTERS", "CONSUMER GROUP"]]
        for node in nodes {
            let reads = node.inputs.map { input in
                input.ref.maxIterations.map { "\(input.topic) (loop, max \($0))" } ?? input.topic
            }
            var writes = node.ports.map { "\($0.name): \($0.topic)" }
            if let changelog = node.changelogTopic { writes.append("state: \(changelog)") }
            let lines = max(reads.count, writes.count)
            for line in 0..<lines {
                let first = line == 0
                nodeRows.append([
                    first ? node.name : "", first ? node.kind.rawValue : "", first ? String(node.partitions) : "",
                    line < reads.count ? reads[line] : "", line < writes.count ? writes[line] : "",
                    first ? node.deadLetterTopic : "", first ? node.consumerGroup : "",
                ])
            }
        }
        var topicRows = [["TOPIC", "ROLE", "PARTITIONS", "CONFIGS"]]
        for topic in topics {
            let configs = topic.configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            topicRows.append([topic.name, topic.role.rawValue, String(topic.partitions), configs])
        }
        var text = "graph \(graph) v\(specVersion)\n\n" + Self.columns(nodeRows) + "\n" + Self.columns(topicRows)
        if !outputs.isEmpty {
            text += "\n" + Self.columns([["OUTPUT", "TOPIC"]] + outputs.map { [$0.name, $0.topic] })
        }
        return text
    }

    /// A Graphviz digraph: inputs and outputs as ellipses, nodes as boxes, edges labelled with
    /// their topic; loop edges are dashed and carry their iteration bound.
    public func renderDot() -> String {
        var lines = ["digraph \(Self.quoted(graph)) {", "  rankdir=LR;", "  node [fontname=\"Helvetica\"];"]
        let partitionsByTopic = Dictionary(topics.map { ($0.name, $0.partitions) }, uniquingKeysWith: { first, _ in first })
        let entryTopics = topics.filter { $0.role == .entry }
        for topic in entryTopics {
            lines.append("  \(Self.quoted("in:" + topic.name)) [shape=ellipse, label=\(Self.quoted(Self.lastPart(of: topic.name)))];")
        }
        for node in nodes {
            let label = "\(node.name)\\n\(node.kind.rawValue) ×\(node.partitions)"
            lines.append("  \(Self.quoted(node.name)) [shape=box, label=\(Self.quoted(label))];")
        }
        let producers = Dictionary(
            nodes.flatMap { node in node.ports.map { ($0.topic, node.name) } }, uniquingKeysWith: { first, _ in first })
        for node in nodes {
            for input in node.inputs {
                let from = producers[input.topic] ?? "in:" + input.topic
                var attributes = ["label=\(Self.quoted("\(input.topic) (\(partitionsByTopic[input.topic] ?? 0))"))"]
                if let bound = input.ref.maxIterations {
                    attributes = ["label=\(Self.quoted("\(input.topic) (≤\(bound) iterations)"))", "style=dashed"]
                }
                lines.append("  \(Self.quoted(from)) -> \(Self.quoted(node.name)) [\(attributes.joined(separator: ", "))];")
            }
        }
        for output in outputs {
            lines.append("  \(Self.quoted("out:" + output.name)) [shape=doublecircle, label=\(Self.quoted(output.name))];")
            if let from = producers[output.topic] {
                lines.append("  \(Self.quoted(from)) -> \(Self.quoted("out:" + output.name)) [label=\(Self.quoted(output.topic))];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Left-aligned columns separated by two spaces, trailing spaces trimmed.
    static func columns(_ rows: [[String]]) -> String {
        let widths = rows.reduce(into: [Int]()) { widths, row in
            for (index, cell) in row.enumerated() {
                if index < widths.count { widths[index] = max(widths[index], cell.count) } else { widths.append(cell.count) }
            }
        }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() {
                line += cell + String(repeating: " ", count: index == row.count - 1 ? 0 : widths[index] - cell.count + 2)
            }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }

    /// A DOT string literal. Names are topic-safe (validated), so only quotes need escaping;
    /// a `\n` in a label is DOT's line break and is kept.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func lastPart(of topic: String) -> String {
        topic.split(separator: ".").last.map(String.init) ?? topic
    }
}
