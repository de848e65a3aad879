import Synchronization

/// A counting semaphore for one waiter: the consume loop takes a permit before it reads a message, and the
/// permit comes back when the message is finished or dropped. At the limit the loop stops reading, so the
/// consumer's bounded buffer fills and it pauses its partitions.
final class InFlightLimit: Sendable {
    private struct State {
        var available: Int
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let state: Mutex<State>

    init(permits: Int) {
        precondition(permits >= 1, "InFlightLimit needs at least one permit")
        state = Mutex(State(available: permits))
    }

    /// Takes a permit, waiting for one if none is free.
    ///
    /// - Returns: `false` if the task was cancelled before a permit was free (no permit is taken then).
    func acquire() async -> Bool {
        let taken = state.withLock { state in
            guard state.available > 0 else { return false }
            state.available -= 1
            return true
        }
        if taken { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let granted = state.withLock { state -> Bool? in
                    if Task.isCancelled { return false }
                    guard state.available > 0 else {
                        precondition(state.waiter == nil, "InFlightLimit supports one waiter")
                        state.waiter = continuation
                        return nil
                    }
                    state.available -= 1
                    return true
                }
                if let granted { continuation.resume(returning: granted) }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume(returning: false)
        }
    }

    /// Returns `count` permits, handing one straight to a waiting ``acquire()``.
    func release(_ count: Int = 1) {
        guard count > 0 else { return }
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            state.available += count
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.available -= 1
            return waiter
        }
        waiter?.resume(returning: true)
    }
}
