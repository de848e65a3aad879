import ArgumentParser
import SluiceKafka
@main struct Sluice: AsyncParsableCommand {
    func run() async throws { print(LibrdkafkaVersion.string) }
}
