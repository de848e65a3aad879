/// Keeps per-key order while letting different keys run in parallel (`ordering: key`).
///
/// Items with the same key never run at the same time and start in arrival order; items with different keys
/// run concurrently, even when they come from the same partition. The host offers each item to
/// ``submit(key:item:)``, starts it if it comes back, and calls ``complete(key:)`` when it finishes, starting
/// the item that returns (the next one of that key), if any.
///
///     submit(A, a1) -> a1     A running
///     submit(B, b1) -> b1     A, B running
///     submit(A, a2) -> nil    a2 waits behind a1
///     complete(A)   -> a2     a2 starts
///     complete(A)   -> nil    key A forgotten
///
/// A `nil` key carries no ordering constraint: the item is returned at once and ``complete(key:)`` with `nil`
/// is a no-op. Kafka spreads unkeyed records over partitions without any order to keep, and treating `nil` as a
/// single key would funnel all unkeyed traffic through one lane.
///
/// Memory: a key is held only while one of its items runs; its entry is removed when it completes with nothing
/// queued behind it. Every call is O(1) amortized (one hash of the key; two when an item queues behind its key).
public struct KeyedSequencer<Item> {
    /// Keys with an item running; each lane holds the items waiting behind it.
    private var lanes: [Key: FIFO<Item>] = [:]

    /// Items waiting behind a running item of the same key.
    public private(set) var queuedCount = 0

    /// Keys with an item running.
    public var activeKeyCount: Int { lanes.count }

    /// Creates an empty sequencer.
    public init() {}

    /// Offers `item` with `key`.
    ///
    /// - Returns: `item` if it may start now (no item of its key is running), or `nil` if it was queued; it
    ///   will be returned by ``complete(key:)`` when its turn comes.
    public mutating func submit(key: [UInt8]?, item: consuming Item) -> Item? {
        guard let key = key.map({ Key(bytes: $0) }) else { return item }
        // One hash for the common case, a key with nothing running; a running key's lane is put back with the item.
        guard var waiting = lanes.updateValue(FIFO(), forKey: key) else { return item }
        waiting.append(item)
        lanes[key] = waiting
        queuedCount += 1
        return nil
    }

    /// Records that the running item with `key` finished.
    ///
    /// - Returns: the next queued item of `key`, which is now running, or `nil` if none waits (the key is then
    ///   forgotten), the key is `nil`, or no item of the key was running.
    public mutating func complete(key: [UInt8]?) -> Item? {
        guard let key, let index = lanes.index(forKey: Key(bytes: key)) else { return nil }
        // Mostly nothing waits behind the finished input: looking costs less than a mutating access.
        guard !lanes.values[index].isEmpty else {
            lanes.remove(at: index)
            return nil
        }
        queuedCount -= 1
        return lanes.values[index].popFirst()
    }

    /// Whether an item with `key` is running.
    public func isRunning(key: [UInt8]) -> Bool {
        lanes[Key(bytes: key)] != nil
    }

    /// Calls `body` with each queued (not running) item.
    public func forEachQueued(_ body: (Item) throws -> Void) rethrows {
        for lane in lanes.values { try lane.forEach(body) }
    }

    /// Removes the queued (not running) items for which `shouldRemove` is true, keeping the order of the rest,
    /// for example the items of revoked partitions.
    ///
    /// - Returns: the removed items, so the host can release what they hold.
    public mutating func removeQueued(where shouldRemove: (Item) throws -> Bool) rethrows -> [Item] {
        var removed: [Item] = []
        for index in lanes.indices where !lanes.values[index].isEmpty {
            try lanes.values[index].remove(where: shouldRemove, into: &removed)
        }
        queuedCount -= removed.count
        return removed
    }
}

extension KeyedSequencer: Sendable where Item: Sendable {}

extension KeyedSequencer {
    /// A record key hashed as one block of bytes (`[UInt8]`'s own hashing feeds the hasher a byte at a time), once:
    /// the dictionary hashes its keys again when it grows and when removing a key moves its neighbours, and every
    /// input removes its key when it completes.
    private struct Key: Hashable, Sendable {
        let bytes: [UInt8]
        let hash: Int

        init(bytes: [UInt8]) {
            self.bytes = bytes
            var hasher = Hasher()
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
            hash = hasher.finalize()
        }

        static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.hash == rhs.hash && lhs.bytes == rhs.bytes
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(hash)
        }
    }
}
