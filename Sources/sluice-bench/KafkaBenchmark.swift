import Foundation
import Logging
import SluiceKafka

/// The Swift side of each Kafka benchmark, through SluiceKafka's public API only.
///
/// Each measurement is timed as `rdkafka_performance` times its C counterpart:
/// - producer: from the first `produce` to the last delivery report;
/// - consumer: from the first message to the `count`-th (the group join before it is reported, not counted);
/// - relay: from the first consumed message until the flush after the `count`-th produce has returned.
struct KafkaBenchmark: Sendable {
    var settings: KafkaBenchSettings
    var logger: Logger

    /// Produces `count` values without awaiting each one, then flushes.
    func produce(to topic: String) async throws -> Throughput {
        let producer = try KafkaProducer(configuration: settings.producer, logger: logger)
        let tally = DeliveryTally(expected: settings.count)
        let onDelivery: KafkaProducer.DeliveryHandler = { tally.record($0) }
        let record = KafkaRecord(topic: topic, value: settings.value)

        let start = ContinuousClock.now
        do {
            for sent in 0..<settings.count {
                if sent % 1024 == 0, Task.isCancelled { throw CancellationError() }
                try await producer.produce(record, onDelivery: onDelivery)
            }
            try await producer.flush(timeout: .seconds(120))
        } catch {
            await producer.close(timeout: .zero)
            throw error
        }
        let end = tally.completedAt ?? .now
        await producer.close()
        try tally.check("Swift producer")
        return Throughput(
            messages: settings.count, bytes: settings.count * settings.valueSize, seconds: (end - start).seconds)
    }

    /// Reads `count` messages with a consumer in a group of its own.
    func consume(from topic: String) async throws -> Throughput {
        let consumer = try KafkaConsumer(configuration: settings.consumer(group: Self.uniqueGroup()), logger: logger)
        try consumer.subscribe(topics: [topic])
        let subscribed = ContinuousClock.now
        var first: ContinuousClock.Instant?
        var received = 0
        var bytes = 0
        for await message in consumer.messages {
            if first == nil { first = .now }
            received += 1
            bytes += message.value.count
            if received == settings.count { break }
        }
        let end = ContinuousClock.now
        await consumer.close()
        guard received == settings.count, let first else {
            throw BenchError("Swift consumer: \(received) of \(settings.count) messages arrived")
        }
        return Throughput(
            messages: received, bytes: bytes, seconds: (end - first).seconds,
            warmUpSeconds: (first - subscribed).seconds)
    }

    /// Relays `count` messages from `input` to `output` (key, value and headers), then flushes.
    func relay(from input: String, to output: String) async throws -> Throughput {
        let producer = try KafkaProducer(configuration: settings.relayProducer, logger: logger)
        let consumer = try KafkaConsumer(
            configuration: settings.relayConsumer(group: Self.uniqueGroup()), logger: logger)
        let tally = DeliveryTally(expected: settings.count)
        let onDelivery: KafkaProducer.DeliveryHandler = { tally.record($0) }

        try consumer.subscribe(topics: [input])
        let subscribed = ContinuousClock.now
        var first: ContinuousClock.Instant?
        var relayed = 0
        var bytes = 0
        do {
            for await message in consumer.messages {
                if first == nil { first = .now }
                let record = KafkaRecord(
                    topic: output, key: message.key, value: message.value, headers: message.headers)
                try await producer.produce(record, onDelivery: onDelivery)
                relayed += 1
                bytes += message.value.count
                if relayed == settings.count { break }
            }
            try await producer.flush(timeout: .seconds(120))
        } catch {
            await consumer.close()
            await producer.close(timeout: .zero)
            throw error
        }
        let end = ContinuousClock.now
        await consumer.close()
        await producer.close()
        guard relayed == settings.count, let first else {
            throw BenchError("Swift relay: \(relayed) of \(settings.count) messages arrived")
        }
        try tally.check("Swift relay")
        return Throughput(
            messages: relayed, bytes: bytes, seconds: (end - first).seconds, warmUpSeconds: (first - subscribed).seconds
        )
    }

    static func uniqueGroup() -> String { "sluice-bench-\(UUID().uuidString.prefix(8).lowercased())" }
}
