/// A change of a consumer's partition assignment, delivered before offsets move.
public enum RebalanceEvent: Sendable, Equatable {
    /// These partitions are now assigned; their messages follow this event.
    case assigned(Set<TopicPartition>)
    /// These partitions are about to be taken away. The handler runs before they are unassigned: finish
    /// their in-flight work and store or commit offsets now. No message of them is delivered afterwards.
    case revoked(Set<TopicPartition>)
    /// These partitions were lost (e.g. the session timed out): another member may own them already, so
    /// committing their offsets would fail; drop their work.
    case lost(Set<TopicPartition>)
}
