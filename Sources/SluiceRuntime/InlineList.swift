/// A list that holds its first element inline: most inputs emit one output and produce one record, and an array
/// would cost an allocation for each.
struct InlineList<Element>: Sequence {
    private var first: Element?
    private var rest: [Element] = []

    init() {}

    init(_ element: consuming Element) { first = element }

    var count: Int { first == nil ? 0 : 1 + rest.count }

    var underestimatedCount: Int { count }

    /// Empties the list, handing its elements over in order, moved rather than copied (iterating copies each one
    /// into the iterator and out again).
    mutating func takeAll() -> (first: Element?, rest: [Element]) {
        var taken: [Element] = []
        swap(&taken, &rest)
        return (first.take(), taken)
    }

    mutating func append(_ element: consuming Element) {
        if first == nil { first = element } else { rest.append(element) }
    }

    /// The list of `transform`'s results, in order.
    func map<T>(_ transform: (Element) throws -> T) rethrows -> InlineList<T> {
        guard let first else { return InlineList<T>() }
        var mapped = InlineList<T>(try transform(first))
        if !rest.isEmpty { mapped.rest = try rest.map(transform) }
        return mapped
    }

    func makeIterator() -> Iterator { Iterator(first: first, rest: rest.makeIterator()) }

    struct Iterator: IteratorProtocol {
        fileprivate var first: Element?
        fileprivate var rest: IndexingIterator<[Element]>

        mutating func next() -> Element? {
            if let element = first {
                first = nil
                return element
            }
            return rest.next()
        }
    }
}

extension InlineList: Sendable where Element: Sendable {}
