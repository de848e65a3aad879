import Testing
@testable import SluiceCore

/// One test per rule, on small inline specs.
@Suite struct SpecValidationTests {
    private func only(_ found: [SpecIssue]) -> SpecIssue? { found.count == 1 ? found[0] : nil }

    @Test func aValidSpecHasNoIssues() {
        #expect(issues(spec(nodes: "  a:\n    kind: passthrough\n    inputs: [questions]")).isEmpty)
    }

    @Test func unknownReferenceSuggestsTheClosestName() {
        let issue = only(issues(spec(nodes: "  classify:\n    kind: router\n    inputs: [questions]\n  b:\n    kind: sink\n    inputs: [questions, clasify]")))
        #expect(issue?.path == "nodes.b.inputs[1]")
        #expect(issue?.message == "unknown reference 'clasify' (did you mean 'classify'?)")
        #expect(issue?.line == 11 && issue?.column == 25)
    }

    @Test func unknownPortIsRejected() {
        let issue = only(issues(spec(nodes: "  a:\n    kind: router\n    inputs: [questions]\n    ports: [hot, cold]\n  b:\n    kind: sink\n    inputs: [a]")))
        #expect(issue?.path == "nodes.b.inputs[0]")
        #expect(issue?.message == "node 'a' has no default port 'out' (its ports: hot, cold; name one, e.g. 'a.hot')")
    }

    @Test func graphInputsHaveNoPorts() {
        let issue = only(issues(spec(nodes: "  a:\n    kind: sink\n    inputs: [questions.out]")))
        #expect(issue?.message.hasPrefix("graph input 'questions' has no ports") == true)
    }

    @Test func duplicateYamlKeysAreRejected() {
        let found = issues(spec(nodes: "  a:\n    kind: sink\n    kind: router\n    inputs: [questions]"))
        #expect(only(found)?.path == "nodes.a.kind")
        #expect(only(found)?.message == "duplicate key 'kind' (first defined at line 7)")
    }

    @Test func aNodeMayNotShareAnInputsName() {
        let issue = only(issues(spec(nodes: "  questions:\n    kind: sink\n    inputs: [questions]")))
        #expect(issue?.message == "node 'questions' has the same name as graph input 'questions'")
    }

    @Test func duplicatePortsAndInputsAreRejected() {
        let found = issues(spec(nodes: "  a:\n    kind: router\n    inputs: [questions, questions]\n    ports: [x, x]"))
        #expect(Set(found.map(\.path)) == ["nodes.a.inputs[1]", "nodes.a.ports[1]"])
    }

    @Test func unboundedLoopIsRejected() {
        let issue = only(issues(spec(nodes: "  a:\n    kind: llm\n    inputs: [questions, b]\n  b:\n    kind: llm\n    inputs: [a]")))
        #expect(issue?.path == "nodes.a.inputs[1]")
        #expect(issue?.message.hasPrefix("loop a → b → a has no edge with maxIterations") == true)
    }

    @Test func selfLoopWithoutBoundIsRejected() {
        let issue = only(issues(spec(nodes: "  a:\n    kind: llm\n    inputs: [questions, a]")))
        #expect(issue?.message.hasPrefix("loop a → a") == true)
    }

    @Test func boundedLoopIsAccepted() {
        let text = spec(nodes: "  a:\n    kind: llm\n    inputs: [questions, {from: b, maxIterations: 3}]\n  b:\n    kind: llm\n    inputs: [a]")
        #expect(issues(text).isEmpty)
    }

    @Test func maxIterationsOutsideALoopIsRejected() {
        let issue = only(issues(spec(nodes: "  a:\n    kind: llm\n    inputs: [questions]\n  b:\n    kind: llm\n    inputs: [{from: a, maxIterations: 2}]")))
        #expect(issue?.message == "maxIterations is only allowed on an edge that closes a loop ('a' does not depend on 'b')")
    }

    @Test func joinNeedsTwoInputs() {
        let issue = only(issues(spec(nodes: "  j:\n    kind: join\n    inputs: [questions]")))
        #expect(issue?.message == "a join needs at least 2 inputs, found 1")
    }

    @Test func joinInputsMustBeCoPartitioned() {
        let text = spec(
            inputs: "  a: { partitions: 6 }\n  b: { partitions: 6 }",
            nodes: "  wide:\n    kind: passthrough\n    inputs: [b]\n    partitions: 12\n  j:\n    kind: join\n    inputs: [a, wide]")
        let issue = only(issues(text))
        #expect(issue?.path == "nodes.j.inputs")
        #expect(issue?.message == "join inputs must be co-partitioned by correlation key, but 'a' has 6 partitions and 'wide' has 12")
    }

