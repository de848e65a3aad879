import Foundation
import Testing
@testable import SluiceCore

@Suite struct SpecParsingTests {
    @Test func validExamplesLoad() throws {
        let folder = repositoryRoot.appendingPathComponent("examples/specs")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files.count >= 4)
        for file in files {
            #expect(throws: Never.self, "\(file)") { try GraphSpec.load(path: folder.appendingPathComponent(file).path) }
        }
    }

    @Test func fieldsAndDefaultsAreDecoded() throws {
        let spec = try GraphSpec.load(path: repositoryRoot.appendingPathComponent("examples/specs/agent-refine-loop.yaml").path)
        #expect(spec.graph == "support-agent")
        #expect(spec.version == 3)
        #expect(spec.inputs == [InputSpec(name: "questions", partitions: 6)])
        #expect(spec.nodes.map(\.name) == ["classify", "draft", "review", "answer", "escalate"])
        let classify = try #require(spec.node(named: "classify"))
        #expect(classify.kind == .router)
        #expect(classify.ports == ["out", "urgent"])
        #expect(classify.config["routes"]?["urgent"] == .string("$.priority == 'high'"))
        #expect(classify.concurrency == 16 && classify.retries == 3 && classify.replicas == 1)
        #expect(classify.ordering == .key && classify.delivery == .atLeastOnce && classify.partitions == nil)
        let draft = try #require(spec.node(named: "draft"))
        #expect(draft.inputs == [InputRef(source: "classify"), InputRef(source: "review", port: "retry", maxIterations: 3)])
        #expect(draft.concurrency == 32 && draft.retries == 5)
        #expect(spec.node(named: "answer")?.ordering == Ordering.none)
        #expect(spec.outputs.first == OutputSpec(name: "answers", from: InputRef(source: "review", port: "accepted")))
    }

    @Test func customKindsAreParsed() {
        #expect(NodeKind(rawValue: "custom/FraudScore") == .custom("FraudScore"))
        #expect(NodeKind(rawValue: "custom/") == nil)
        #expect(NodeKind(rawValue: "custom/9lives") == nil)
        #expect(NodeKind.custom("X").rawValue == "custom/X")
    }

    @Test func referencesParse() {
        #expect(InputRef(parsing: "a") == InputRef(source: "a"))
        #expect(InputRef(parsing: "a.b") == InputRef(source: "a", port: "b"))
        #expect(InputRef(parsing: "a.b.c") == nil)
        #expect(InputRef(parsing: ".b") == nil)
        #expect(InputRef(source: "a").resolvedPort == "out")
    }

    @Test func jsonAndYamlGiveTheSameSpec() throws {
        let yaml = spec(nodes: "  a:\n    kind: passthrough\n    inputs: [questions]\n    config: { n: 1, x: [true, null, 2.5] }")
        let json = """
            {"graph": "test", "version": 1, "inputs": {"questions": {"partitions": 6}},
             "nodes": {"a": {"kind": "passthrough", "inputs": ["questions"], "config": {"n": 1, "x": [true, null, 2.5]}}}}
            """
        #expect(try GraphSpec.parse(yaml, format: .yaml) == GraphSpec.parse(json, format: .json))
    }

    @Test func jsonIssuesPointAtTheirLineAndColumn() {
        let json = "{\n\t\"graph\": \"test\", \"version\": 1, \"inputs\": {},\n  \"nodes\": {\"a\": {\"kind\": \"join\", \"inputs\": [\"nope\"]}}\n}"
        let found = issues(json, format: .json)
        let reference = found.first { $0.path == "nodes.a.inputs[0]" }
        #expect(reference?.line == 3)
        #expect(reference?.column == 46)
    }

    @Test func formatIsDetectedFromExtensionOrContent() {
        #expect(SpecFormat.detect(path: "a.json", text: "graph: x") == .json)
        #expect(SpecFormat.detect(path: "a.yml", text: "{}") == .yaml)
        #expect(SpecFormat.detect(path: nil, text: "  \n{\"graph\": 1}") == .json)
        #expect(SpecFormat.detect(path: nil, text: "graph: x") == .yaml)
    }

    @Test func codableRoundTripKeepsTheSpec() throws {
        let spec = try GraphSpec.load(path: repositoryRoot.appendingPathComponent("examples/specs/agent-refine-loop.yaml").path)
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(GraphSpec.self, from: data).nodes.map(\.name).sorted() == spec.nodes.map(\.name).sorted())
        #expect(try JSONDecoder().decode(GraphSpec.self, from: data).node(named: "draft") == spec.node(named: "draft"))
    }

    @Test func decodingAnInvalidSpecThroughCodableFails() {
        let data = Data(#"{"graph": "x", "version": 1, "inputs": {}, "nodes": {"a": {"kind": "sink", "inputs": ["b"]}}}"#.utf8)
        #expect(throws: SpecError.self) { try JSONDecoder().decode(GraphSpec.self, from: data) }
    }

    @Test func missingFileIsReported() {
        #expect {
            try GraphSpec.load(path: "/nonexistent/spec.yaml")
        } throws: { error in
            (error as? SpecError)?.issues.first?.message.hasPrefix("cannot read file") == true
        }
    }

    @Test func issuesRenderLikeCompilerDiagnostics() {
        let issue = SpecIssue(path: "nodes.merge.inputs[1]", message: "unknown reference 'clasify'", line: 12, column: 7)
        #expect(issue.rendered(file: "spec.yaml") == "spec.yaml:12:7: nodes.merge.inputs[1]: unknown reference 'clasify'")
        #expect(SpecIssue(path: "", message: "the document is empty").rendered(file: "s.yaml") == "s.yaml: the document is empty")
    }
}
