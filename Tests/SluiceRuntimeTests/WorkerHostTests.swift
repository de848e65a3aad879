import Foundation
import SluiceCore
import SluiceKafka
import SluiceRuntime
import Synchronization
import SluiceTestSupport
import Testing

@Suite("Worker host against the broker", .serialized, .timeLimit(.minutes(5)))
struct WorkerHostTests {
    @Test func passthroughDeliversEveryInputOnceAndCommitsToTheEnd() async throws {
        let nodes = [NodeSpec(name: "pass", kind: .passthrough, inputs: [InputRef(source: "events")], concurrency: 64)]
        try await TestGraph.with(inputs: [InputSpec(name: "events", partitions: 3)], nodes: nodes) { graph in
            let producer = try TestKafka.producer()
            let reports = try await TestKafka.produce(producer, graph.entryRecords("events", 0..<10_000, keys: 100))
            await producer.close()

            let host = try graph.host("pass", instanceID: "pass@test-host:1")
            let worker = RunningWorker(host)
            let outputs = try await TestKafka.read(graph.node("pass").ports[0].topic, count: 10_000)
            try await worker.stop()

            let numbers = try outputs.map { try $0.outputNumber() }
            #expect(numbers.count == 10_000)
            // The default instance id already names the node: the origin does not repeat it.
            #expect(outputs.first?.header(Envelope.Header.origin)?.stringValue == "pass@test-host:1")
            // The record's Kafka timestamp is the instant its produced-at header names.
            let stamps = outputs.map { $0.header(Envelope.Header.producedAt)?.stringValue.flatMap { Int64($0) } }
            #expect(stamps.allSatisfy { $0 != nil })
            #expect(stamps == outputs.map(\.timestampMilliseconds))
            #expect(Set(numbers) == Set(0..<10_000))
            let ends = TestKafka.endOffsets(of: reports)
            let committed = try await TestKafka.admin().committedOffsets(group: graph.node("pass").consumerGroup)
            #expect(committed == ends)
        }
    }

