import Foundation
import SluiceKafka
import SluiceTestSupport
import Testing

@Suite("Errors are clear and bounded", .timeLimit(.minutes(1)))
struct ErrorTests {
    @Test func anUnknownConfigurationKeyIsRejectedNamingTheKey() throws {
        var configuration = KafkaProducerConfiguration(client: KafkaClientOptions(brokers: "127.0.0.1:1"))
        configuration.client.properties["linger.msec"] = "5"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: configuration, logger: TestKafka.logger)
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("linger.msec") == true)
    }

    @Test func anInvalidValueIsRejectedNamingTheProperty() throws {
        var configuration = KafkaConsumerConfiguration(client: KafkaClientOptions(brokers: "127.0.0.1:1"), groupID: "g")
        configuration.client.properties["session.timeout.ms"] = "soon"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer(configuration: configuration, logger: TestKafka.logger)
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("session.timeout.ms") == true)
    }

    @Test func anUnreachableBrokerFailsAdminCallsWithinTheirTimeout() async throws {
        let admin = try KafkaAdmin(options: KafkaClientOptions(brokers: "127.0.0.1:\(unusedPort())"), logger: TestKafka.logger)
        let started = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) { try await admin.listTopics(timeout: .seconds(2)) }
        #expect(ContinuousClock.now - started < .seconds(6))
        #expect(error?.code == .timedOut)
    }

    @Test func anUnreachableBrokerFailsDeliveryWithinTheMessageTimeout() async throws {
        var configuration = KafkaProducerConfiguration(client: KafkaClientOptions(brokers: "127.0.0.1:\(unusedPort())"))
        configuration.messageTimeoutMilliseconds = 2_000
        let producer = try KafkaProducer(configuration: configuration, logger: TestKafka.logger)
        let started = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(KafkaRecord(topic: "nowhere", value: [1]))
        }
        #expect(ContinuousClock.now - started < .seconds(6))
        #expect(error?.code == .timedOut)
        await producer.close(timeout: .milliseconds(100))
    }

    /// A port nothing listens on: bound once by us, then released.
    private func unusedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
