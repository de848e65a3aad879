import SluiceKafka
import SluiceRuntime
import Testing

@Suite("Topic scan and dead-letter records (no broker)")
struct TopicScanTests {
    let p0 = TopicPartition(topic: "dlq", partition: 0)
    let p1 = TopicPartition(topic: "dlq", partition: 1)

    func message(_ partition: TopicPartition, _ offset: Int64, headers: [KafkaHeader] = []) -> KafkaMessage {
        KafkaMessage(
            topic: partition.topic, partition: partition.partition, offset: offset, key: Array("k".utf8),
            value: Array("v\(offset)".utf8), headers: headers, timestampMilliseconds: nil)
    }

    @Test func partitionsAlreadyAtTheirEndAreNotReadAndAnEmptyScanIsDoneAtOnce() {
        let scan = TopicScan(start: [p0: 5, p1: 0], ends: [p0: 5, p1: 0])
        #expect(scan.positions.isEmpty)
        #expect(scan.isDone())
    }

    @Test func theScanWaitsAQuietPeriodAfterReachingEveryEndForTheRestOfTansusLastBatch() {
        let start = ContinuousClock.now
        var scan = TopicScan(
            start: [p0: 0, p1: 2], ends: [p0: 2, p1: 3], quietPeriod: .milliseconds(300), now: start)
        #expect(scan.positions == [p0: 0, p1: 2])
        let took1 = scan.take(message(p0, 0), now: start)
        #expect(took1)
        let took2 = scan.take(message(p1, 1), now: start)
        #expect(took2, "before the start: ignored")
        let took3 = scan.take(message(p1, 2), now: start)
        #expect(took3)
        #expect(!scan.reachedEnds)
        let took4 = scan.take(message(p0, 1), now: start)
        #expect(took4)
        #expect(scan.reachedEnds && !scan.isDone(now: start))
        // Tansu's high watermark is the last batch's base offset + 1: offset 2 of p0 is still taken.
        let took5 = scan.take(message(p0, 2), now: start + .milliseconds(100))
        #expect(took5)
        #expect(scan.isDone(now: start + .milliseconds(300)))
        #expect(scan.messages.map(\.offset) == [0, 2, 1, 2])
        #expect(scan.positions == [p0: 3, p1: 3])
    }

    @Test func theLimitStopsTheScanAndPositionsStopAtTheLastRecordTaken() {
        var scan = TopicScan(start: [p0: 0], ends: [p0: 10], limit: 2)
        let took6 = scan.take(message(p0, 0))
        #expect(took6)
        let took7 = scan.take(message(p0, 1))
        #expect(!took7)
        let took8 = scan.take(message(p0, 2))
        #expect(!took8)
        #expect(scan.isDone() && scan.isLimitReached)
        #expect(scan.positions == [p0: 2])
    }

    @Test func aReplayRecordGoesBackToItsSourcePartitionWithoutTheDeadLetterHeaders() throws {
        let headers = [
            KafkaHeader(name: "sluice-correlation-id", string: "c7"),
            KafkaHeader(name: DeadLetterHeader.error, string: "boom"),
            KafkaHeader(name: DeadLetterHeader.attempts, string: "3"),
            KafkaHeader(name: DeadLetterHeader.node, string: "n"),
            KafkaHeader(name: DeadLetterHeader.instance, string: "n@1"),
            KafkaHeader(name: DeadLetterHeader.sourceTopic, string: "sluice.g.in.events"),
            KafkaHeader(name: DeadLetterHeader.sourcePartition, string: "4"),
            KafkaHeader(name: DeadLetterHeader.sourceOffset, string: "99"),
        ]
        let letter = DeadLetter(message(p0, 3, headers: headers))
        #expect(letter.error == "boom" && letter.attempts == 3)
        #expect(letter.sourceTopic == "sluice.g.in.events" && letter.sourcePartition == 4 && letter.sourceOffset == 99)
        #expect(letter.correlationID == "c7")
        let record = try #require(letter.replayRecord)
        #expect(record.topic == "sluice.g.in.events" && record.partition == 4)
        #expect(record.key == Array("k".utf8) && record.value == Array("v3".utf8))
        #expect(record.headers == [KafkaHeader(name: "sluice-correlation-id", string: "c7")])
        #expect(DeadLetter(message(p0, 4)).replayRecord == nil, "no source topic, nothing to replay to")
    }

    @Test func thePreviewIsOneShortLine() {
        var long = message(p0, 0)
        long.value = Array("{\"text\":\"line one\nline two\",\"pad\":\"\(String(repeating: "x", count: 100))\"}".utf8)
        let preview = DeadLetter(long).preview(length: 30)
        #expect(preview == "{\"text\":\"line one\\nline two\",…")
        #expect(preview.count == 30)
        #expect(DeadLetter(message(p0, 1)).preview() == "v1")
    }
}
