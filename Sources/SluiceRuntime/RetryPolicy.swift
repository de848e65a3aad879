/// How often, and how long apart, a failed operation is retried: exponential backoff with full jitter.
///
/// Retry `n` (1-based) waits a uniformly random time in `0 ... min(maxDelay, baseDelay * 2^(n-1))`. Full jitter
/// spreads the retries of many workers that failed together, so they do not hit the broker or a downstream
/// service in lockstep.
///
///     base 100 ms, max 1 s:   retry 1: 0...100 ms   retry 2: 0...200 ms   retry 3: 0...400 ms
///                             retry 4: 0...800 ms   retry 5 and later: 0...1 s
public struct RetryPolicy: Sendable, Hashable {
    /// Retries allowed after the first attempt; `0` means fail at once.
    public var maxRetries: Int
    /// The cap of the first retry's delay, doubled for each further retry.
    public var baseDelay: Duration
    /// The largest cap any retry's delay may have.
    public var maxDelay: Duration

    /// Creates a retry policy.
    ///
    /// - Precondition: `maxRetries >= 0` and `0 <= baseDelay <= maxDelay`.
    public init(maxRetries: Int = 5, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(30)) {
        precondition(maxRetries >= 0, "RetryPolicy needs maxRetries >= 0")
        precondition(baseDelay >= .zero && baseDelay <= maxDelay, "RetryPolicy needs 0 <= baseDelay <= maxDelay")
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// A policy that never retries.
    public static let none = RetryPolicy(maxRetries: 0)

    /// Whether retry number `attempt` (1-based) is allowed.
    public func allowsRetry(_ attempt: Int) -> Bool {
        attempt >= 1 && attempt <= maxRetries
    }

    /// The upper bound of retry `attempt`'s delay: `min(maxDelay, baseDelay * 2^(attempt-1))`, without overflow.
    public func delayCap(forAttempt attempt: Int) -> Duration {
        let base = Self.nanoseconds(baseDelay)
        let max = Self.nanoseconds(maxDelay)
        let exponent = Swift.max(attempt, 1) - 1
        guard base > 0, exponent < Int64.bitWidth - 1 else { return base > 0 ? maxDelay : .zero }
        let (scaled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << exponent)
        return .nanoseconds(overflow ? max : Swift.min(scaled, max))
    }

    /// A random delay before retry `attempt` (1-based), uniform in `0 ... delayCap(forAttempt:)`, drawn from
    /// `generator` (pass a seeded generator for deterministic tests).
    public func delay(forAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let cap = Self.nanoseconds(delayCap(forAttempt: attempt))
        return .nanoseconds(Int64.random(in: 0...cap, using: &generator))
    }

    /// A random delay before retry `attempt` (1-based), drawn from the system's random number generator.
    public func delay(forAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(forAttempt: attempt, using: &generator)
    }

    /// `duration` in whole nanoseconds, saturating at `Int64.max` (about 292 years).
    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (total, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? .max : total
    }
}
