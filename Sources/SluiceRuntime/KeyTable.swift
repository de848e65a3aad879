/// A hash table from record keys (bytes) to values, for the per-key sequencer: every input looks its key up twice
/// (when it arrives and when it finishes), so a lookup hashes the key's bytes once with a cheap seeded hash and
/// probes a flat array, where a `Dictionary` would run `Hasher` (SipHash) over the key and again over its hash.
///
/// Open addressing with linear probing over `slots`, which index a dense `entries` array; removal shifts the probe
/// run back (no tombstones) and moves the last entry into the hole. The seed is random per process, so the slots a
/// key lands in cannot be predicted from outside.
struct KeyTable<Value> {
    fileprivate struct Entry {
        var hash: UInt64
        var key: [UInt8]
        var value: Value
    }

    private var entries: [Entry] = []
    /// Indices into `entries`, `-1` for an empty slot; a power of two long, at most three quarters full.
    private var slots = [Int32](repeating: -1, count: 16)

    /// How many keys the table holds.
    var count: Int { entries.count }

    /// Where `key` is: its entry's index, if present, and its slot (or the empty slot where it would go).
    private func find(_ key: [UInt8], hash: UInt64) -> (slot: Int, entry: Int?) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return (slot, nil) }
            if entries[index].hash == hash, entries[index].key == key { return (slot, index) }
            slot = (slot + 1) & mask
        }
    }

    /// The value of `key`, if present.
    subscript(key: [UInt8]) -> Value? {
        guard let index = find(key, hash: Self.hash(key)).entry else { return nil }
        return entries[index].value
    }

    /// Adds `key` with `value` if it is absent; otherwise changes its value with `update`.
    ///
    /// - Returns: whether `key` was added.
    mutating func insert(_ key: [UInt8], _ value: @autoclosure () -> Value, orUpdate update: (inout Value) -> Void)
        -> Bool
    {
        let hash = Self.hash(key)
        let (slot, found) = find(key, hash: hash)
        if let found {
            update(&entries[found].value)
            return false
        }
        slots[slot] = Int32(entries.count)
        entries.append(Entry(hash: hash, key: key, value: value()))
        if entries.count * 4 > slots.count * 3 { grow() }
        return true
    }

    /// Calls `body` with the value of `key`, if present, and removes the key when `body` returns `true`.
    ///
    /// - Returns: what `body` returned as its result, or `nil` if `key` is absent.
    mutating func update<R>(_ key: [UInt8], _ body: (inout Value) -> (result: R, remove: Bool)) -> R? {
        let (slot, found) = find(key, hash: Self.hash(key))
        guard let found else { return nil }
        let (result, remove) = body(&entries[found].value)
        if remove { removeEntry(found, at: slot) }
        return result
    }

    /// Calls `body` with each value, in no particular order.
    func forEachValue(_ body: (Value) throws -> Void) rethrows {
        for entry in entries { try body(entry.value) }
    }

    /// Changes each value with `body`, in no particular order.
    mutating func updateEachValue(_ body: (inout Value) throws -> Void) rethrows {
        for index in entries.indices { try body(&entries[index].value) }
    }

    /// Removes the entry at `index`, found at `slot`.
    private mutating func removeEntry(_ index: Int, at slot: Int) {
        // Shift the rest of the probe run back into the freed slot, so lookups never stop short of a key.
        let mask = slots.count - 1
        var hole = slot
        var next = (slot + 1) & mask
        while slots[next] >= 0 {
            let home = Int(truncatingIfNeeded: entries[Int(slots[next])].hash) & mask
            // The entry at `next` may move to `hole` unless its home lies cyclically in (hole, next].
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = -1
        // Keep the entries dense: the last one takes the removed one's place.
        let last = entries.count - 1
        guard index != last else {
            entries.removeLast()
            return
        }
        var lastSlot = Int(truncatingIfNeeded: entries[last].hash) & mask
        while slots[lastSlot] != Int32(last) { lastSlot = (lastSlot + 1) & mask }
        slots[lastSlot] = Int32(index)
        entries[index] = entries.removeLast()
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for index in entries.indices {
            var slot = Int(truncatingIfNeeded: entries[index].hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    /// A seeded multiply-xorshift hash over the key's bytes, eight at a time.
    static func hash(_ key: [UInt8]) -> UInt64 {
        key.withUnsafeBytes { bytes in
            var hash = keyTableSeed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
            var offset = 0
            while offset + 8 <= bytes.count {
                hash = mix(hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            var tail: UInt64 = 0
            while offset < bytes.count {
                tail = tail << 8 | UInt64(bytes[offset])
                offset += 1
            }
            return mix(hash ^ tail)
        }
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 31
        x = x &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 29)
    }
}

/// Random per process: which slots keys land in cannot be predicted from outside.
private let keyTableSeed = UInt64.random(in: .min ... .max)

extension KeyTable: Sendable where Value: Sendable {}
extension KeyTable.Entry: Sendable where Value: Sendable {}
