import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process that runs beside the benchmark (a worker, a C relay): started, measured and stopped by its
/// PID. Its standard output and error go to a log file.
final class BackgroundProcess: @unchecked Sendable {
    let name: String
    let logFile: URL
    private let process = Process()

    /// Starts `executable` with `arguments`; output goes to `logDirectory/name.log`.
    init(name: String, executable: String, arguments: [String], logDirectory: URL) throws {
        self.name = name
        logFile = logDirectory.appendingPathComponent("\(name).log")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: logFile)
        defer { try? output.close() }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        do {
            try withSignalsUnblocked { try process.run() }
        } catch {
            throw BenchError("cannot start \(name) (\(executable)): \(error)")
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// The resident set size now (`VmRSS` of `/proc/PID/status`), in bytes; `nil` once the process is gone or
    /// where there is no `/proc`.
    var residentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// CPU time used so far (user + system), in seconds; `nil` once the process is gone.
    var cpuSeconds: Double? { ProcessCPU.seconds(pid: pid) }

    /// The log so far.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// The last lines of the log, for error messages.
    func logTail(_ lines: Int = 8) -> String {
        log.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Waits until the log contains `text`; throws if the process exits or `timeout` passes first.
    func waitForLog(_ text: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !log.contains(text) {
            guard isRunning else { throw BenchError("\(name) exited (\(exitStatus ?? -1)):\n\(logTail())") }
            guard ContinuousClock.now < deadline else {
                throw BenchError("\(name): no '\(text)' within \(timeout):\n\(logTail())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits for the process to exit by itself; `false` if it still runs after `timeout`.
    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !isRunning
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`. Returns the exit status.
    @discardableResult
    func stop(grace: Duration = .seconds(15)) async -> Int32 {
        if isRunning { kill(pid, SIGTERM) }
        if await !waitForExit(timeout: grace) {
            progress("\(name) (pid \(pid)) ignored SIGTERM for \(grace): SIGKILL")
            kill(pid, SIGKILL)
            _ = await waitForExit(timeout: .seconds(5))
        }
        return process.isRunning ? -1 : process.terminationStatus
    }
}

/// Samples the resident set size of processes every `interval` and keeps each one's peak.
enum PeakMemory {
    /// Samples until the returned task is cancelled; its value is each process's peak, in bytes, by name.
    static func sample(_ processes: [BackgroundProcess], interval: Duration = .milliseconds(100)) -> Task<
        [String: Int], Never
    > {
        Task {
            var peaks: [String: Int] = [:]
            repeat {
                for process in processes {
                    guard let bytes = process.residentBytes else { continue }
                    peaks[process.name] = max(peaks[process.name] ?? 0, bytes)
                }
                try? await Task.sleep(for: interval)
            } while !Task.isCancelled
            return peaks
        }
    }
}

/// CPU time of a process from `/proc/PID/stat`.
enum ProcessCPU {
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// User plus system time of `pid`, in seconds; `nil` when the process is gone or there is no `/proc`.
    static func seconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }
}
