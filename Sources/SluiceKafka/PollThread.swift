import Crdkafka
import Foundation
import Synchronization

/// A thread this layer owns that calls a blocking poll function until stopped.
///
/// librdkafka serves delivery reports, rebalances and logs only from inside its poll calls, and those
/// block: running them here keeps Swift's cooperative thread pool free.
final class PollThread: Sendable {
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts a thread that calls `poll` until ``stop()``; `poll` should block for a bounded time.
    ///
    /// - Parameter name: the thread's name in `top -H`, `perf` and debuggers. Linux keeps 15 bytes of it, and a
    ///   longer name would not reach it at all, so it is cut to those.
    init(name: String, poll: @escaping @Sendable () -> Void) {
        let name = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        let thread = Thread { [self] in
            Self.nameCurrentThread(name)
            while running.load(ordering: .relaxed) { poll() }
            finished.signal()
        }
        thread.start()
    }

    var isRunning: Bool { running.load(ordering: .relaxed) }

    /// Names the calling thread, for Foundation and for the operating system. Foundation on Linux passes a name to
    /// the system only when its setter runs on the thread after `start()` has returned (not for a name set before
    /// the start), and a new thread can run before that: the system's name is set here directly.
    private static func nameCurrentThread(_ name: String) {
        Thread.current.name = name
        #if os(Linux)
            _ = sluice_name_current_thread(name)
        #endif
    }

    /// Stops the loop and waits until the thread has left it. Idempotent.
    func stop() {
        if running.exchange(false, ordering: .relaxed) { finished.wait() }
    }
}

extension Duration {
    /// Whole milliseconds, clamped to what librdkafka's `int` timeouts hold.
    var milliseconds: Int32 {
        let (seconds, attoseconds) = components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
