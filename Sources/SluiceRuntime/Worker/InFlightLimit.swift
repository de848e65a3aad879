import Synchronization

/// A counting semaphore for one waiter: the consume loop takes a permit for each message it reads, and the
/// permit comes back when the message is finished or dropped. At the limit the loop stops reading, so the
/// consumer's bounded buffer fills and it pauses its partitions.
///
/// The loop takes a whole chunk's permits at once, as soon as any permit is free, so the count may go below zero:
/// at most `permits` plus one chunk are out.
final class InFlightLimit: Sendable {
    private struct State {
        var available: Int
        var waiter: (count: Int, continuation: CheckedContinuation<Bool, Never>)?
    }

    private let state: Mutex<State>

    init(permits: Int) {
        precondition(permits >= 1, "InFlightLimit needs at least one permit")
        state = Mutex(State(available: permits))
    }

    /// Takes `count` permits once at least one is free, waiting until then.
    ///
    /// - Returns: `false` if the task was cancelled before a permit was free (no permit is taken then).
    func acquire(_ count: Int = 1) async -> Bool {
        let taken = state.withLock { state in
            guard state.available > 0 else { return false }
            state.available -= count
            return true
        }
        if taken { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let granted = state.withLock { state -> Bool? in
                    if Task.isCancelled { return false }
                    guard state.available > 0 else {
                        precondition(state.waiter == nil, "InFlightLimit supports one waiter")
                        state.waiter = (count, continuation)
                        return nil
                    }
                    state.available -= count
                    return true
                }
                if let granted { continuation.resume(returning: granted) }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter?.continuation
            }?.resume(returning: false)
        }
    }

    /// Returns `count` permits, granting a waiting ``acquire(_:)`` once one is free.
    func release(_ count: Int = 1) {
        guard count > 0 else { return }
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            state.available += count
            guard state.available > 0, let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.available -= waiter.count
            return waiter.continuation
        }
        waiter?.resume(returning: true)
    }
}
