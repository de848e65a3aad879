import Testing

@testable import SluiceKafka

@Suite struct TopicHandlesTests {
    @Test func eachTopicGetsOneHandleWhateverTheOrderOfRecords() {
        var handles = TopicHandles()
        var made: [String] = []
        func handle(_ name: String) -> Int? {
            handles.handle(of: name) {
                made.append(name)
                return OpaquePointer(bitPattern: 16 * made.count)
            }.map { Int(bitPattern: $0) }
        }
        // The last topic is answered first, so alternating and repeating must both find the right handle.
        let order = ["a", "a", "b", "a", "b", "b", "c", "a"]
        let answers = order.map(handle)
        #expect(made == ["a", "b", "c"])
        #expect(answers == [16, 16, 32, 16, 32, 32, 48, 16])
        #expect(Set(handles.all.map { Int(bitPattern: $0) }) == [16, 32, 48])
    }

    @Test func aHandleThatCannotBeMadeIsNotRemembered() {
        var handles = TopicHandles()
        #expect(handles.handle(of: "a") { nil } == nil)
        #expect(handles.handle(of: "a") { OpaquePointer(bitPattern: 16) } == OpaquePointer(bitPattern: 16))
        #expect(handles.all.count == 1)
    }
}
