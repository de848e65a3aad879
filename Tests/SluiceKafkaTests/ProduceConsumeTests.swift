import SluiceKafka
import Synchronization
import SluiceTestSupport
import Testing

@Suite("Produce and consume against the broker", .serialized, .timeLimit(.minutes(3)))
struct ProduceConsumeTests {
    @Test func tenThousandMessagesArriveOnceEachInPartitionOrder() async throws {
        try await TestKafka.withTopic(partitions: 4) { topic in
            let producer = try TestKafka.producer()
            let reports = try await TestKafka.produce(producer, topic: topic, range: 0..<10_000, keys: 64)
            #expect(Set(reports.map(\.partition)).count == 4)
            await producer.close()

            let consumer = try TestKafka.consumer(group: TestKafka.unique("g"))
            try consumer.subscribe(topics: [topic])
            let messages = await consumer.collect(10_000, timeout: .seconds(60))
            await consumer.close()

            #expect(messages.count == 10_000)
            #expect(Set(messages.map(\.number)) == Set(0..<10_000))
            // Per partition, offsets and the producer's order (numbers of one key grow) are kept.
            for partition in Set(messages.map(\.partition)) {
                let inPartition = messages.filter { $0.partition == partition }
                #expect(inPartition.map(\.offset) == inPartition.map(\.offset).sorted())
                for key in Set(inPartition.compactMap(\.key)) {
                    let numbers = inPartition.filter { $0.key == key }.map(\.number)
                    #expect(numbers == numbers.sorted(), "key \(String(decoding: key, as: UTF8.self)) out of order")
                }
            }
        }
    }

    @Test func deliveryReportsNameTheStoredOffsetAndHeadersRoundTrip() async throws {
        try await TestKafka.withTopic { topic in
            let producer = try TestKafka.producer()
            let record = KafkaRecord(
                topic: topic, key: Array("k".utf8), value: Array("v".utf8),
                headers: [KafkaHeader(name: "a", string: "1"), KafkaHeader(name: "empty", value: nil)],
                timestampMilliseconds: 1_700_000_000_000)
            let first = try await producer.send(record)
            let second = try await producer.send(record)
            #expect(first.topic == topic && first.partition == 0)
            #expect(second.offset == first.offset + 1)
            await producer.close()

            let consumer = try TestKafka.consumer(group: TestKafka.unique("g"))
            try consumer.subscribe(topics: [topic])
            let messages = await consumer.collect(2)
            await consumer.close()
            let message = try #require(messages.first)
            #expect(message.offset == first.offset)
            #expect(message.key == Array("k".utf8))
            #expect(message.header("a")?.stringValue == "1")
            #expect(message.header("empty") != nil && message.header("empty")?.value == nil)
            #expect(message.timestampMilliseconds == 1_700_000_000_000)
        }
    }

    @Test func headerNamesReadBackExactlyWhateverTheirOrderAndLengths() async throws {
        // The poll thread keeps the names it has seen and guesses the next from the last: records whose names
        // change order, share a length or a prefix, or repeat must still read back as they were sent.
        let headerLists: [[(String, String?)]] = [
            [("ab", "1"), ("ba", "2"), ("x", "3")],
            [("ba", "4"), ("ab", "5")],
            [("x", nil), ("xy", "6"), ("", "7"), ("ab", "8")],
            [("ab", "9"), ("ab", "10"), ("größe", "11")],
            [],
            [("xy", "12"), ("x", "13"), ("ba", "14"), ("ab", "15")],
            [(String(repeating: "n", count: 200), String(repeating: "v", count: 300))],  // two-byte lengths
        ]
        try await TestKafka.withTopic { topic in
            let producer = try TestKafka.producer()
            for (index, headers) in headerLists.enumerated() {
                _ = try await producer.send(
                    KafkaRecord(
                        topic: topic, key: nil, value: Array("\(index)".utf8),
                        headers: headers.map { KafkaHeader(name: $0.0, value: $0.1.map { Array($0.utf8) }) }))
            }
            await producer.close()

            let consumer = try TestKafka.consumer(group: TestKafka.unique("g"))
            try consumer.subscribe(topics: [topic])
            let messages = await consumer.collect(headerLists.count)
            await consumer.close()
            #expect(messages.count == headerLists.count)
            for message in messages {
                let index = try #require(Int(String(decoding: message.value, as: UTF8.self)))
                let read = message.headers.map { ($0.name, $0.value.map { String(decoding: $0, as: UTF8.self) }) }
                #expect(read.map(\.0) == headerLists[index].map(\.0), "record \(index)")
                #expect(read.map(\.1) == headerLists[index].map(\.1), "record \(index)")
            }
        }
    }

