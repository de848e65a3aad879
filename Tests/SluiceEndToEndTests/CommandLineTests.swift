import Foundation
import Testing

/// The `sluice` command line as a user runs it: flags it shares across commands.
@Suite("sluice command line")
struct CommandLineTests {
    /// Runs `$SLUICE_BIN/sluice` with `arguments` and returns its exit status and standard error.
    private func sluice(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = try WorkerProcess.binary()
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    private var spec: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../examples/specs/linear.yaml"
        ).standardized.path
    }

    @Test func aPropertyWithoutAValueIsRejectedBeforeAnythingConnects() throws {
        let (status, stderr) = try sluice(["publish", spec, "--input", "events", "-X", "linger.ms"])
        #expect(status == 64, "a usage error")
        #expect(stderr.contains("-X/--property 'linger.ms': expected name=value"), "\(stderr)")
    }

    @Test func anUnknownLibrdkafkaPropertyFailsWithItsName() throws {
        // Creating the client fails before it connects, so no broker is needed.
        let (status, stderr) = try sluice([
            "publish", spec, "--input", "events", "--count", "1", "--brokers", "127.0.0.1:9", "-X", "bogus.property=1",
        ])
        #expect(status == 1)
        #expect(stderr.contains("bogus.property"), "\(stderr)")
    }
}
