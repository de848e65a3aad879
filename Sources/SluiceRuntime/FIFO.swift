/// A first-in, first-out queue: `items[head...]`, with taken slots cleared at once (so an item's memory goes when it
/// leaves) and the array compacted once the taken prefix outweighs the rest. Every operation is O(1) amortized.
struct FIFO<Element> {
    private var items: [Element?] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }

    mutating func append(_ item: consuming Element) {
        items.append(item)
    }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let item = items[head].take()
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: items.capacity <= 4_096)
            head = 0
        } else if head >= 64, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    /// Calls `body` with each item, oldest first.
    func forEach(_ body: (Element) throws -> Void) rethrows {
        for case let item? in items[head...] { try body(item) }
    }

    /// Removes the items for which `shouldRemove` is true, keeping the order of the rest, and appends them to
    /// `removed`.
    mutating func remove(where shouldRemove: (Element) throws -> Bool, into removed: inout [Element]) rethrows {
        var kept: [Element?] = []
        for case let item? in items[head...] {
            if try shouldRemove(item) { removed.append(item) } else { kept.append(item) }
        }
        items = kept
        head = 0
    }
}

extension FIFO: Sendable where Element: Sendable {}
