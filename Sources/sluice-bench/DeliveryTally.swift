import SluiceKafka
import Synchronization

/// Counts a producer's delivery reports and notes when the last expected one arrived.
final class DeliveryTally: Sendable {
    private struct State {
        var delivered = 0
        var failed = 0
        var firstError: KafkaError?
        var completedAt: ContinuousClock.Instant?
    }

    private let expected: Int
    private let state = Mutex(State())

    init(expected: Int) { self.expected = expected }

    /// Called on the producer's poll thread for every record.
    func record(_ result: Result<DeliveryReport, KafkaError>) {
        state.withLock { state in
            switch result {
            case .success: state.delivered += 1
            case .failure(let error):
                state.failed += 1
                if state.firstError == nil { state.firstError = error }
            }
            if state.delivered + state.failed == expected { state.completedAt = .now }
        }
    }

    /// When the last expected report arrived, if it has.
    var completedAt: ContinuousClock.Instant? { state.withLock { $0.completedAt } }

    /// Throws unless every expected record was delivered.
    func check(_ what: String) throws {
        let (delivered, failed, error) = state.withLock { ($0.delivered, $0.failed, $0.firstError) }
        guard delivered == expected else {
            let cause = error.map { ", first error: \($0)" } ?? ""
            throw BenchError("\(what): \(delivered) of \(expected) delivered, \(failed) failed\(cause)")
        }
    }
}
