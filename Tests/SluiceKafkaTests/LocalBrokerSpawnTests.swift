import Foundation
import Testing

@testable import SluiceKafka

#if canImport(Glibc)
    import Glibc
#endif

/// The development broker is stopped by SIGTERM (``LocalBroker/stop()``), so it must not inherit its starter's blocked
/// signals: Swift's pool threads, where `sluice broker up` and the tests start it, block nearly all of them.
@Suite struct LocalBrokerSpawnTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status")))
    func aSpawnedChildReceivesSIGTERMEvenWhenItsStarterBlocksIt() throws {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        let pid: Int32
        do {
            defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
            pid = try LocalBroker.spawn("/bin/sleep", ["30"], log: "/dev/null")
        }

        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let mask = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }?.split(separator: "\t").last
        let bits = UInt64(mask.map(String.init) ?? "", radix: 16)
        #expect(bits.map { $0 & (1 << (UInt64(SIGTERM) - 1)) } == 0, "SIGTERM blocked in the child: SigBlk \(mask ?? "?")")

        kill(pid, SIGTERM)
        var exit: Int32 = 0
        #expect(waitpid(pid, &exit, 0) == pid)
        // Killed by the signal itself: WIFSIGNALED and WTERMSIG, spelled out (the macros are not imported).
        #expect(exit & 0x7F == SIGTERM, "wait status \(exit)")
    }
}
