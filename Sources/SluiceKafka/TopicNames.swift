import Crdkafka

/// librdkafka topic names by topic handle, each converted to a `String` once: a handle lives as long as its client,
/// so the name of a consumed message or a delivery report is a dictionary lookup, not a C-string copy.
struct TopicNames {
    private var names: [OpaquePointer: String] = [:]

    mutating func name(of rkt: OpaquePointer) -> String {
        if let name = names[rkt] { return name }
        let name = String(cString: rd_kafka_topic_name(rkt))
        names[rkt] = name
        return name
    }
}
