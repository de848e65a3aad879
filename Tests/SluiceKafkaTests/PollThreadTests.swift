import Foundation
import Synchronization
import Testing

@testable import SluiceKafka

@Suite struct PollThreadTests {
    /// `top -H`, `perf` and debuggers show the operating system's name of a thread (Linux: `/proc/thread-self/comm`),
    /// which keeps 15 bytes: a longer name must be cut, or it is not set at all.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/thread-self/comm")))
    func theThreadCarriesItsNameForTheOperatingSystemCutTo15Bytes() throws {
        let seen = Mutex<String?>(nil)
        let thread = PollThread(name: "sluice.test.poll.thread") {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
            seen.withLock { $0 = name.trimmingCharacters(in: .newlines) }
            usleep(1_000)
        }
        while seen.withLock({ $0 }) == nil { usleep(1_000) }
        thread.stop()
        #expect(seen.withLock { $0 } == "sluice.test.pol")
        #expect(!thread.isRunning)
    }
}
