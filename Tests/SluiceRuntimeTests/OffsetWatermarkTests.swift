import SluiceKafka
import SluiceRuntime
import Testing

private let p0 = TopicPartition(topic: "in", partition: 0)
private let p1 = TopicPartition(topic: "in", partition: 1)
private let other = TopicPartition(topic: "other", partition: 0)

@Suite struct OffsetWatermarkTests {
    @Test func nothingIsCommittableBeforeAnOffsetFinishes() {
        var watermark = OffsetWatermark()
        watermark.track(partition: p0, offset: 0)
        #expect(watermark.committable().isEmpty)
        #expect(watermark.position(of: p0) == nil)
        #expect(watermark.inFlight(p0) == 1)
    }

    @Test func inOrderFinishesCommitLastPlusOne() {
        var watermark = OffsetWatermark()
        for offset in Int64(0)..<5 { watermark.track(partition: p0, offset: offset) }
        for offset in Int64(0)..<3 { #expect(watermark.finish(partition: p0, offset: offset) == true) }
        #expect(watermark.committable() == [p0: 3])
        #expect(watermark.inFlight(p0) == 2)
        #expect(watermark.totalInFlight == 2)
    }

    @Test func outOfOrderFinishWaitsForTheOldestUnfinished() {
        var watermark = OffsetWatermark()
        for offset in Int64(10)..<14 { watermark.track(partition: p0, offset: offset) }
        watermark.finish(partition: p0, offset: 12)
        watermark.finish(partition: p0, offset: 13)
        watermark.finish(partition: p0, offset: 11)
        #expect(watermark.committable().isEmpty)
        watermark.finish(partition: p0, offset: 10)
        #expect(watermark.committable() == [p0: 14])
        #expect(watermark.inFlight(p0) == 0)
    }

    @Test func gapsInOffsetsAreNotWaitedFor() {
        var watermark = OffsetWatermark()
        for offset: Int64 in [10, 11, 12, 15, 16] { watermark.track(partition: p0, offset: offset) }
        for offset: Int64 in [10, 11, 15] { watermark.finish(partition: p0, offset: offset) }
        #expect(watermark.committable() == [p0: 12])
        watermark.finish(partition: p0, offset: 12)
        #expect(watermark.committable() == [p0: 16])
        watermark.finish(partition: p0, offset: 16)
        #expect(watermark.committable() == [p0: 17])
    }

    @Test func finishingAfterAGapBeforeTheFrontHoldsThePosition() {
        var watermark = OffsetWatermark()
        watermark.track(partition: p0, offset: 5)
        watermark.track(partition: p0, offset: 8)
        watermark.finish(partition: p0, offset: 8)
        #expect(watermark.committable().isEmpty)
        watermark.finish(partition: p0, offset: 5)
        #expect(watermark.committable() == [p0: 9])
    }

    @Test func committableReturnsOnlyPartitionsThatAdvanced() {
        var watermark = OffsetWatermark()
        for partition in [p0, p1, other] {
            watermark.track(partition: partition, offset: 0)
            watermark.track(partition: partition, offset: 1)
        }
        watermark.finish(partition: p0, offset: 0)
        watermark.finish(partition: other, offset: 0)
        #expect(watermark.committable() == [p0: 1, other: 1])
        #expect(watermark.committable().isEmpty)
        watermark.finish(partition: p1, offset: 1)
        #expect(watermark.committable().isEmpty, "p1's offset 0 is still running")
        watermark.finish(partition: p1, offset: 0)
        watermark.finish(partition: p0, offset: 1)
        #expect(watermark.committable() == [p0: 2, p1: 2])
    }

    @Test func markCommittedSuppressesUntilThePositionMovesPast() {
        var watermark = OffsetWatermark()
        for offset in Int64(0)..<4 { watermark.track(partition: p0, offset: offset) }
        watermark.finish(partition: p0, offset: 0)
        watermark.finish(partition: p0, offset: 1)
        watermark.markCommitted([p0: 2, p1: 7])
        #expect(watermark.committable().isEmpty)
        #expect(watermark.position(of: p0) == 2)
        watermark.finish(partition: p0, offset: 2)
        #expect(watermark.committable() == [p0: 3])
    }

    @Test func finishOfAnUnknownOrFinishedOffsetChangesNothing() {
        var watermark = OffsetWatermark()
        watermark.track(partition: p0, offset: 3)
        watermark.track(partition: p0, offset: 5)
        #expect(watermark.finish(partition: p0, offset: 4) == false, "4 is a gap, never tracked")
        #expect(watermark.finish(partition: p0, offset: 2) == false)
        #expect(watermark.finish(partition: p0, offset: 6) == false)
        #expect(watermark.finish(partition: p1, offset: 3) == false)
        #expect(watermark.finish(partition: p0, offset: 5) == true)
        #expect(watermark.finish(partition: p0, offset: 5) == false, "already finished")
        #expect(watermark.finish(partition: p0, offset: 3) == true)
        #expect(watermark.finish(partition: p0, offset: 3) == false, "already finished and popped")
        #expect(watermark.totalInFlight == 0)
        #expect(watermark.committable() == [p0: 6])
    }

    @Test func trackRejectsOffsetsThatDoNotIncrease() {
        var watermark = OffsetWatermark()
        #expect(watermark.track(partition: p0, offset: 7) == true)
        #expect(watermark.track(partition: p0, offset: 7) == false)
        #expect(watermark.track(partition: p0, offset: 3) == false)
        #expect(watermark.track(partition: p1, offset: -1) == false)
        #expect(watermark.track(partition: p1, offset: 3) == true, "partitions are independent")
        #expect(watermark.totalInFlight == 2)
    }

    @Test func revokeDropsStateAndReturnsUnreportedPositions() {
        var watermark = OffsetWatermark()
        for partition in [p0, p1] {
            for offset in Int64(0)..<3 { watermark.track(partition: partition, offset: offset) }
            watermark.finish(partition: partition, offset: 0)
        }
        #expect(watermark.committable() == [p0: 1, p1: 1])
        watermark.finish(partition: p0, offset: 1)
        #expect(watermark.totalInFlight == 3)

        let final = watermark.revoke([p0, p1, other])
        #expect(final == [p0: 2], "p1's position 1 was reported already")
        #expect(watermark.totalInFlight == 0)
        #expect(watermark.inFlight(p0) == 0)
        #expect(watermark.position(of: p0) == nil)
        #expect(watermark.finish(partition: p0, offset: 2) == false, "late completion after revoke")
        #expect(watermark.committable().isEmpty)

        // Assigned again, the partition restarts from the committed position.
        #expect(watermark.track(partition: p0, offset: 2) == true)
        watermark.finish(partition: p0, offset: 2)
        #expect(watermark.committable() == [p0: 3])
    }

    @Test func slotCallsTrackTheSameOffsetsAsPartitionCalls() {
        var watermark = OffsetWatermark()
        #expect(watermark.existingSlot(of: p0) == nil)
        let slot = watermark.slot(for: p0)
        #expect(watermark.existingSlot(of: p0) == slot)
        #expect(watermark.slot(for: p0) == slot, "one slot per tracked partition")
        #expect(watermark.track(slot, offset: 4) == true)
        #expect(watermark.track(partition: p0, offset: 5) == true)
        #expect(watermark.track(slot, offset: 5) == false, "the same log rejects the same offset")
        #expect(watermark.finish(partition: p0, offset: 4) == true)
        #expect(watermark.finish(slot, offset: 5) == true)
        #expect(watermark.committable() == [p0: 6])
        #expect(watermark.totalInFlight == 0)
    }

    @Test func aRevokedPartitionsSlotChangesNothingEvenWhenItsPlaceIsReused() {
        var watermark = OffsetWatermark()
        let old = watermark.slot(for: p0)
        watermark.track(old, offset: 0)
        watermark.revoke([p0])
        let reused = watermark.slot(for: p1)
        #expect(reused != old)
        #expect(watermark.track(reused, offset: 5) == true)
        #expect(watermark.track(old, offset: 6) == false)
        #expect(watermark.finish(old, offset: 5) == false, "p1's offset 5 is not finished through p0's old slot")
        #expect(watermark.inFlight(p1) == 1)
        #expect(watermark.finish(reused, offset: 5) == true)
        #expect(watermark.committable() == [p1: 6])

        // Assigned again, p0 gets a new slot; the old one stays stale.
        let again = watermark.slot(for: p0)
        #expect(again != old)
        #expect(watermark.track(again, offset: 1) == true)
        #expect(watermark.finish(old, offset: 1) == false)
        #expect(watermark.inFlight(p0) == 1)
    }

    @Test func longRunsWithGapsFinishedInReverse() {
        var watermark = OffsetWatermark()
        // Every third offset is missing: exercises the binary search and the buffer compaction.
        let offsets = (Int64(0)..<30_000).filter { $0 % 3 != 2 }
        for offset in offsets { watermark.track(partition: p0, offset: offset) }
        for offset in offsets.dropFirst().reversed() {
            #expect(watermark.finish(partition: p0, offset: offset) == true)
        }
        #expect(watermark.committable().isEmpty)
        #expect(watermark.inFlight(p0) == 1)
        watermark.finish(partition: p0, offset: 0)
        #expect(watermark.committable() == [p0: offsets.last! + 1])

        // After a full drain the buffer is reused from the front.
        for offset in Int64(40_000)..<42_000 { watermark.track(partition: p0, offset: offset) }
        for offset in Int64(40_000)..<41_500 { watermark.finish(partition: p0, offset: offset) }
        #expect(watermark.committable() == [p0: 41_500])
        #expect(watermark.inFlight(p0) == 500)
    }
}
