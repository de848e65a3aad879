import SluiceKafka
import SluiceRuntime
import Testing

/// The obvious, slow definition of a watermark: remember every tracked offset since the last revoke; the
/// position is one past the largest tracked offset whose tracked predecessors are all finished.
private struct NaiveWatermark {
    var tracked: [TopicPartition: [Int64]] = [:]
    var finished: [TopicPartition: Set<Int64>] = [:]
    var reported: [TopicPartition: Int64] = [:]

    func position(of partition: TopicPartition) -> Int64? {
        var position: Int64?
        for offset in tracked[partition, default: []] {
            guard finished[partition, default: []].contains(offset) else { break }
            position = offset + 1
        }
        return position
    }

    func inFlight(_ partition: TopicPartition) -> Int {
        tracked[partition, default: []].count - finished[partition, default: []].count
    }

    mutating func committable() -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        for partition in tracked.keys {
            if let position = position(of: partition), position > reported[partition, default: -1] {
                result[partition] = position
                reported[partition] = position
            }
        }
        return result
    }

    mutating func revoke(_ partition: TopicPartition) {
        tracked[partition] = nil
        finished[partition] = nil
        reported[partition] = nil
    }
}

@Suite struct OffsetWatermarkPropertyTests {
    @Test(arguments: [1, 42, 2024, 65_537] as [UInt64])
    func agreesWithANaiveModelUnderRandomOperations(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let partitions = (0..<3).map { TopicPartition(topic: "t", partition: Int32($0)) }
        var watermark = OffsetWatermark()
        var model = NaiveWatermark()
        var nextOffset: [TopicPartition: Int64] = [:]
        var running: [(TopicPartition, Int64)] = []

        for step in 0..<3_000 {
            let partition = partitions.randomElement(using: &random)!
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<45:
                // A new message, sometimes after a gap of skipped offsets.
                let gap = Int.random(in: 0..<10, using: &random) == 0 ? Int64.random(in: 1...5, using: &random) : 0
                let offset = nextOffset[partition, default: 0] + gap
                nextOffset[partition] = offset + 1
                #expect(watermark.track(partition: partition, offset: offset) == true)
                model.tracked[partition, default: []].append(offset)
                running.append((partition, offset))
            case 45..<90 where !running.isEmpty:
                // A random running message finishes: completions come in any order.
                let (partition, offset) = running.remove(at: Int.random(in: 0..<running.count, using: &random))
                #expect(watermark.finish(partition: partition, offset: offset) == true)
                model.finished[partition, default: []].insert(offset)
            case 90..<98:
                #expect(watermark.committable() == model.committable(), "step \(step)")
            case 98..<100:
                // Revoked and at once assigned again: redelivery resumes from the model's position.
                watermark.revoke([partition])
                let resume = model.position(of: partition)
                model.revoke(partition)
                running.removeAll { $0.0 == partition }
                if let resume { nextOffset[partition] = resume }
                #expect(watermark.finish(partition: partition, offset: nextOffset[partition, default: 0] - 1) == false)
            default:
                break
            }
            for partition in partitions {
                #expect(watermark.position(of: partition) == model.position(of: partition), "step \(step)")
                #expect(watermark.inFlight(partition) == model.inFlight(partition), "step \(step)")
            }
            #expect(watermark.totalInFlight == running.count)
        }

        // Drain everything: each partition ends one past its last tracked offset.
        for (partition, offset) in running {
            watermark.finish(partition: partition, offset: offset)
            model.finished[partition, default: []].insert(offset)
        }
        #expect(watermark.committable() == model.committable())
        #expect(watermark.totalInFlight == 0)
        for partition in partitions where model.tracked[partition]?.isEmpty == false {
            #expect(watermark.position(of: partition) == model.tracked[partition]!.last! + 1)
        }
    }
}