    @Test(arguments: [NodeExecution.concurrent, .synchronous])
    func failingInputsGoToTheDeadLetterTopicWithReasonsAndTheRestFlow(execution: NodeExecution) async throws {
        let nodes = [
            NodeSpec(
                name: "flaky", kind: .custom("Flaky"), inputs: [InputRef(source: "events")], concurrency: 16, retries: 2
            )
        ]
        try await TestGraph.with(inputs: [InputSpec(name: "events", partitions: 2)], nodes: nodes) { graph in
            var registry = NodeRegistry.builtIn
            switch execution {
            case .concurrent: registry.register(FlakyNode.self, as: .custom("Flaky"))
            case .synchronous: registry.register(SynchronousFlakyNode.self, as: .custom("Flaky"))
            }
            // Every 10th input fails on every attempt; every 7th (not 10th) fails once, then succeeds on retry.
            let records = graph.entryRecords("events", 0..<300) { n in
                n % 10 == 0 ? ",\"failAttempts\":99" : n % 7 == 0 ? ",\"failAttempts\":1" : ""
            }
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, records)
            await producer.close()

            let worker = RunningWorker(try graph.host("flaky", registry: registry, instanceID: "flaky-1"))
            async let outputs = TestKafka.read(graph.node("flaky").ports[0].topic, count: 270)
            async let deadLetters = TestKafka.read(graph.node("flaky").deadLetterTopic, count: 30)
            let (out, dead) = try await (outputs, deadLetters)
            try await worker.stop()

            #expect(try Set(out.map { try $0.outputNumber() }) == Set((0..<300).filter { $0 % 10 != 0 }))
            #expect(out.count == 270)
            #expect(dead.count == 30)
            let deadNumbers = dead.compactMap { message in
                try? JSONDecoderBox.decode(Numbered.self, message.value).i
            }
            #expect(Set(deadNumbers) == Set(stride(from: 0, to: 300, by: 10)))
            let first = try #require(dead.first)
            #expect(first.header(DeadLetterHeader.error)?.stringValue?.contains("flaky input") == true)
            #expect(first.header(DeadLetterHeader.attempts)?.stringValue == "3")
            #expect(first.header(DeadLetterHeader.node)?.stringValue == "flaky")
            #expect(first.header(DeadLetterHeader.instance)?.stringValue == "flaky-1")
            #expect(first.header(DeadLetterHeader.sourceTopic)?.stringValue == graph.entryTopic("events"))
            #expect(first.header(DeadLetterHeader.sourcePartition)?.stringValue.flatMap { Int32($0) } != nil)
            #expect(first.header(DeadLetterHeader.sourceOffset)?.stringValue.flatMap { Int64($0) } != nil)
            #expect(first.key.map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("k") == true)
        }
    }

    /// A concurrent node runs different keys at once; a synchronous one (which suspends here all the same) runs
    /// one input at a time in read order, whatever its `concurrency`.
    @Test(arguments: [NodeExecution.concurrent, .synchronous])
    func sameKeyInputsRunOneAtATimeInOrderUnderConcurrency64(execution: NodeExecution) async throws {
        let nodes = [
            NodeSpec(
                name: "rec", kind: .custom("Recorder"), inputs: [InputRef(source: "events")], concurrency: 64,
                ordering: .key)
        ]
        try await TestGraph.with(inputs: [InputSpec(name: "events", partitions: 2)], nodes: nodes) { graph in
            let recorder = OrderRecorder()
            var registry = NodeRegistry()
            registry.register(.custom("Recorder")) { _ in
                execution == .concurrent
                    ? RecorderNode(recorder: recorder) as any Node : SynchronousRecorderNode(recorder: recorder)
            }
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, graph.entryRecords("events", 0..<2_000, keys: 8))
            await producer.close()

            let worker = RunningWorker(try graph.host("rec", registry: registry))
            let outputs = try await TestKafka.read(graph.node("rec").ports[0].topic, count: 2_000, quiet: .seconds(1))
            try await worker.stop()

            #expect(outputs.count == 2_000)
            let (order, overlaps, peak) = recorder.snapshot()
            #expect(overlaps == 0)
            if execution == .concurrent {
                #expect(peak > 1, "different keys should run concurrently")
            } else {
                #expect(peak == 1, "a synchronous node runs one input at a time")
            }
            for key in 0..<8 {
                let expected = Array(stride(from: key, to: 2_000, by: 8))
                #expect(order["k\(key)"] == expected, "key k\(key) out of order")
            }
        }
    }

    @Test func aPoisonMessageOnAnEdgeTopicGoesToTheDeadLetterTopicWithTheDecodingError() async throws {
        let nodes = [
            NodeSpec(name: "a", kind: .passthrough, inputs: [InputRef(source: "events")]),
            NodeSpec(name: "b", kind: .passthrough, inputs: [InputRef(source: "a")]),
        ]
        try await TestGraph.with(inputs: [InputSpec(name: "events", partitions: 1)], nodes: nodes) { graph in
            let edge = graph.node("a").ports[0].topic
            let good = KafkaRecord(
                topic: edge,
                envelope: try Envelope(payload: Numbered(i: 1), correlationID: "c1", origin: "a@test", specVersion: 1))
            var poison = KafkaRecord(
                topic: edge,
                envelope: try Envelope(payload: Numbered(i: 2), correlationID: "c2", origin: "a@test", specVersion: 1))
            poison.value = Array("not json {".utf8)
            let records = [poison, good]
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, records)
            await producer.close()

            let worker = RunningWorker(try graph.host("b"))
            async let outputs = TestKafka.read(graph.node("b").ports[0].topic, count: 1)
            async let deadLetters = TestKafka.read(graph.node("b").deadLetterTopic, count: 1)
            let (out, dead) = try await (outputs, deadLetters)
            try await worker.stop()

            #expect(try out.map { try $0.outputNumber() } == [1])
            let letter = try #require(dead.count == 1 ? dead.first : nil)
            #expect(letter.value == Array("not json {".utf8))
            #expect(letter.header(DeadLetterHeader.error)?.stringValue?.hasPrefix("invalid-payload") == true)
            #expect(letter.header(DeadLetterHeader.attempts)?.stringValue == "0")
            #expect(letter.header(DeadLetterHeader.sourceOffset)?.stringValue == "0")
            #expect(letter.header(Envelope.Header.correlationID)?.stringValue == "c2", "original headers are kept")
        }
    }

    /// A delay node (concurrent) or a node that blocks its thread for a millisecond an input (synchronous).
    @Test(arguments: [NodeExecution.concurrent, .synchronous])
    func aGracefulStopMidRunThenARestartLosesNothingAndDuplicatesNothing(execution: NodeExecution) async throws {
        let nodes = [
            NodeSpec(
                name: "slow", kind: execution == .concurrent ? .delay : .custom("Blocking"),
                inputs: [InputRef(source: "events")], config: .object(["ms": .int(2)]), concurrency: 32)
        ]
        var registry = NodeRegistry.builtIn
        registry.register(BlockingNode.self, as: .custom("Blocking"))
        try await TestGraph.with(inputs: [InputSpec(name: "events", partitions: 3)], nodes: nodes) { graph in
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, graph.entryRecords("events", 0..<3_000, keys: 64))
            await producer.close()
            let topic = graph.node("slow").ports[0].topic

            let first = RunningWorker(try graph.host("slow", registry: registry, instanceID: "slow-1"))
            let watcher = try TestKafka.consumer()
            try watcher.subscribe(topics: [topic])
            let seen = await watcher.collect(600, timeout: .seconds(60))
            await watcher.close()
            try await first.stop()
            #expect(seen.count == 600)
            let committed = try await TestKafka.admin().committedOffsets(group: graph.node("slow").consumerGroup)
            #expect(committed.values.reduce(0, +) < 3_000, "the first worker stopped mid-run")

            let second = RunningWorker(try graph.host("slow", registry: registry, instanceID: "slow-1"))
            let outputs = try await TestKafka.read(topic, count: 3_000, quiet: .seconds(3))
            try await second.stop()

            let numbers = try outputs.map { try $0.outputNumber() }
            #expect(Set(numbers) == Set(0..<3_000), "nothing lost")
            #expect(numbers.count == 3_000, "no duplicates")
        }
    }

    @Test func aSecondWorkerJoiningMidRunTakesOverPartitionsWithNothingLostOrDuplicated() async throws {
        let nodes = [
            NodeSpec(
                name: "slow", kind: .delay, inputs: [InputRef(source: "events")], config: .object(["ms": .int(30)]),
                concurrency: 8)
        ]
        try await TestGraph.with(inputs: [InputSpec(name: "events", partitions: 4)], nodes: nodes) { graph in
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, graph.entryRecords("events", 0..<4_000, keys: 64))
            await producer.close()
            let topic = graph.node("slow").ports[0].topic

            // Tansu leaves a static member out of the second round of a cooperative rebalance (it would never get
            // partitions), so there the workers join as dynamic members.
            let staticMembership = !TestKafka.isTansu
            let first = RunningWorker(try graph.host("slow", instanceID: "slow-a", staticMembership: staticMembership))
            let watcher = try TestKafka.consumer()
            try watcher.subscribe(topics: [topic])
            let seen = await watcher.collect(500, timeout: .seconds(60))
            await watcher.close()
            #expect(seen.count == 500)
            // 8 in flight at 30 ms each: about 270 a second, so the rebalance happens mid-run even on a busy machine.
            let second = RunningWorker(try graph.host("slow", instanceID: "slow-b", staticMembership: staticMembership))
            let outputs = try await TestKafka.read(topic, count: 4_000, timeout: .seconds(60), quiet: .seconds(3))
            try await first.stop()
            try await second.stop()

            let numbers = try outputs.map { try $0.outputNumber() }
            #expect(Set(numbers) == Set(0..<4_000), "nothing lost")
            #expect(numbers.count == 4_000, "no duplicates: the revoked partitions' work finished and was committed")
            let origins = Set(outputs.compactMap { $0.header(Envelope.Header.origin)?.stringValue })
            #expect(origins == ["slow@slow-a", "slow@slow-b"], "both workers produced")
        }
    }

    @Test func aLoopEdgeCountsRoundsAndDeadLettersAMessagePastMaxIterations() async throws {
        let nodes = [
            NodeSpec(
                name: "refine", kind: .custom("Again"),
                inputs: [InputRef(source: "events"), InputRef(source: "refine", port: "retry", maxIterations: 3)],
                ports: ["out", "retry"])
        ]
        try await TestGraph.with(inputs: [InputSpec(name: "events", partitions: 2)], nodes: nodes) { graph in
            var registry = NodeRegistry()
            registry.register(AgainNode.self, as: .custom("Again"))
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, graph.entryRecords("events", 0..<20, keys: 20))
            await producer.close()

            let refine = graph.node("refine")
            let worker = RunningWorker(try graph.host("refine", registry: registry))
            async let rounds = TestKafka.read(refine.ports[0].topic, count: 80, quiet: .seconds(1))
            async let deadLetters = TestKafka.read(refine.deadLetterTopic, count: 20, quiet: .seconds(1))
            let (seen, dead) = try await (rounds, deadLetters)
            try await worker.stop()

            // Each input is processed at iterations 0 (from `events`), then 1, 2 and 3 (round the loop).
            var iterations: [Int: [Int]] = [:]
            for record in seen {
                let iteration = try #require(record.header(Envelope.Header.iteration)?.stringValue.flatMap { Int($0) })
                iterations[try record.outputNumber(), default: []].append(iteration)
            }
            #expect(iterations.count == 20)
            #expect(iterations.values.allSatisfy { $0.sorted() == [0, 1, 2, 3] })
            #expect(dead.count == 20, "the fourth round of each message is dead-lettered")
            #expect(dead.allSatisfy { $0.header(DeadLetterHeader.error)?.stringValue?.hasPrefix("loop limit") == true })
            #expect(dead.allSatisfy { $0.header(DeadLetterHeader.sourceTopic)?.stringValue == refine.ports[1].topic })
        }
    }
}

