import ArgumentParser
import SluiceCore

extension Sluice {
    /// `sluice topology FILE [--format table|dot]`: shows the topics and consumer groups a graph uses.
    struct Topology: AsyncParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table
            case dot
        }

        static let configuration = CommandConfiguration(
            abstract: "Show the Kafka topics and consumer groups a graph spec maps to.",
            discussion: "`--format dot` prints a Graphviz graph: sluice topology spec.yaml --format dot | dot -Tsvg > graph.svg"
        )

        @Argument(help: "The spec file (.yaml, .yml or .json).")
        var file: String

        @Option(help: "Output format: table or dot.")
        var format: Format = .table

        func run() async throws {
            let topology = try SluiceCore.Topology(loadSpec(file))
            switch format {
            case .table: print(topology.renderTable(), terminator: "")
            case .dot: print(topology.renderDot(), terminator: "")
            }
        }
    }
}
