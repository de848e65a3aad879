import SluiceKafka

/// The client settings of one measurement, the single source for both sides: the Swift clients are built from
/// these configurations and the C tool gets the same librdkafka properties as `-X name=value`, so each ratio
/// compares like with like.
struct KafkaBenchSettings: Sendable {
    var brokers: String
    var count: Int
    var valueSize: Int
    /// `fetch.wait.max.ms`, the same for every consumer on both sides.
    var fetchWaitMilliseconds: Int

    var client: KafkaClientOptions { KafkaClientOptions(brokers: brokers, clientID: "sluice-bench") }

    /// The layer's defaults, which are what the benchmark measures: linger 5 ms, acks all, idempotence on.
    var producer: KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(client: client)
        configuration.lingerMilliseconds = 5
        return configuration
    }

    /// The layer's defaults, with a group of its own and the shared `fetch.wait.max.ms`.
    func consumer(group: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: group)
        configuration.fetchWaitMaxMilliseconds = fetchWaitMilliseconds
        return configuration
    }

    /// Settings `Benchmarks/c-relay/relay.c` hard-codes, where they differ from the layer's defaults: its
    /// producer is not idempotent.
    var relayProducer: KafkaProducerConfiguration {
        var configuration = producer
        configuration.idempotence = false
        return configuration
    }

    /// relay.c's consumer stores each offset as it is polled (librdkafka's default); the layer stores only what
    /// the application stores.
    func relayConsumer(group: String) -> KafkaConsumerConfiguration {
        var configuration = consumer(group: group)
        configuration.client.properties["enable.auto.offset.store"] = "true"
        return configuration
    }

    /// A `valueSize`-byte value.
    var value: [UInt8] { (0..<valueSize).map { UInt8(ascii: "a") + UInt8($0 % 26) } }

    /// `-X name=value` arguments for `rdkafka_performance` carrying these properties, without the connection
    /// ones it is given otherwise.
    static func cToolArguments(_ properties: [String: String]) -> [String] {
        properties.filter { $0.key != "bootstrap.servers" && $0.key != "client.id" }
            .sorted { $0.key < $1.key }
            .flatMap { ["-X", "\($0.key)=\($0.value)"] }
    }
}
