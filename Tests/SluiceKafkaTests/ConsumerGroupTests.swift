import Synchronization
import SluiceKafka
import SluiceTestSupport
import Testing

@Suite("Consumer groups, pause and resume", .serialized, .timeLimit(.minutes(3)))
struct ConsumerGroupTests {
    @Test func twoMembersSplitPartitionsAndTheSurvivorTakesOverWithNothingLost() async throws {
        try await TestKafka.withTopic(partitions: 4) { topic in
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, topic: topic, range: 0..<2_000)
            let group = TestKafka.unique("g")
            let events = Mutex<[String]>([])
            let a = try TestKafka.consumer(group: group) { _ in } onRebalance: { event in
                events.withLock { $0.append("a \(event)") }
            }
            let b = try TestKafka.consumer(group: group)
            try a.subscribe(topics: [topic])
            try b.subscribe(topics: [topic])
            #expect(await a.waitForAssignment { $0.count == 2 })
            #expect(await b.waitForAssignment { $0.count == 2 })
            #expect(a.assignment.isDisjoint(with: b.assignment))

            // Each reads what it owns (until quiet) and stores its progress; then `a` leaves.
            async let fromA = a.collect(2_000, timeout: .seconds(8), store: true)
            async let fromB = b.collect(2_000, timeout: .seconds(8), store: true)
            let (readA, readB) = await (fromA, fromB)
            await a.close()
            #expect(events.withLock { $0.contains { $0.hasPrefix("a revoked") } })
            #expect(await b.waitForAssignment { $0.count == 4 })

            try await TestKafka.produce(producer, topic: topic, range: 2_000..<3_000)
            await producer.close()
            let remaining = Set(0..<3_000).subtracting((readA + readB).map(\.number))
            let takenOver = await b.collect(remaining.count, timeout: .seconds(30), store: true)
            await b.close()
            #expect(readA.count + readB.count == 2_000)
            #expect(Set(takenOver.map(\.number)).isSuperset(of: remaining))
            #expect(Set((readA + readB + takenOver).map(\.number)) == Set(0..<3_000))
        }
    }

    @Test func pauseLetsLagGrowAndResumeDrainsIt() async throws {
        try await TestKafka.withTopic { topic in
            let tp = TopicPartition(topic: topic, partition: 0)
            let producer = try TestKafka.singleRecordBatchProducer()
            let group = TestKafka.unique("g")
            let admin = try TestKafka.admin()
            let consumer = try TestKafka.consumer(group: group)
            try consumer.subscribe(topics: [topic])
            try await TestKafka.produce(producer, topic: topic, range: 0..<100)
            let before = await consumer.collect(100, store: true)
            #expect(before.count == 100)
            try await consumer.commit()

            try consumer.pause([tp])
            try await TestKafka.produce(producer, topic: topic, range: 100..<300)
            let whilePaused = await consumer.collect(1, timeout: .seconds(2))
            #expect(whilePaused.isEmpty)
            let lag = try await admin.lag(group: group, topics: [topic])
            #expect(lag.map(\.lag) == [200])

            try consumer.resume([tp])
            let after = await consumer.collect(200, store: true)
            try await consumer.commit()
            #expect(after.map(\.number) == Array(100..<300))
            let drained = try await admin.lag(group: group, topics: [topic])
            #expect(drained.map(\.lag) == [0])
            await consumer.close()
            await producer.close()
        }
    }

    @Test func aSlowReaderIsFlowPausedWithBoundedBufferAndStaysInTheGroup() async throws {
        try await TestKafka.withTopic { topic in
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, topic: topic, range: 0..<5_000)
            await producer.close()
            let consumer = try TestKafka.consumer(group: TestKafka.unique("g")) {
                $0.bufferCapacity = 100
                $0.maxPollIntervalMilliseconds = 6_000
                $0.sessionTimeoutMilliseconds = 6_000
            }
            try consumer.subscribe(topics: [topic])
            let first = await consumer.collect(10)
            // Longer than max.poll.interval.ms without reading: the poll thread keeps the membership.
            try await Task.sleep(for: .seconds(8))
            #expect(consumer.assignment.count == 1)
            #expect(consumer.bufferedCount <= 100 + 2 * 1_024)
            let rest = await consumer.collect(4_990, timeout: .seconds(60))
            await consumer.close()
            let numbers = (first + rest).map(\.number)
            #expect(numbers.count == 5_000)
            #expect(numbers == numbers.sorted(), "one partition: order kept")
        }
    }
}
