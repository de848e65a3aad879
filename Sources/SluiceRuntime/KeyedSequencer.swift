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
/// queued behind it. Every call is O(1) amortized (one hash of the key).
public struct KeyedSequencer<Item> {
    /// Keys with an item running; each lane holds the items waiting behind it.
    private var lanes = KeyTable<FIFO<Item>>()

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
        guard let key else { return item }
        var item: Item? = item
        if lanes.insert(key, FIFO(), orUpdate: { $0.append(item.take()!) }) { return item }
        queuedCount += 1
        return nil
    }

    /// Records that the running item with `key` finished.
    ///
    /// - Returns: the next queued item of `key`, which is now running, or `nil` if none waits (the key is then
    ///   forgotten), the key is `nil`, or no item of the key was running.
    public mutating func complete(key: [UInt8]?) -> Item? {
        guard let key else { return nil }
        // `nil` when the key is not running; `.some(nil)` when nothing waits behind it, and the key is forgotten.
        let found = lanes.update(key) { waiting in
            let next = waiting.popFirst()
            return (next, next == nil)
        }
        guard case let next?? = found else { return nil }
        queuedCount -= 1
        return next
    }

    /// Whether an item with `key` is running.
    public func isRunning(key: [UInt8]) -> Bool {
        lanes[key] != nil
    }

    /// Calls `body` with each queued (not running) item.
    public func forEachQueued(_ body: (Item) throws -> Void) rethrows {
        try lanes.forEachValue { try $0.forEach(body) }
    }

    /// Removes the queued (not running) items for which `shouldRemove` is true, keeping the order of the rest,
    /// for example the items of revoked partitions.
    ///
    /// - Returns: the removed items, so the host can release what they hold.
    public mutating func removeQueued(where shouldRemove: (Item) throws -> Bool) rethrows -> [Item] {
        var removed: [Item] = []
        try lanes.updateEachValue { waiting in
            if !waiting.isEmpty { try waiting.remove(where: shouldRemove, into: &removed) }
        }
        queuedCount -= removed.count
        return removed
    }
}

extension KeyedSequencer: Sendable where Item: Sendable {}
