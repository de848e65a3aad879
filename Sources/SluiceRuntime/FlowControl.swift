/// Back-pressure for the consumer: pause fetching when too much work is in flight, resume when it has drained.
///
/// Count a message as in flight from the moment the host takes it from the consumer until the
/// ``OffsetWatermark`` finishes it (or it is dropped on revoke). That includes messages queued by the
/// ``KeyedSequencer`` behind a running item of the same key: they hold memory as much as running ones do.
///
/// The two marks give hysteresis, so the consumer does not flap between pause and resume on every message:
///
///     high water 8, low water 4
///     in flight 7 -> 8   .pause    high water reached
///               8 -> 6   .none     above low water: stay paused
///               6 -> 4   .resume   low water reached
///               4 -> 7   .none     below high water: keep fetching
///
/// Messages already fetched keep arriving for a while after a pause, so the count may exceed ``highWater``;
/// no further action is returned until it drops to ``lowWater``.
public struct FlowControl: Sendable {
    /// What the host should do with the consumer's partitions after a call.
    public enum Action: Sendable, Hashable {
        /// Nothing changes.
        case none
        /// Pause fetching: in-flight work reached the high-water mark.
        case pause
        /// Resume fetching: in-flight work drained to the low-water mark.
        case resume
    }

    /// The in-flight count at which fetching pauses.
    public let highWater: Int
    /// The in-flight count at which paused fetching resumes.
    public let lowWater: Int
    /// Messages currently in flight.
    public private(set) var inFlight = 0
    /// Whether the last action returned was ``Action/pause``.
    public private(set) var isPaused = false

    /// Creates a flow control that pauses at `highWater` and resumes at `lowWater`.
    ///
    /// - Precondition: `0 <= lowWater < highWater`.
    public init(highWater: Int, lowWater: Int) {
        precondition(lowWater >= 0 && lowWater < highWater, "FlowControl needs 0 <= lowWater < highWater")
        self.highWater = highWater
        self.lowWater = lowWater
    }

    /// Creates a flow control that pauses at `maxInFlight` and resumes at `lowWaterFraction` of it (rounded
    /// down, and always below `maxInFlight`).
    ///
    /// - Precondition: `maxInFlight >= 1` and `0 <= lowWaterFraction < 1`.
    public init(maxInFlight: Int, lowWaterFraction: Double = 0.5) {
        precondition(maxInFlight >= 1, "FlowControl needs maxInFlight >= 1")
        precondition(lowWaterFraction >= 0 && lowWaterFraction < 1, "FlowControl needs 0 <= lowWaterFraction < 1")
        let low = min(Int((Double(maxInFlight) * lowWaterFraction).rounded(.down)), maxInFlight - 1)
        self.init(highWater: maxInFlight, lowWater: low)
    }

    /// Counts `count` messages taken from the consumer.
    ///
    /// - Returns: ``Action/pause`` when this reaches the high-water mark while running, else ``Action/none``.
    public mutating func acquire(_ count: Int = 1) -> Action {
        precondition(count >= 0, "FlowControl.acquire needs a count >= 0")
        inFlight += count
        guard !isPaused, inFlight >= highWater else { return .none }
        isPaused = true
        return .pause
    }

    /// Counts `count` messages finished or dropped.
    ///
    /// - Returns: ``Action/resume`` when this drops to the low-water mark while paused, else ``Action/none``.
    public mutating func release(_ count: Int = 1) -> Action {
        precondition(count >= 0 && count <= inFlight, "FlowControl.release needs 0 <= count <= inFlight")
        inFlight -= count
        guard isPaused, inFlight <= lowWater else { return .none }
        isPaused = false
        return .resume
    }
}
