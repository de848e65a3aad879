import SluiceRuntime
import Testing

@Suite struct FlowControlTests {
    @Test func pausesOnceWhenReachingHighWater() {
        var flow = FlowControl(highWater: 4, lowWater: 2)
        #expect(flow.acquire() == .none)
        #expect(flow.acquire() == .none)
        #expect(flow.acquire() == .none)
        #expect(flow.acquire() == .pause)
        #expect(flow.isPaused)
        #expect(flow.acquire() == .none, "already fetched messages keep arriving after a pause")
        #expect(flow.inFlight == 5)
    }

    @Test func resumesOnlyAtLowWater() {
        var flow = FlowControl(highWater: 4, lowWater: 2)
        #expect(flow.acquire(4) == .pause)
        #expect(flow.release() == .none)
        #expect(flow.release() == .resume)
        #expect(!flow.isPaused)
        #expect(flow.release() == .none)
    }

    @Test func doesNotFlapBetweenTheMarks() {
        var flow = FlowControl(maxInFlight: 10)
        #expect(flow.acquire(10) == .pause)
        var actions: [FlowControl.Action] = []
        for _ in 0..<20 {
            actions.append(flow.release())
            actions.append(flow.acquire())
        }
        #expect(actions.allSatisfy { $0 == .none }, "oscillating near high water never resumes")

        #expect(flow.release(4) == .none)
        #expect(flow.release() == .resume, "10 - 5 = 5 is low water")
        for _ in 0..<20 {
            actions.append(flow.acquire())
            actions.append(flow.release())
        }
        #expect(actions.allSatisfy { $0 == .none }, "oscillating near low water never pauses again")
        #expect(flow.acquire(5) == .pause)
    }

    @Test func acquireCanJumpPastHighWater() {
        var flow = FlowControl(highWater: 4, lowWater: 1)
        #expect(flow.acquire(9) == .pause)
        #expect(flow.release(8) == .resume)
        #expect(flow.inFlight == 1)
    }

    @Test(arguments: [(1, 0.5, 0), (2, 0.5, 1), (100, 0.5, 50), (100, 0.0, 0), (7, 0.99, 6), (1_000, 0.75, 750)])
    func lowWaterComesFromTheFraction(maxInFlight: Int, fraction: Double, expectedLow: Int) {
        let flow = FlowControl(maxInFlight: maxInFlight, lowWaterFraction: fraction)
        #expect(flow.highWater == maxInFlight)
        #expect(flow.lowWater == expectedLow)
    }

    @Test func maxInFlightOfOnePausesOnEveryMessage() {
        var flow = FlowControl(maxInFlight: 1)
        #expect(flow.acquire() == .pause)
        #expect(flow.release() == .resume)
        #expect(flow.acquire() == .pause)
    }

    @Test func itemsQueuedBySequencerCountAsInFlight() {
        var flow = FlowControl(highWater: 3, lowWater: 1)
        var sequencer = KeyedSequencer<Int>()
        let key: [UInt8] = [1]
        var actions: [FlowControl.Action] = []
        for item in 0..<3 {
            actions.append(flow.acquire())
            _ = sequencer.submit(key: key, item: item)
        }
        #expect(sequencer.queuedCount == 2)
        #expect(actions == [.none, .none, .pause], "one running and two queued reach high water")
        #expect(flow.release() == .none)
        #expect(sequencer.complete(key: key) == 1)
        #expect(flow.release() == .resume)
    }
}