    @Test func produceIfRoomQueuesUntilTheLocalQueueIsFullAndReportsItsTag() async throws {
        try await TestKafka.withTopic { topic in
            let tags = Mutex<[Int]>([])
            var configuration = KafkaProducerConfiguration(client: KafkaClientOptions(brokers: try TestKafka.brokers()))
            configuration.maxQueuedMessages = 1
            configuration.lingerMilliseconds = 1_000  // the first record stays queued while the second is offered
            let producer = try KafkaProducer(configuration: configuration, logger: TestKafka.logger) { reports in
                tags.withLock { $0 += reports.acknowledged }
            }
            let record = KafkaRecord(topic: topic, key: Array("k".utf8), value: Array("{}".utf8))
            #expect(try producer.produceIfRoom(record, tag: 7) == true)
            #expect(try producer.produceIfRoom(record, tag: 8) == false, "librdkafka's queue holds one record")
            try await producer.flush()
            await producer.close()
            #expect(tags.withLock { $0 } == [7])
        }
    }

    @Test func commitCloseAndReopenResumesAtTheCommittedOffset() async throws {
        try await TestKafka.withTopic { topic in
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, topic: topic, range: 0..<100)
            await producer.close()
            let group = TestKafka.unique("g")

            let first = try TestKafka.consumer(group: group) { $0.autoCommitIntervalMilliseconds = 0 }
            try first.subscribe(topics: [topic])
            let read = await first.collect(100)
            #expect(read.count == 100)
            let fiftieth = read[49]
            try await first.commit([fiftieth.topicPartition: fiftieth.offset + 1])
            await first.close()

            let second = try TestKafka.consumer(group: group)
            try second.subscribe(topics: [topic])
            let rest = await second.collect(50)
            await second.close()
            #expect(rest.first?.offset == fiftieth.offset + 1)
            #expect(rest.map(\.number) == Array(50..<100))
        }
    }

    @Test func storedOffsetsAreCommittedOnCloseAndNothingElse() async throws {
        try await TestKafka.withTopic { topic in
            let producer = try TestKafka.producer()
            try await TestKafka.produce(producer, topic: topic, range: 0..<20)
            await producer.close()
            let group = TestKafka.unique("g")
            let consumer = try TestKafka.consumer(group: group)
            try consumer.subscribe(topics: [topic])
            let read = await consumer.collect(20)
            try consumer.store([read[9].topicPartition: read[9].offset + 1])
            await consumer.close()

            let committed = try await TestKafka.admin().committedOffsets(group: group)
            #expect(committed[TopicPartition(topic: topic, partition: 0)] == read[9].offset + 1)
        }
    }

    @Test func replayFromATimestampStartsAtTheFirstLaterMessage() async throws {
        try await TestKafka.withTopic(partitions: 2) { topic in
            let producer = try TestKafka.producer()
            let early: Int64 = 1_700_000_000_000
            let late: Int64 = early + 60_000
            try await TestKafka.produce(producer, topic: topic, range: 0..<30, timestamp: early)
            try await TestKafka.produce(producer, topic: topic, range: 30..<60, timestamp: late)
            try await TestKafka.produce(producer, topic: topic, range: 60..<70, timestamp: early)
            await producer.close()

            let partitions: Set = [TopicPartition(topic: topic, partition: 0), TopicPartition(topic: topic, partition: 1)]
            let consumer = try TestKafka.consumer(group: TestKafka.unique("g"))
            try await consumer.replay(fromTimestamp: late - 1, partitions: partitions)
            let replayed = await consumer.collect(40)
            await consumer.close()
            // From the first late message of each partition on, everything after it, in order.
            #expect(Set(replayed.map(\.number)) == Set(30..<70))
            for partition in partitions {
                let numbers = replayed.filter { $0.partition == partition.partition }.map(\.number)
                #expect(numbers == numbers.sorted())
            }
        }
    }
}
