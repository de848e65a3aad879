import Logging

/// The log handler of one input's logger: the host's handler, plus where the input came from, turned into
/// metadata only when a line is actually logged.
///
/// Setting metadata on the host's logger instead (`logger[metadataKey:] = …`, four times per input) made
/// `StreamLogHandler` re-render all of its metadata each time, which cost a pass-through node more CPU than
/// everything else it does for an input.
struct InputLogHandler: LogHandler {
    var base: any LogHandler
    var topic: String
    var partition: Int32
    var offset: Int64
    var correlationID: String?
    /// Metadata set on this handler itself (by the host or the node).
    var added: Logger.Metadata = [:]

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    /// The input's own metadata, then anything added.
    private var inputMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            MetadataKey.topic: "\(topic)", MetadataKey.partition: "\(partition)", MetadataKey.offset: "\(offset)",
        ]
        if let correlationID { metadata[MetadataKey.correlationID] = "\(correlationID)" }
        return metadata.merging(added) { $1 }
    }

    var metadata: Logger.Metadata {
        get { base.metadata.merging(inputMetadata) { $1 } }
        set { added = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inputMetadata[key] ?? base[metadataKey: key] }
        set { added[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.metadata = inputMetadata.merging(event.metadata ?? [:]) { $1 }
        base.log(event: event)
    }
}

extension Logger {
    /// This logger, with an input's topic, partition and offset (and `correlationID`) as metadata.
    func forInput(topic: String, partition: Int32, offset: Int64, correlationID: String? = nil) -> Logger {
        let handler = InputLogHandler(
            base: self.handler, topic: topic, partition: partition, offset: offset, correlationID: correlationID)
        return Logger(label: label) { _ in handler }
    }
}
