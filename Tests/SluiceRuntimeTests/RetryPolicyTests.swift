import SluiceRuntime
import Testing

@Suite struct RetryPolicyTests {
    @Test func capDoublesPerAttemptUpToMaxDelay() {
        let policy = RetryPolicy(maxRetries: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        let caps = (1...6).map { policy.delayCap(forAttempt: $0) }
        let expected: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)]
        #expect(caps == expected + [.seconds(1), .seconds(1)])
    }

    @Test func hugeAttemptNumbersSaturateWithoutOverflow() {
        let policy = RetryPolicy(maxRetries: .max, baseDelay: .milliseconds(3), maxDelay: .seconds(60))
        for attempt in [40, 62, 63, 64, 1_000, Int.max] {
            #expect(policy.delayCap(forAttempt: attempt) == .seconds(60), "attempt \(attempt)")
        }
    }

    @Test func delaysStayWithinTheCapAndUseTheWholeRange() {
        let policy = RetryPolicy(baseDelay: .milliseconds(50), maxDelay: .milliseconds(400))
        var random = SeededGenerator(seed: 5)
        for attempt in 1...6 {
            let cap = policy.delayCap(forAttempt: attempt)
            let delays = (0..<2_000).map { _ in policy.delay(forAttempt: attempt, using: &random) }
            #expect(delays.allSatisfy { $0 >= .zero && $0 <= cap })
            #expect(delays.min()! < cap * 0.05, "full jitter reaches near zero")
            #expect(delays.max()! > cap * 0.95, "full jitter reaches near the cap")
            let mean = delays.reduce(Duration.zero, +) / delays.count
            #expect(mean > cap * 0.4 && mean < cap * 0.6, "uniform: mean near half the cap")
        }
    }

    @Test func sameSeedGivesTheSameDelays() {
        let policy = RetryPolicy()
        var first = SeededGenerator(seed: 11)
        var second = SeededGenerator(seed: 11)
        var third = SeededGenerator(seed: 12)
        let a = (1...8).map { policy.delay(forAttempt: $0, using: &first) }
        let b = (1...8).map { policy.delay(forAttempt: $0, using: &second) }
        let c = (1...8).map { policy.delay(forAttempt: $0, using: &third) }
        #expect(a == b)
        #expect(a != c)
    }

    @Test func systemRandomDelayIsWithinTheCap() {
        let policy = RetryPolicy(baseDelay: .milliseconds(10), maxDelay: .milliseconds(10))
        for _ in 0..<100 {
            let delay = policy.delay(forAttempt: 3)
            #expect(delay >= .zero && delay <= .milliseconds(10))
        }
    }

    @Test func zeroBaseDelayRetriesImmediately() {
        let policy = RetryPolicy(maxRetries: 3, baseDelay: .zero, maxDelay: .seconds(1))
        var random = SeededGenerator(seed: 1)
        #expect(policy.delayCap(forAttempt: 70) == .zero)
        #expect(policy.delay(forAttempt: 2, using: &random) == .zero)
    }

    @Test func allowsRetriesUpToMaxRetries() {
        let policy = RetryPolicy(maxRetries: 2)
        #expect(!policy.allowsRetry(0))
        #expect(policy.allowsRetry(1))
        #expect(policy.allowsRetry(2))
        #expect(!policy.allowsRetry(3))
        #expect(!RetryPolicy.none.allowsRetry(1))
    }
}