    @Test func unknownKindIsRejected() {
        #expect(only(issues(spec(nodes: "  a:\n    kind: rooter\n    inputs: [questions]")))?.message
            == "unknown kind 'rooter' (did you mean 'router'?)")
        #expect(only(issues(spec(nodes: "  a:\n    kind: custom/my-node\n    inputs: [questions]")))?.message.hasPrefix("invalid custom kind") == true)
    }

    @Test func unknownFieldsSuggestTheClosestField() {
        let found = issues(spec(nodes: "  a:\n    kind: sink\n    inputs: [questions]\n    concurrancy: 4") + "outptus: {}\n")
        #expect(found.map(\.message) == [
            "unknown field 'concurrancy' (did you mean 'concurrency'?)", "unknown field 'outptus' (did you mean 'outputs'?)",
        ])
    }

    @Test(arguments: [0, 10_001, -3])
    func partitionCountsOutsideTheRangeAreRejected(count: Int) {
        let found = issues(spec(inputs: "  questions: { partitions: \(count) }", nodes: "  a:\n    kind: sink\n    inputs: [questions]"))
        #expect(only(found)?.message == "partitions must be between 1 and 10000, found \(count)")
    }

    @Test func otherRangesAreChecked() {
        let found = issues(spec(nodes: "  a:\n    kind: sink\n    inputs: [questions]\n    concurrency: 0\n    retries: 101\n    replicas: 0"))
        #expect(found.map(\.path) == ["nodes.a.concurrency", "nodes.a.retries", "nodes.a.replicas"])
    }

    @Test(arguments: ["Upper", "has.dot", "-lead", "sp ace"])
    func invalidGraphNamesAreRejected(name: String) {
        let text = spec(nodes: "  a:\n    kind: sink\n    inputs: [questions]").replacingOccurrences(of: "graph: test", with: "graph: '\(name)'")
        #expect(only(issues(text))?.path == "graph")
    }

    @Test func namesWithDotsAreRejected() {
        let issue = only(issues(spec(inputs: "  'q.v2': { partitions: 1 }", nodes: "  a:\n    kind: sink\n    inputs: [{from: q}]")).filter { $0.path.hasPrefix("inputs") })
        #expect(issue?.message.contains("dots separate the parts of topic names") == true)
    }

    @Test func reservedNamesAreRejected() {
        let found = issues(spec(nodes: "  in:\n    kind: router\n    inputs: [questions]\n    ports: [changelog]"))
        #expect(found.map(\.path) == ["nodes.in", "nodes.in.ports[0]"])
    }

    @Test func badEnumValuesAreRejected() {
        let found = issues(spec(nodes: "  a:\n    kind: sink\n    inputs: [questions]\n    ordering: fifo\n    delivery: exactly-once"))
        #expect(only(found)?.message == "invalid ordering 'fifo' (expected 'key' or 'none')")
    }

    @Test func missingRequiredFieldsAreRejected() {
        let found = issues("graph: test\nnodes:\n  a:\n    kind: sink\n")
        #expect(found.map(\.path) == ["inputs", "version", "nodes.a.inputs"])
        #expect(found.allSatisfy { $0.message.hasPrefix("missing required field") })
    }

    @Test func outputsMustNameAnExistingNodePort() {
        let found = issues(spec(nodes: "  a:\n    kind: sink\n    inputs: [questions]", outputs: "  x: a.nope\n  y: questions\n  z: b"))
        #expect(found.map(\.path) == ["outputs.x", "outputs.y", "outputs.z"])
        #expect(found.first?.message == "node 'a' has no port 'nope' (its ports: out)")
    }

    @Test func wrongTypesAreRejected() {
        let found = issues(spec(nodes: "  a:\n    kind: [sink]\n    inputs: questions\n    retries: '3'\n    ports: [1]"))
        #expect(found.map(\.message) == [
            "expected a string, found a list", "expected a list, found a string", "expected an integer, found a string",
            "expected a string, found an integer",
        ])
    }

    @Test func everyIssueIsReportedAtOnce() {
        let found = issues(spec(nodes: "  a:\n    kind: nope\n    inputs: [missing]\n    retries: -1\n    color: red"))
        #expect(found.count == 4)
        #expect(found == found.sorted(by: SpecIssue.byPosition))
    }

    @Test func syntaxErrorsCarryTheirPosition() {
        let issue = only(issues("graph: test\nnodes: [a\n"))
        #expect(issue?.message.hasPrefix("syntax error") == true)
        #expect(issue?.line == 3)
    }

    @Test func specsBuiltInCodeAreValidatedToo() {
        let spec = GraphSpec(
            graph: "g", version: 1, inputs: [InputSpec(name: "i", partitions: 2)],
            nodes: [NodeSpec(name: "a", kind: .join, inputs: [InputRef(source: "i")])])
        #expect(SpecValidator.validate(spec).map(\.message) == ["a join needs at least 2 inputs, found 1"])
        #expect(throws: SpecError.self) { try spec.validate() }
    }
}
