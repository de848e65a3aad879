import SluiceKafka
import SluiceTestSupport
import Testing

@Suite("Admin", .serialized, .timeLimit(.minutes(2)))
struct AdminTests {
    @Test func createListDescribeAndDeleteTopics() async throws {
        let admin = try TestKafka.admin()
        let name = TestKafka.unique("admin")
        try await admin.createTopics([
            NewTopic(name: name, partitions: 3), NewTopic(name: "\(name)-log", partitions: 1, configs: ["cleanup.policy": "compact"]),
        ])
        let listed = try await admin.listTopics()
        #expect(listed.contains(TopicDescription(name: name, partitions: 3)))
        #expect(try await admin.describeTopics([name, "absent-\(name)"]).keys.sorted() == [name])

        await #expect(throws: KafkaError.self) { try await admin.createTopics([NewTopic(name: name, partitions: 3)]) }
        try await admin.createTopics([NewTopic(name: name, partitions: 3)], ignoreExisting: true)

        try await admin.deleteTopics([name, "\(name)-log"])
        #expect(try await admin.listTopics().allSatisfy { !$0.name.hasPrefix(name) })
    }

    @Test func topicConfigsAndPartitionGrowth() async throws {
        let admin = try TestKafka.admin()
        try await TestKafka.withTopic(partitions: 2, configs: ["cleanup.policy": "compact"]) { topic in
            await TestKafka.onTansuKnownIssue("Tansu 0.6.0 does not describe topic configs") {
                let configs = try await admin.topicConfigs(topic)
                #expect(configs["cleanup.policy"] == "compact")
            }
            await TestKafka.onTansuKnownIssue("Tansu 0.6.0 does not implement CreatePartitions") {
                try await admin.createPartitions(topic: topic, totalPartitions: 5)
                let described = try await admin.describeTopics([topic])
                #expect(described[topic]?.partitions == 5)
            }
        }
    }

    @Test func groupLagAndOffsetResetForReplay() async throws {
        try await TestKafka.withTopic(partitions: 2) { topic in
            let admin = try TestKafka.admin()
            let producer = try TestKafka.singleRecordBatchProducer()
            let reports = try await TestKafka.produce(producer, topic: topic, range: 0..<40)
            await producer.close()
            let group = TestKafka.unique("g")
            let consumer = try TestKafka.consumer(group: group)
            try consumer.subscribe(topics: [topic])
            let read = await consumer.collect(40, store: true)
            try await consumer.commit()
            await consumer.close()
            #expect(read.count == 40)
            #expect(try await admin.lag(group: group, topics: [topic]).map(\.lag) == [0, 0])

            // Replay = reset the group's offsets to the beginning.
            let beginning = Dictionary(uniqueKeysWithValues: Set(reports.map(\.partition)).map { (TopicPartition(topic: topic, partition: $0), Int64(0)) })
            try await admin.alterCommittedOffsets(group: group, offsets: beginning)
            let lag = try await admin.lag(group: group, topics: [topic])
            #expect(lag.map(\.lag).reduce(0, +) == 40)
            try await admin.deleteGroups([group])
        }
    }
}
