import Foundation
import SluiceKafka
import SluiceTestSupport
import Synchronization
import Testing

extension EndToEndTests {
    /// A slow node under a large backlog: memory stays bounded, the backlog shows as uncommitted offsets, and more
    /// workers drain it.
    @Suite("Back-pressure across processes", .serialized, .timeLimit(.minutes(3)))
    struct BackPressureTests {
        /// 50 ms per input, 8 at a time: one worker does about 160 inputs a second.
        static let slow = """
            graph: GRAPH
            version: 1
            inputs:
              events: { partitions: 8 }
            nodes:
              slow: { kind: delay, inputs: [events], config: { ms: 50 }, concurrency: 8 }
            """

        static let inputs = 8_000
        /// 20 KB per input: a 160 MB backlog. A worker holding it would pass the bound (it idles at about 33 MB);
        /// librdkafka's own prefetch (`queued.max.messages.kbytes`, 64 MB by default) keeps it near 140 MB.
        static let padding = 20_000
        static let rssBound = 180 * 1024 * 1024

        @Test func aSlowNodeKeepsMemoryBoundedShowsItsBacklogAsUncommittedOffsetsAndDrainsWithMoreWorkers()
            async throws
        {
            try await EndToEndGraph.with(spec: Self.slow) { graph in
                let clock = ContinuousClock()
                let began = clock.now
                let ends = try await graph.publish("events", 0..<Self.inputs, padding: Self.padding)
                let published = ends.values.reduce(0, +)
                graph.expect(published == Int64(Self.inputs), "published \(published)")
                print("back-pressure: published \(published) inputs of 20 KB in \(clock.now - began)")
                let first = try graph.startWorker("slow")
                let admin = try TestKafka.admin()
                let group = graph.consumerGroup(of: "slow")

                // One worker, from its first commit for 4 s: RSS stays bounded while most of the backlog waits in the
                // broker, uncommitted.
                var committed: Int64 = 0
                let joinDeadline = clock.now + .seconds(30)
                while committed == 0, clock.now < joinDeadline {
                    try await Task.sleep(for: .milliseconds(250))
                    committed = try await admin.committedOffsets(group: group).values.reduce(0, +)
                }
                var peak = 0
                let phaseEnd = clock.now + .seconds(4)
                while clock.now < phaseEnd {
                    try await Task.sleep(for: .milliseconds(200))
                    peak = max(peak, first.residentBytes() ?? 0)
                }
                committed = try await admin.committedOffsets(group: group).values.reduce(0, +)
                print(
                    "back-pressure: one worker, peak RSS \(peak / 1_048_576) MB, committed \(committed) of \(published)"
                )
                graph.expect(first.isRunning, "the worker is running")
                graph.expect(peak > 0 && peak < Self.rssBound, "peak RSS \(peak / 1_048_576) MB under a 160 MB backlog")
                graph.expect(committed > 0, "the worker makes progress")
                graph.expect(committed < published / 4, "the backlog shows: committed \(committed) of \(published)")

                // Seven more workers, one per partition: the backlog drains about eight times faster.
                for _ in 0..<7 { try graph.startWorker("slow") }
                let outputs = try Arrivals(
                    await TestKafka.read(
                        graph.outputTopic(of: "slow"), count: Self.inputs, timeout: .seconds(100), quiet: .seconds(2)))
                print(
                    "back-pressure: drained at \(clock.now - began), outputs by worker \(outputs.origins.sorted { $0.key < $1.key })"
                )
                let missing = outputs.missing(from: 0..<Self.inputs)
                graph.expect(missing.isEmpty, "\(missing.count) input(s) not drained, first \(missing.prefix(10))")
                let peaks = graph.runningWorkers.compactMap { $0.residentBytes() }
                graph.expect(peaks.allSatisfy { $0 < Self.rssBound }, "RSS of every worker after the drain: \(peaks)")

                // Every input is committed once the background commits catch up. On a loaded 2-core machine the
                // broker has stalled long enough for the whole group to lose its partitions; the commits then wait
                // for the rejoin, so this allows more than the few seconds they take otherwise.
                var final: [TopicPartition: Int64] = [:]
                let deadline = clock.now + .seconds(45)
                repeat {
                    final = try await admin.committedOffsets(group: group)
                    if final == ends { break }
                    try await Task.sleep(for: .milliseconds(250))
                } while clock.now < deadline
                graph.expect(final == ends, "committed \(final.values.reduce(0, +)) of \(published)")
            }
        }
    }
}
