import SluiceKafka

/// Exactly-once: the outputs of finished inputs, held back until a transaction can take them together with their
/// inputs' offsets.
///
/// An input's outputs may only be committed in the same transaction as an offset that covers the input;
/// otherwise a crash after the commit would process the input again and duplicate them. Positions move over a
/// contiguous run of finished offsets (``OffsetWatermark``), so outputs of an input finished *above* an unfinished
/// one wait for the next transaction:
///
/// ```
/// offsets      10  11  12  13        position 12 (12 still running)
/// held         x   x   .   x    ──▶  take(below: 12) = outputs of 10, 11; 13's stay held
/// ```
struct HeldOutputs {
    private struct Entry {
        var offset: Int64
        var records: [KafkaRecord]
    }

    private var entries: [TopicPartition: [Entry]] = [:]

    /// Inputs held, over all partitions.
    private(set) var count = 0

    /// Holds the outputs of the input at `offset` of `partition` (possibly none: its offset still needs a
    /// transaction).
    mutating func hold(_ records: [KafkaRecord], partition: TopicPartition, offset: Int64) {
        entries[partition, default: []].append(Entry(offset: offset, records: records))
        count += 1
    }

    /// Takes the outputs of every held input below `positions[partition]`, ordered by input offset within a
    /// partition (so per-key order survives concurrency).
    ///
    /// - Returns: the records and how many inputs they came from.
    mutating func take(below positions: [TopicPartition: Int64]) -> (records: [KafkaRecord], inputs: Int) {
        var records: [KafkaRecord] = []
        var inputs = 0
        for (partition, position) in positions {
            guard let held = entries[partition] else { continue }
            var taken: [Entry] = []
            var kept: [Entry] = []
            for entry in held {
                if entry.offset < position { taken.append(entry) } else { kept.append(entry) }
            }
            taken.sort { $0.offset < $1.offset }
            for entry in taken { records += entry.records }
            inputs += taken.count
            entries[partition] = kept.isEmpty ? nil : kept
        }
        count -= inputs
        return (records, inputs)
    }

    /// Forgets what is held for `partitions` (revoked: the next owner processes those inputs again).
    ///
    /// - Returns: how many inputs were dropped.
    mutating func drop(_ partitions: Set<TopicPartition>) -> Int {
        var dropped = 0
        for partition in partitions {
            dropped += entries.removeValue(forKey: partition)?.count ?? 0
        }
        count -= dropped
        return dropped
    }
}
