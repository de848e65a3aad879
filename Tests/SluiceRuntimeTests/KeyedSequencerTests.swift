import SluiceRuntime
import Testing

private let keyA: [UInt8] = Array("a".utf8)
private let keyB: [UInt8] = Array("b".utf8)

@Suite struct KeyedSequencerTests {
    @Test func sameKeyRunsOneAtATimeInArrivalOrder() {
        var sequencer = KeyedSequencer<Int>()
        #expect(sequencer.submit(key: keyA, item: 1) == 1)
        #expect(sequencer.submit(key: keyA, item: 2) == nil)
        #expect(sequencer.submit(key: keyA, item: 3) == nil)
        #expect(sequencer.queuedCount == 2)
        #expect(sequencer.complete(key: keyA) == 2)
        #expect(sequencer.complete(key: keyA) == 3)
        #expect(sequencer.complete(key: keyA) == nil)
        #expect(sequencer.queuedCount == 0)
    }

    @Test func differentKeysRunInParallel() {
        var sequencer = KeyedSequencer<String>()
        #expect(sequencer.submit(key: keyA, item: "a1") == "a1")
        #expect(sequencer.submit(key: keyB, item: "b1") == "b1")
        #expect(sequencer.submit(key: keyA, item: "a2") == nil)
        #expect(sequencer.activeKeyCount == 2)
        #expect(sequencer.complete(key: keyB) == nil, "b has nothing queued; a2 stays behind a1")
        #expect(sequencer.submit(key: keyB, item: "b2") == "b2")
        #expect(sequencer.complete(key: keyA) == "a2")
    }

    @Test func nilKeyHasNoOrderingConstraint() {
        var sequencer = KeyedSequencer<Int>()
        #expect(sequencer.submit(key: nil, item: 1) == 1)
        #expect(sequencer.submit(key: nil, item: 2) == 2)
        #expect(sequencer.activeKeyCount == 0)
        #expect(sequencer.complete(key: nil) == nil)
    }

    @Test func emptyKeyIsAKeyLikeAnyOther() {
        var sequencer = KeyedSequencer<Int>()
        #expect(sequencer.submit(key: [], item: 1) == 1)
        #expect(sequencer.submit(key: [], item: 2) == nil)
    }

    @Test func keyIsForgottenWhenItsLastItemCompletes() {
        var sequencer = KeyedSequencer<Int>()
        _ = sequencer.submit(key: keyA, item: 1)
        _ = sequencer.submit(key: keyA, item: 2)
        #expect(sequencer.isRunning(key: keyA))
        _ = sequencer.complete(key: keyA)
        #expect(sequencer.isRunning(key: keyA))
        _ = sequencer.complete(key: keyA)
        #expect(!sequencer.isRunning(key: keyA))
        #expect(sequencer.activeKeyCount == 0)
        #expect(sequencer.submit(key: keyA, item: 3) == 3, "a forgotten key starts at once")
    }

    @Test func completeOfAKeyThatIsNotRunningReturnsNil() {
        var sequencer = KeyedSequencer<Int>()
        #expect(sequencer.complete(key: keyA) == nil)
        #expect(sequencer.activeKeyCount == 0)
    }

    @Test func removeQueuedDropsMatchingItemsAndKeepsTheRestInOrder() {
        var sequencer = KeyedSequencer<Int>()
        for item in 1...6 { _ = sequencer.submit(key: keyA, item: item) }
        _ = sequencer.submit(key: keyB, item: 10)
        _ = sequencer.submit(key: keyB, item: 12)
        let removed = sequencer.removeQueued { $0.isMultiple(of: 2) }
        #expect(removed.sorted() == [2, 4, 6, 12])
        #expect(sequencer.queuedCount == 2)
        #expect(sequencer.complete(key: keyA) == 3)
        #expect(sequencer.complete(key: keyA) == 5)
        #expect(sequencer.complete(key: keyA) == nil)
        #expect(sequencer.complete(key: keyB) == nil, "the running item 1 and 10 are never removed")
        #expect(sequencer.activeKeyCount == 0)
    }

    @Test func longQueuesStayInOrderAcrossCompaction() {
        var sequencer = KeyedSequencer<Int>()
        #expect(sequencer.submit(key: keyA, item: 0) == 0)
        var started = [0]
        for item in 1..<1_000 {
            #expect(sequencer.submit(key: keyA, item: item) == nil)
            if item.isMultiple(of: 3), let next = sequencer.complete(key: keyA) { started.append(next) }
        }
        while let next = sequencer.complete(key: keyA) { started.append(next) }
        #expect(started == Array(0..<1_000))
        #expect(sequencer.activeKeyCount == 0)
    }

    @Test(arguments: [7, 99, 31_337] as [UInt64])
    func randomInterleavingsKeepPerKeyOrderAndNeverOverlapAKey(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let keys: [[UInt8]?] = [nil, [0], [1], [2], [3], [4, 4]]
        var sequencer = KeyedSequencer<(key: [UInt8]?, sequence: Int)>()
        var running: [(key: [UInt8]?, sequence: Int)] = []
        var submitted: [[UInt8]: [Int]] = [:]
        var startedOrder: [[UInt8]: [Int]] = [:]
        var startedCount = 0
        var submittedCount = 0
        var maxParallelKeys = 0

        func start(_ item: (key: [UInt8]?, sequence: Int)) {
            if let key = item.key {
                #expect(!running.contains { $0.key == key }, "two items of one key ran at once")
                startedOrder[key, default: []].append(item.sequence)
            }
            running.append(item)
            startedCount += 1
            maxParallelKeys = max(maxParallelKeys, Set(running.compactMap(\.key)).count)
        }

        for sequence in 0..<4_000 {
            if running.isEmpty || Bool.random(using: &random) {
                let key = keys.randomElement(using: &random)!
                if let key { submitted[key, default: []].append(sequence) }
                submittedCount += 1
                if let item = sequencer.submit(key: key, item: (key, sequence)) { start(item) }
            } else {
                let item = running.remove(at: Int.random(in: 0..<running.count, using: &random))
                if let next = sequencer.complete(key: item.key) { start(next) }
            }
            #expect(submittedCount - startedCount == sequencer.queuedCount)
        }
        while !running.isEmpty {
            let item = running.remove(at: Int.random(in: 0..<running.count, using: &random))
            if let next = sequencer.complete(key: item.key) { start(next) }
        }

        #expect(startedCount == submittedCount, "every item eventually ran")
        #expect(startedOrder == submitted, "each key's items started in arrival order")
        #expect(maxParallelKeys > 1, "different keys ran in parallel")
        #expect(sequencer.activeKeyCount == 0)
        #expect(sequencer.queuedCount == 0)
    }
}
