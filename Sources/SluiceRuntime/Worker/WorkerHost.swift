public import Logging
import Metrics
public import ServiceLifecycle
public import SluiceCore
import SluiceKafka
import Synchronization
import Tracing

/// Runs one node of a graph: consumes its inputs, calls the node, produces its outputs and commits.
///
/// ```
/// input topics ─▶ KafkaConsumer ─chunks─▶ KeyedSequencer ─▶ ready ─▶ `concurrency` lanes: node.process
///                      ▲                                                                   │ outputs
///      store(committable) ◀── OffsetWatermark.finish ◀── delivery reports ◀── KafkaProducer ◀┘
/// ```
/// The consumer hands over whole fetched chunks; the lanes are long-lived tasks that take started items oldest
/// first, so an input costs no task of its own. The lanes run on the node's actor: calling the node is no executor
/// hop, and the host's per-input work (decoding, building outputs) shares the node's serial executor, interleaving
/// wherever the node suspends. A key's next item becomes ready only when the one before it is done. A
/// ``NodeExecution/synchronous`` node has no lanes: the task that reads the chunks runs their inputs itself, on the
/// node's actor, in read order (which keeps each key's order without sequencing).
/// At-least-once: an input's offset is finished only when the node returned *and* the broker acknowledged
/// every output (or the dead-letter record), and offsets are stored for commit only over a contiguous run of
/// finished inputs. An input that keeps throwing goes to the node's dead-letter topic after `retries` retries;
/// one that is not a valid envelope goes there at once.
///
/// A ``Service``: run it in a `ServiceGroup`. On graceful shutdown it stops reading, drops the inputs it read but
/// has not started (the partition's next owner processes them), lets running inputs finish, stores their offsets,
/// closes the consumer (which commits) and the producer, and returns.
public final class WorkerHost: Service, Sendable {
    /// The node's name in the graph.
    public let nodeName: String
    /// This worker's identity (`group.instance.id`, and in ``origin``).
    public let instanceID: String
    /// The `sluice-origin` of its outputs: `node@instance`, or the instance id alone when it already starts
    /// with `node@` (as the default `node@host:pid` does).
    public var origin: String { Self.origin(node: nodeName, instanceID: instanceID) }

    static func origin(node: String, instanceID: String) -> String {
        instanceID.hasPrefix("\(node)@") ? instanceID : "\(node)@\(instanceID)"
    }

    let spec: NodeSpec
    let topology: NodeTopology
    /// How each input topic's records are read; each lane keeps the rules of its last input's topic (``LaneCache``).
    let inputTopics: [String: InputTopic]
    let configuration: WorkerConfiguration
    let logger: Logger
    let node: any Node
    /// The node is ``NodeExecution/synchronous``: the intake runs its inputs, there are no lanes.
    let runsInline: Bool
    /// What every ``NodeContext`` of this host shares.
    let contextTemplate: NodeContext.Template
    /// Header values every output shares.
    let outputHeaders: OutputHeaders
    let retryPolicy: RetryPolicy
    let state: Mutex<HostState>
    /// Inputs read and not finished (``WorkerConfiguration/maxPendingInputs``).
    let pending: InFlightLimit
    /// Exactly-once transactions run one at a time.
    let transactionLock = AsyncLock()
    let control = Mutex(Control())
    let metrics: HostMetrics
    /// Whether a tracer was bootstrapped: without one, inputs skip the span (and its cost) and outputs keep the
    /// input's trace context.
    let tracing = !(InstrumentationSystem.tracer is NoOpTracer)

    /// Whether outputs and offsets are committed in transactions (`delivery: exactly-once`).
    var exactlyOnce: Bool { spec.delivery == .exactlyOnce }

    /// Who may stop the consume loop, and why it stopped.
    struct Control {
        var consumer: KafkaConsumer?
        var producer: KafkaProducer?
        var pulling: Task<Void, Never>?
        var failure: (any Error)?
        /// Exactly-once: asks the transaction loop for a transaction.
        var transactionRequests: AsyncStream<Void>.Continuation?
        /// Cancelled without a graceful drain: commit nothing more, as after a crash.
        var abandoned = false
    }

