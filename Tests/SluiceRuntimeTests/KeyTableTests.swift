import Testing

@testable import SluiceRuntime

/// The per-key sequencer's hash table, checked against a `Dictionary` through long random runs of inserts,
/// updates and removals: enough keys that the table grows several times and removals shift long probe runs.
@Suite struct KeyTableTests {
    @Test(arguments: [1, 42, 2_024] as [UInt64])
    func agreesWithADictionaryThroughRandomInsertsAndRemovals(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var table = KeyTable<Int>()
        var model: [[UInt8]: Int] = [:]
        // Keys of every length from 0 to 19 bytes, so the hash's word loop and its tail both matter.
        let keys: [[UInt8]] = (0..<3_000).map { number in
            let text = Array("k\(number)-".utf8)
            return Array(text.prefix(number % 20)) + Array(repeating: UInt8(number % 251), count: max(0, number % 20 - text.count))
        }
        let distinct = Array(Set(keys))

        for step in 0..<40_000 {
            let key = distinct.randomElement(using: &random)!
            if Bool.random(using: &random) {
                let added = table.insert(key, step, orUpdate: { $0 += 1 })
                #expect(added == (model[key] == nil))
                if let old = model[key] { model[key] = old + 1 } else { model[key] = step }
            } else {
                let removeIt = Bool.random(using: &random)
                let seen = table.update(key) { value in (value, removeIt) }
                #expect(seen == model[key])
                if removeIt { model[key] = nil }
            }
            if step % 997 == 0 {
                #expect(table.count == model.count)
                for (key, value) in model { #expect(table[key] == value) }
            }
        }
        #expect(table.count == model.count)
        for key in distinct { #expect(table[key] == model[key]) }
        var values: [Int] = []
        table.forEachValue { values.append($0) }
        #expect(values.sorted() == model.values.sorted())
    }

    @Test func theEmptyKeyIsAKeyLikeAnyOther() {
        var table = KeyTable<String>()
        let added = table.insert([], "empty", orUpdate: { _ in })
        #expect(added)
        #expect(table[[]] == "empty")
        #expect(table[[0]] == nil)
        let removed = table.update([]) { ($0, true) }
        #expect(removed == "empty")
        #expect(table.count == 0)
    }
}
