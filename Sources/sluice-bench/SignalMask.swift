#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `body`, which starts a child process, with no signal blocked on the calling thread.
///
/// A child inherits the blocked signals of the thread that starts it, and Swift's pool threads block nearly all of
/// them: a child that handles SIGTERM with a plain handler (the C relay, `rdkafka_performance`) would never see the one
/// the benchmark sends to stop it, and would be killed after the grace period instead.
func withSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
    var none = sigset_t()
    sigemptyset(&none)
    var previous = sigset_t()
    pthread_sigmask(SIG_SETMASK, &none, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    return try body()
}
