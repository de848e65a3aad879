/// A producer's librdkafka topic handles by name. Records mostly go to the topic of the record before, so that one
/// is checked first, without hashing the name.
struct TopicHandles {
    private var byName: [String: OpaquePointer] = [:]
    private var last: (name: String, handle: OpaquePointer)?

    var all: [OpaquePointer] { Array(byName.values) }

    mutating func handle(of name: String, orMake make: () -> OpaquePointer?) -> OpaquePointer? {
        // Compared in place: binding `last` would copy (retain and release) its name.
        if last?.name == name, let handle = last?.handle { return handle }
        if let known = byName[name] {
            last = (name, known)
            return known
        }
        guard let made = make() else { return nil }
        byName[name] = made
        last = (name, made)
        return made
    }
}