    /// Prepares the host of node `node` of `graph` and creates the node; nothing touches Kafka until ``run()``.
    ///
    /// - Throws: ``SpecError`` for an invalid spec, ``NodeError`` for an unknown node or kind, or what the
    ///   node's initializer throws.
    public init(
        graph: GraphSpec, node nodeName: String, registry: NodeRegistry, configuration: WorkerConfiguration,
        logger: Logger
    ) throws {
        let topology = try Topology(graph)
        guard let spec = graph.node(named: nodeName), let nodeTopology = topology.node(named: nodeName) else {
            throw NodeError(
                code: .unknownNode,
                message:
                    "graph '\(graph.graph)' has no node '\(nodeName)' (nodes: \(graph.nodes.map(\.name).joined(separator: ", ")))"
            )
        }
        let instanceID = configuration.instanceID ?? WorkerConfiguration.defaultInstanceID(node: nodeName)
        var logger = logger
        logger[metadataKey: MetadataKey.node] = "\(nodeName)"
        logger[metadataKey: MetadataKey.instance] = "\(instanceID)"
        self.nodeName = nodeName
        self.instanceID = instanceID
        self.spec = spec
        self.topology = nodeTopology
        let entryTopics = Set(topology.topics.filter { $0.role == .entry }.map(\.name))
        self.inputTopics = Dictionary(
            nodeTopology.inputs.map { input in
                (
                    input.topic,
                    InputTopic(
                        decoding: entryTopics.contains(input.topic) ? .lenient : .strict,
                        maxIterations: input.ref.maxIterations)
                )
            },
            uniquingKeysWith: InputTopic.merging)
        self.configuration = configuration
        self.logger = logger
        self.retryPolicy = RetryPolicy(
            maxRetries: spec.retries, baseDelay: configuration.retryBaseDelay,
            maxDelay: max(configuration.retryBaseDelay, configuration.retryMaxDelay))
        let node = try registry.makeNode(
            NodeSetup(
                name: nodeName, kind: spec.kind, instanceID: instanceID, config: spec.config, ports: spec.ports,
                logger: logger))
        self.node = node
        self.runsInline = type(of: node).execution == .synchronous
        // Inputs run one at a time in read order inline: no key needs sequencing.
        self.state = Mutex(
            HostState(ordered: spec.ordering == .key && !runsInline, readAhead: max(4 * spec.concurrency, 256)))
        self.pending = InFlightLimit(permits: max(configuration.maxPendingInputs, 2 * spec.concurrency))
        self.metrics = HostMetrics(node: nodeName)
        self.outputHeaders = OutputHeaders(
            origin: Self.origin(node: nodeName, instanceID: instanceID),
            specVersion: graph.version)
        self.contextTemplate = NodeContext.Template(
            node: nodeName, instanceID: instanceID, config: spec.config, ports: spec.ports, logger: logger)
    }

