import Logging
import SluiceKafka

/// Partition moves: new work starts only on assigned partitions; a revoke waits for its running work.
extension WorkerHost {
    /// Called on the consumer's poll thread, which waits for it, before offsets move.
    func rebalance(_ event: RebalanceEvent) async {
        switch event {
        case .assigned(let partitions):
            state.withLock { $0.assign(partitions) }
        case .revoked(let partitions):
            let (dropped, wakeups) = updateState { $0.beginRevoke(partitions) }
            pending.release(dropped)
            for (lane, item) in wakeups { lane.resume(returning: item) }
            let clock = ContinuousClock()
            let deadline = clock.now + configuration.revokeTimeout
            var running = state.withLock { $0.runningCount(in: partitions) }
            while running > 0, clock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
                running = state.withLock { $0.runningCount(in: partitions) }
            }
            if running > 0 {
                logger.warning(
                    "revoke: gave up waiting for \(running) running input(s); they will be processed again by the new owner"
                )
            }
            if exactlyOnce {
                await commitBeforeRevoke(partitions)
                return
            }
            let consumer = control.withLock { $0.consumer }
            state.withLock { state in
                let positions = state.endRevoke(partitions)
                do {
                    try consumer?.store(positions)
                } catch {
                    logger.warning("storing offsets of revoked partitions failed: \(error)")
                }
            }
        case .lost(let partitions):
            let (dropped, wakeups) = updateState { state in
                let (unstarted, wakeups) = state.beginRevoke(partitions, lost: true)
                _ = state.endRevoke(partitions)
                return (unstarted + state.dropHeld(partitions), wakeups)
            }
            pending.release(dropped)
            for (lane, item) in wakeups { lane.resume(returning: item) }
            logger.warning("lost \(partitions.count) partition(s); their in-flight inputs will be processed again")
        }
    }
}
