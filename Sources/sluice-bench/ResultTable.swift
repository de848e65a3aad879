/// One benchmark's result: the Swift layer's throughput beside C's, or why C has no number.
struct ResultRow: Sendable {
    var name: String
    var swift: Throughput
    var c: Throughput?
    /// Shown in place of C's numbers when `c` is `nil`.
    var cMissing = "n/a"

    /// Swift msg/s over C msg/s.
    var ratio: Double? { c.map { swift.messagesPerSecond / $0.messagesPerSecond } }
}

/// The comparison table `make bench-kafka` prints, as Markdown so it pastes into a PR or a doc.
///
/// ```
/// | benchmark | Swift msg/s | Swift MB/s | C msg/s | C MB/s | Swift/C |
/// |-----------|------------:|-----------:|--------:|-------:|--------:|
/// | producer  |     412,345 |      105.6 | 444,001 |  113.7 |    0.93 |
/// ```
struct ResultTable {
    var rows: [ResultRow]

    private static let header = ["benchmark", "Swift msg/s", "Swift MB/s", "C msg/s", "C MB/s", "Swift/C"]

    func render() -> String {
        let cells = rows.map { row -> [String] in
            [
                row.name,
                Format.grouped(row.swift.messagesPerSecond), Format.fixed(row.swift.megabytesPerSecond, 1),
                row.c.map { Format.grouped($0.messagesPerSecond) } ?? row.cMissing,
                row.c.map { Format.fixed($0.megabytesPerSecond, 1) } ?? row.cMissing,
                row.ratio.map { Format.fixed($0, 2) } ?? row.cMissing,
            ]
        }
        return MarkdownTable.render(header: Self.header, rows: cells)
    }

    /// `Goal: Swift/C ≥ 0.9 for producer and consumer: producer 0.93 ✓, consumer 0.88 ✗`, or nothing when `names`
    /// is empty (only the relay ran).
    func goalLine(minimumRatio: Double, for names: [String]) -> String {
        guard !names.isEmpty else { return "" }
        let verdicts = names.map { name -> String in
            guard let ratio = rows.first(where: { $0.name == name })?.ratio else { return "\(name) n/a" }
            return "\(name) \(Format.fixed(ratio, 2)) \(ratio >= minimumRatio ? "✓" : "✗")"
        }
        let goal = "Goal: Swift/C ≥ \(Format.fixed(minimumRatio, 1)) for \(names.joined(separator: " and "))"
        return "\(goal): \(verdicts.joined(separator: ", "))"
    }
}

/// A Markdown table: the first column left-aligned, the others right-aligned.
enum MarkdownTable {
    static func render(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ values: [String]) -> String {
            let padded = values.enumerated().map { column, value in
                let padding = String(repeating: " ", count: widths[column] - value.count)
                return column == 0 ? value + padding : padding + value
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = widths.enumerated().map { column, width in
            column == 0 ? String(repeating: "-", count: width + 2) : String(repeating: "-", count: width + 1) + ":"
        }
        return ([line(header), "|" + rule.joined(separator: "|") + "|"] + rows.map(line)).joined(separator: "\n")
    }
}
