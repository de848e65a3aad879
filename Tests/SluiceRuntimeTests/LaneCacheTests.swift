import SluiceCore
import Testing

@testable import SluiceRuntime

@Suite struct LaneCacheTests {
    /// The stamp is the wall clock in decimal milliseconds, however often it is read.
    @Test func producedAtIsTheCurrentMillisecondInDecimal() throws {
        var clock = ProducedAtClock()
        for _ in 0..<1_000 {
            let before = Envelope.now()
            let stamp = clock.now()
            let after = Envelope.now()
            let milliseconds = try #require(Int64(String(decoding: stamp.decimal, as: UTF8.self)))
            #expect(milliseconds == stamp.milliseconds)
            #expect((before...after).contains(milliseconds))
        }
    }

    /// The cached rules follow the topic from one input to the next.
    @Test func rulesFollowTheTopicOfEachInput() {
        let topics = [
            "entry": InputTopic(decoding: .lenient, maxIterations: nil),
            "loop": InputTopic(decoding: .strict, maxIterations: 3),
        ]
        var lane = LaneCache()
        let seen = ["entry", "entry", "loop", "unknown", "entry"].map { lane.rules(of: $0, in: topics) }
        #expect(seen.map(\.decoding) == [.lenient, .lenient, .strict, .strict, .lenient])
        #expect(seen.map(\.maxIterations) == [nil, nil, 3, nil, nil])
    }
}