/// Sends every input round the loop again (`retry`) and reports it on `out`, with the iteration it ran at.
actor AgainNode: Node {
    init(setup: NodeSetup) {}

    func process(_ input: NodeInput, context: NodeContext) throws {
        try context.emit(rawJSON: input.rawPayload, to: "out")
        try context.emit(rawJSON: input.rawPayload, to: "retry")
    }
}

/// Throws while `context.attempt <= failAttempts` in the payload, else passes the payload through.
actor FlakyNode: Node {
    struct Input: Decodable {
        var i: Int
        var failAttempts: Int?
    }

    struct Failure: Error, CustomStringConvertible {
        var i: Int
        var description: String { "flaky input \(i)" }
    }

    init(setup: NodeSetup) {}

    func process(_ input: NodeInput, context: NodeContext) throws {
        try Self.pass(input, context: context)
    }

    static func pass(_ input: NodeInput, context: NodeContext) throws {
        let payload = try input.payload(as: Input.self)
        if context.attempt <= payload.failAttempts ?? 0 { throw Failure(i: payload.i) }
        try context.emit(rawJSON: input.rawPayload)
    }
}

/// ``FlakyNode``, run inline.
actor SynchronousFlakyNode: Node {
    static var execution: NodeExecution { .synchronous }

    init(setup: NodeSetup) {}

    func process(_ input: NodeInput, context: NodeContext) throws {
        try FlakyNode.pass(input, context: context)
    }
}