    /// Consumes until graceful shutdown (or cancellation), then drains, commits and closes.
    ///
    /// Cancellation is not a graceful shutdown: in-flight work is abandoned, and with `delivery: exactly-once`
    /// nothing more is committed, as after a crash.
    ///
    /// - Throws: a ``KafkaError`` when a client cannot be created, an output could not be delivered or a
    ///   transaction failed; the offsets of that work are not committed, so a restart processes it again.
    public func run() async throws {
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger) { [self] reports in
            delivered(reports)
        }
        if exactlyOnce {
            do {
                try await producer.initTransactions()
            } catch {
                await producer.close(timeout: .zero)
                throw error
            }
        }
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger) { [self] event in
            await rebalance(event)
        }
        let (transactionRequests, requester) = AsyncStream.makeStream(
            of: Void.self, bufferingPolicy: .bufferingNewest(1))
        control.withLock { control in
            control.consumer = consumer
            control.producer = producer
            if exactlyOnce { control.transactionRequests = requester }
        }
        defer { control.withLock { $0 = Control(failure: $0.failure) } }

        try consumer.subscribe(topics: Array(Set(topology.inputs.map(\.topic))).sorted())
        logger.info(
            "worker started",
            metadata: [
                MetadataKey.topics: "\(topology.inputs.map(\.topic))", MetadataKey.delivery: "\(spec.delivery)",
                MetadataKey.allocator: "\(Allocator.name)",
                MetadataKey.execution: "\(runsInline ? "synchronous" : "concurrent, \(spec.concurrency) lanes")",
            ])
        let pulling = Task {
            if runsInline {
                await runInline(on: node, consumer: consumer, producer: producer)
            } else {
                await pull(from: consumer)
            }
        }
        control.withLock { $0.pulling = pulling }
        // Offsets move through periodic stores (at-least-once) or transactions (exactly-once).
        let committing =
            exactlyOnce
            ? [Task { await runTransactions(transactionRequests) }, Task { await tickTransactions() }]
            : [Task { await storePeriodically(consumer) }]

        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                if runsInline {
                    await pulling.value
                    return
                }
                await withDiscardingTaskGroup { group in
                    for _ in 0..<spec.concurrency {
                        group.addTask { await self.runLane(on: self.node, producer: producer) }
                    }
                }
            } onGracefulShutdown: {
                pulling.cancel()
            }
        } onCancel: {
            control.withLock { $0.abandoned = true }
            pulling.cancel()
        }

        // Every input has been processed; wait for the last delivery reports so their offsets finish too.
        do {
            try await producer.flush(timeout: configuration.revokeTimeout)
        } catch {
            fail(error)
        }
        requester.finish()
        for task in committing {
            task.cancel()
            await task.value
        }
        if exactlyOnce {
            if control.withLock({ $0.abandoned }) {
                let (held, inFlight) = state.withLock { ($0.heldCount, $0.inFlight) }
                logger.warning(
                    "cancelled: \(inFlight + held) input(s) left uncommitted (\(held) finished, \(inFlight) not)")
            }
            await commitTransaction()
        } else {
            storeCommittable(consumer)
        }
        logger.info("worker draining done, closing")
        await consumer.close()
        await producer.close()
        await node.close()
        if let failure = control.withLock({ $0.failure }) { throw failure }
    }

    /// Reads chunks of messages while pending slots are free and hands their startable items to the lanes; closes
    /// the intake when cancelled or when the consumer ends: the lanes end once their running inputs are done.
    private func pull(from consumer: KafkaConsumer) async {
        defer { closeIntake() }
        var batches = consumer.batches.makeAsyncIterator()
        // Room first, then the next chunk: a chunk waiting here would be memory the read-ahead bound does not see.
        while await waitForReadAheadRoom(), let batch = await batches.next() {
            guard await pending.acquire(batch.count) else { return }
            admit(batch)
            if Task.isCancelled { return }
        }
    }

    /// Takes a chunk read under its permits: its started items go to idle lanes or wait in the ready queue.
    func admit(_ batch: [KafkaMessage]) {
        let (intake, inFlight) = state.withLock { ($0.take(batch), $0.inFlight) }
        pending.release(intake.dropped)
        for (lane, item) in intake.wakeups { lane.resume(returning: item) }
        metrics.inFlight.record(inFlight)
    }

    /// Takes no more items: drops those not started and ends the idle lanes.
    func closeIntake() {
        let (wakeups, dropped) = state.withLock { $0.closeIntake() }
        pending.release(dropped)
        for (lane, item) in wakeups { lane.resume(returning: item) }
    }

    /// Waits while more items than the read-ahead bound (four per lane, at least 256) wait for a lane; the lane that
    /// starts the item bringing them down to it resumes the intake (see ``HostState/hasReadAheadRoom(orPark:)``).
    ///
    /// - Returns: `false` if cancelled meanwhile.
    private func waitForReadAheadRoom() async -> Bool {
        if state.withLock({ $0.hasReadAheadRoom(orPark: nil) }) { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { intake in
                let resume = state.withLock { state -> Bool? in
                    if Task.isCancelled { return false }
                    return state.hasReadAheadRoom(orPark: intake) ? true : nil
                }
                if let resume { intake.resume(returning: resume) }
            }
        } onCancel: {
            state.withLock { $0.takeWaitingIntake() }?.resume(returning: false)
        }
    }

    private func storePeriodically(_ consumer: KafkaConsumer) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.storeInterval)
            storeCommittable(consumer)
        }
    }

    /// Stores the finished positions; under the state lock, so a revoke cannot slip between taking them and
    /// storing them.
    func storeCommittable(_ consumer: KafkaConsumer) {
        state.withLock { state in
            let positions = state.committable()
            do {
                try consumer.store(positions)
            } catch {
                logger.warning("storing offsets failed: \(error)", metadata: [MetadataKey.offsets: "\(positions)"])
            }
        }
    }

    /// Changes the state under its lock, then resumes the intake if the change started or dropped enough items to
    /// make read-ahead room (see ``HostState/intakeWithRoom()``): every change that can do so goes through here.
    func updateState<Result: Sendable>(_ body: (inout HostState) -> Result) -> Result {
        let (result, intake) = state.withLock { state in (body(&state), state.intakeWithRoom()) }
        intake?.resume(returning: true)
        return result
    }

    /// Stops the host because of an error it cannot process past; ``run()`` rethrows it after draining.
    func fail(_ error: any Error) {
        let pulling = control.withLock { control -> Task<Void, Never>? in
            if control.failure == nil { control.failure = error }
            return control.pulling
        }
        logger.error("worker stopping: \(error)")
        pulling?.cancel()
    }

    private var consumerConfiguration: KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(client: configuration.client, groupID: topology.consumerGroup)
        if self.configuration.staticMembership { configuration.groupInstanceID = instanceID }
        configuration.bufferCapacity = self.configuration.consumerBufferCapacity ?? max(64, spec.concurrency)
        // librdkafka prefetches up to 64 MB by default: most of a slow worker's memory. 16 MB still keeps a fast
        // node's fetches ahead of it, the rest of a backlog waiting in the broker, provided a partition whose queue
        // reached it is fetched again soon: librdkafka postpones that fetch by `fetch.queue.backoff.ms`, 1 s by
        // default, which stalled fast nodes working through a backlog (a passthrough chain ran about 8 % slower).
        if configuration.client.properties["queued.max.messages.kbytes"] == nil {
            configuration.client.properties["queued.max.messages.kbytes"] = "16384"
            if configuration.client.properties["fetch.queue.backoff.ms"] == nil {
                configuration.client.properties["fetch.queue.backoff.ms"] = "100"
            }
        }
        // Exactly-once: offsets are committed only inside transactions.
        if exactlyOnce { configuration.autoCommitIntervalMilliseconds = 0 }
        return configuration
    }

    private var producerConfiguration: KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(client: configuration.client)
        if exactlyOnce {
            configuration.transactionalID = transactionalID
            // As Kafka Streams does for exactly-once: a crashed instance's open transaction blocks read_committed
            // readers of its partitions for at most this long, unless its successor fences it sooner.
            // librdkafka requires message.timeout.ms ≤ transaction.timeout.ms.
            if configuration.client.properties["transaction.timeout.ms"] == nil {
                configuration.client.properties["transaction.timeout.ms"] = "10000"
                configuration.messageTimeoutMilliseconds = 10_000
            }
        }
        return configuration
    }
}

