import SluiceCore
import Testing

@testable import SluiceRuntime

@Suite struct ProducedAtClockTests {
    /// The stamp is the wall clock in decimal milliseconds, however often it is read.
    @Test func stampsTheCurrentMillisecondInDecimal() throws {
        var clock = ProducedAtClock()
        for _ in 0..<1_000 {
            let before = Envelope.now()
            let stamp = clock.now()
            let after = Envelope.now()
            let milliseconds = try #require(Int64(String(decoding: stamp, as: UTF8.self)))
            #expect((before...after).contains(milliseconds))
        }
    }
}