/// Blocks its thread for `config.ms` milliseconds an input, then passes the payload through: slow computation,
/// which never suspends.
actor BlockingNode: Node {
    static var execution: NodeExecution { .synchronous }
    let microseconds: UInt32

    init(setup: NodeSetup) { microseconds = UInt32(setup.config["ms"]?.intValue ?? 0) * 1_000 }

    func process(_ input: NodeInput, context: NodeContext) throws {
        usleep(microseconds)
        try context.emit(rawJSON: input.rawPayload)
    }
}

/// Records, per correlation id, the order inputs started in, and whether two of one key ever overlapped.
final class OrderRecorder: Sendable {
    private struct State {
        var order: [String: [Int]] = [:]
        var active: Set<String> = []
        var overlaps = 0
        var running = 0
        var peak = 0
    }

    private let state = Mutex(State())

    func begin(key: String, i: Int) {
        state.withLock { state in
            state.order[key, default: []].append(i)
            if !state.active.insert(key).inserted { state.overlaps += 1 }
            state.running += 1
            state.peak = max(state.peak, state.running)
        }
    }

    func end(key: String) {
        state.withLock { state in
            state.active.remove(key)
            state.running -= 1
        }
    }

    func snapshot() -> (order: [String: [Int]], overlaps: Int, peak: Int) {
        state.withLock { ($0.order, $0.overlaps, $0.peak) }
    }

    /// Records `input`'s start and end around a random sleep of up to 2 ms, then passes its number on.
    func record(_ input: NodeInput, context: NodeContext) async throws {
        let i = try input.payload(as: Numbered.self).i
        begin(key: input.correlationID, i: i)
        try await Task.sleep(for: .microseconds(Int.random(in: 0...2_000)))
        end(key: input.correlationID)
        try context.emit(Numbered(i: i))
    }
}

actor RecorderNode: Node {
    let recorder: OrderRecorder

    init(recorder: OrderRecorder) { self.recorder = recorder }
    init(setup: NodeSetup) { recorder = OrderRecorder() }

    func process(_ input: NodeInput, context: NodeContext) async throws {
        try await recorder.record(input, context: context)
    }
}

/// ``RecorderNode`` declared synchronous, though it suspends: the worker runs it one input at a time.
actor SynchronousRecorderNode: Node {
    static var execution: NodeExecution { .synchronous }
    let recorder: OrderRecorder

    init(recorder: OrderRecorder) { self.recorder = recorder }
    init(setup: NodeSetup) { recorder = OrderRecorder() }

    func process(_ input: NodeInput, context: NodeContext) async throws {
        try await recorder.record(input, context: context)
    }
}

enum JSONDecoderBox {
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