/// Logger metadata keys.
enum MetadataKey {
    static let node = "sluice.node"
    static let instance = "sluice.instance"
    static let correlationID = "sluice.correlation-id"
    static let attempt = "sluice.attempt"
    static let topics = "kafka.topics"
    static let topic = "kafka.topic"
    static let partition = "kafka.partition"
    static let offset = "kafka.offset"
    static let offsets = "kafka.offsets"
    static let delivery = "sluice.delivery"
    static let allocator = "sluice.allocator"
    static let execution = "sluice.execution"
}

/// Counters and the in-flight gauge of one node, reported to whatever metrics backend the executable
/// bootstrapped (none by default).
struct HostMetrics: Sendable {
    let processed: Counter
    let failed: Counter
    let deadLettered: Counter
    let inFlight: Gauge
    let transactions: Counter

    init(node: String) {
        let dimensions = [("node", node)]
        processed = Counter(label: "sluice_node_processed_total", dimensions: dimensions)
        failed = Counter(label: "sluice_node_failed_attempts_total", dimensions: dimensions)
        deadLettered = Counter(label: "sluice_node_dead_lettered_total", dimensions: dimensions)
        inFlight = Gauge(label: "sluice_node_in_flight", dimensions: dimensions)
        transactions = Counter(label: "sluice_node_transactions_total", dimensions: dimensions)
    }
}
