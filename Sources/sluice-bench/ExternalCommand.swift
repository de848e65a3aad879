import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A program run to completion with its output captured, stopped (by its PID) if it overruns its time.
struct ExternalCommand {
    var executable: String
    var arguments: [String]

    var commandLine: String { ([executable] + arguments).joined(separator: " ") }

    /// Runs the program; returns its standard output and error, interleaved. Throws if it cannot start,
    /// overruns `timeout` or exits with a status not in `successStatuses`.
    func run(timeout: Duration, successStatuses: Set<Int32> = [0]) async throws -> String {
        let outputFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-bench-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output

        let pid = PIDCell()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            pid.stop()
        }
        defer { watchdog.cancel() }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try withSignalsUnblocked { try process.run() }
                pid.set(process.processIdentifier)
            } catch {
                continuation.resume(throwing: BenchError("cannot start \(executable): \(error)"))
            }
        }
        pid.set(0)
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        guard successStatuses.contains(status), !pid.wasStopped else {
            let tail = text.split(separator: "\n").suffix(8).joined(separator: "\n")
            let reason = pid.wasStopped ? "did not finish within \(timeout)" : "exited with status \(status)"
            throw BenchError("`\(commandLine)` \(reason)\n\(tail)")
        }
        return text
    }
}

/// The PID of a running child, which the watchdog may stop; 0 once it has exited.
private final class PIDCell: Sendable {
    private let pid = Atomic<Int32>(0)
    private let stopped = Atomic<Bool>(false)

    func set(_ value: Int32) { pid.store(value, ordering: .sequentiallyConsistent) }

    /// Sends SIGTERM to the child if it still runs.
    func stop() {
        let value = pid.load(ordering: .sequentiallyConsistent)
        guard value > 0 else { return }
        stopped.store(true, ordering: .sequentiallyConsistent)
        kill(value, SIGTERM)
    }

    var wasStopped: Bool { stopped.load(ordering: .sequentiallyConsistent) }
}
