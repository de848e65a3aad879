import Foundation
public import Logging
public import SluiceCore
import Synchronization

/// What ``Node/process(_:context:)`` gets besides the input: who is running, the node's configuration, a
/// logger, and ``emit(_:to:)`` for outputs.
///
/// Emitted outputs are held until `process` returns and then produced, in emission order, each with the
/// input's correlation id as the Kafka key. A context belongs to one attempt at one input; do not keep it.
public final class NodeContext: Sendable {
    /// The message being processed.
    public let input: NodeInput
    /// Which attempt this is: 1 the first time, then one more for each retry.
    public let attempt: Int

    private let template: Template
    private let emitted = Mutex(Emissions())

    /// What every context of one worker shares, made once.
    final class Template: Sendable {
        let node: String
        let instanceID: String
        let config: JSONValue
        /// A node has a few ports: comparing with each costs less than hashing the name.
        let ports: [String]
        let logger: Logger

        init(node: String, instanceID: String, config: JSONValue, ports: [String], logger: Logger) {
            self.node = node
            self.instanceID = instanceID
            self.config = config
            self.ports = ports
            self.logger = logger
        }
    }

    /// One output waiting for `process` to return.
    struct Emission: Sendable {
        var port: String
        var payload: [UInt8]
    }

    /// The outputs of one attempt, in emission order.
    typealias Emissions = InlineList<Emission>

    init(host template: Template, input: NodeInput, attempt: Int) {
        self.template = template
        self.input = input
        self.attempt = attempt
    }

    /// The node's name in the graph.
    public var node: String { template.node }

    /// The worker process running this attempt.
    public var instanceID: String { template.instanceID }

    /// The node's `config` from the spec.
    public var config: JSONValue { template.config }

    /// A logger with the node, instance, correlation id and source offset as metadata.
    public var logger: Logger {
        template.logger.forInput(
            topic: input.topic, partition: input.partition, offset: input.offset, correlationID: input.correlationID)
    }

    /// The input's correlation id, which every output keeps.
    public var correlationID: String { input.correlationID }

    /// The input's loop iteration, which every output keeps.
    public var iteration: Int { input.iteration }

    /// The input payload decoded as `type`.
    public func payload<T: Decodable>(as type: T.Type) throws(EnvelopeError) -> T {
        try input.payload(as: type)
    }

    /// Emits `payload`, encoded as JSON, to `port`.
    ///
    /// - Throws: ``NodeError/Code/unknownPort`` when the node has no such port, ``NodeError/Code/invalidOutput``
    ///   when the value cannot be encoded.
    public func emit(_ payload: some Encodable, to port: String = "out") throws(NodeError) {
        let bytes: [UInt8]
        do {
            bytes = Array(try JSONEncoder().encode(payload))
        } catch {
            throw NodeError(code: .invalidOutput, message: "cannot encode output for port '\(port)' as JSON: \(error)")
        }
        try append(Emission(port: port, payload: bytes))
    }

    /// Emits a payload that is already JSON (for example the input's ``NodeInput/rawPayload``) to `port`.
    ///
    /// - Throws: ``NodeError/Code/unknownPort`` when the node has no such port, ``NodeError/Code/invalidOutput``
    ///   when the bytes are not one JSON document.
    public func emit(rawJSON payload: [UInt8], to port: String = "out") throws(NodeError) {
        do {
            // The input's own payload was checked when it was decoded.
            if !payload.sharesStorage(with: input.rawPayload) { try JSONSyntax.validate(payload) }
        } catch {
            throw NodeError(code: .invalidOutput, message: "output for port '\(port)' is not JSON: \(error)")
        }
        try append(Emission(port: port, payload: payload))
    }

    private func append(_ emission: Emission) throws(NodeError) {
        guard template.ports.contains(emission.port) else {
            throw NodeError(
                code: .unknownPort,
                message:
                    "node '\(node)' has no port '\(emission.port)' (ports: \(template.ports.sorted().joined(separator: ", ")))"
            )
        }
        emitted.withLock { $0.append(emission) }
    }

    /// The outputs emitted so far, in order; the host takes them once `process` returned.
    func takeEmissions() -> Emissions {
        emitted.withLock { emissions in
            defer { emissions = Emissions() }
            return emissions
        }
    }
}

extension Array where Element == UInt8 {
    /// Whether both arrays are views of the same buffer (so equal without comparing their bytes).
    fileprivate func sharesStorage(with other: [UInt8]) -> Bool {
        count == other.count
            && withUnsafeBufferPointer { mine in other.withUnsafeBufferPointer { mine.baseAddress == $0.baseAddress } }
    }
}
