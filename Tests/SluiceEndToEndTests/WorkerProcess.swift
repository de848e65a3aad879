import Foundation
import SluiceTestSupport
import Synchronization
import Testing

/// One `sluice worker` child process, its PID and its log file.
///
/// ```
/// start ─▶ $SLUICE_BIN/sluice worker SPEC --node N --instance-id ID … ─▶ log file
///   stop(.sigterm)  graceful: drain, commit, exit 0
///   stop(.sigkill)  crash: nothing committed after the last background commit
/// ```
/// Foundation reaps the child when it exits; `deinit` and the process-wide ``ChildProcesses`` registry kill any
/// child a test left running, and a watchdog kills it if the test process crashes, so none outlives the tests.
final class WorkerProcess: Sendable {
    enum Signal: Int32 {
        case sigterm = 15
        case sigkill = 9
    }

    let node: String
    let instanceID: String
    let logURL: URL
    let pid: Int32
    private let process: Process
    /// Set by Foundation's termination handler once the child has exited and been reaped.
    private let status = ExitStatus()

    /// Starts `sluice worker` for `node` of the spec at `specPath`, writing stdout and stderr to `logURL`.
    init(
        specPath: String, node: String, instanceID: String, dynamicMembership: Bool, brokers: String, logURL: URL
    ) throws {
        self.node = node
        self.instanceID = instanceID
        self.logURL = logURL
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments =
            ["worker", specPath, "--node", node, "--instance-id", instanceID, "--brokers", brokers]
            + (dynamicMembership ? ["--dynamic-membership"] : [])
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        self.process = process
        let status = self.status
        process.terminationHandler = { process in
            let code = process.terminationStatus
            status.value.withLock { $0 = code }
        }
        try process.run()
        try? log.close()
        pid = process.processIdentifier
        ChildProcesses.shared.add(pid)
        Self.watch(pid, marker: specPath)
    }

    /// Starts a watchdog that SIGKILLs the worker (by PID) once the test process is gone, so a crashed test run
    /// leaves no worker behind; it ends with the worker. It checks the worker's command line for `marker`
    /// (the spec path, unique per test) so a reused PID is never killed.
    private static func watch(_ pid: Int32, marker: String) {
        let test = ProcessInfo.processInfo.processIdentifier
        let script = """
            while kill -0 \(test) 2>/dev/null && kill -0 \(pid) 2>/dev/null; do sleep 1; done
            if ! kill -0 \(test) 2>/dev/null && grep -qF "$1" /proc/\(pid)/cmdline 2>/dev/null; then kill -9 \(pid); fi
            """
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = ["-c", script, "sluice-e2e-watchdog", marker]
        watchdog.standardInput = FileHandle.nullDevice
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try? watchdog.run()
    }

    deinit {
        if isRunning { kill(pid, Signal.sigkill.rawValue) }
        ChildProcesses.shared.remove(pid)
    }

    /// `$SLUICE_BIN/sluice`: `make test` sets `SLUICE_BIN` to the folder of the built binary.
    static func binary() throws -> URL {
        guard let folder = ProcessInfo.processInfo.environment["SLUICE_BIN"], !folder.isEmpty else {
            throw MissingBinary(reason: "SLUICE_BIN is not set: run the tests with `make test`")
        }
        let url = URL(fileURLWithPath: folder).appendingPathComponent("sluice")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw MissingBinary(reason: "no sluice binary at \(url.path): build it with `swift build --product sluice`")
        }
        return url
    }

    struct MissingBinary: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    /// The exit status, or `nil` while the process runs.
    var exitStatus: Int32? { status.value.withLock { $0 } }

    var isRunning: Bool { exitStatus == nil }

    /// Sends `signal` to the process (by PID) if it is still running.
    func signal(_ signal: Signal) {
        if isRunning { kill(pid, signal.rawValue) }
    }

    /// Waits for the process to exit and returns its status (the signal number if a signal ended it), or `nil`
    /// if it is still running after `timeout`.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return status }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return exitStatus
    }

    /// Sends `signal` and waits for the exit; a process that ignores SIGTERM for `timeout` is killed.
    /// Returns the exit status, or `nil` if SIGTERM had to be followed by SIGKILL.
    @discardableResult
    func stop(_ signal: Signal = .sigterm, timeout: Duration = .seconds(40)) async -> Int32? {
        self.signal(signal)
        if let status = await waitForExit(timeout: timeout) { return status }
        self.signal(.sigkill)
        _ = await waitForExit(timeout: .seconds(10))
        return nil
    }

    /// The resident set size (`VmRSS` in `/proc/PID/status`), in bytes.
    func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }

    /// The last `lines` lines of the log.
    func logTail(_ lines: Int = 30) -> String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// The exit status of a child, shared with its termination handler.
final class ExitStatus: Sendable {
    let value = Mutex<Int32?>(nil)
}

/// Every child PID still running, killed at exit of the test process if a test could not stop it.
final class ChildProcesses: Sendable {
    static let shared: ChildProcesses = {
        let registry = ChildProcesses()
        atexit { ChildProcesses.shared.killAll() }
        return registry
    }()

    private let pids = Mutex<Set<Int32>>([])

    func add(_ pid: Int32) { _ = pids.withLock { $0.insert(pid) } }
    func remove(_ pid: Int32) { _ = pids.withLock { $0.remove(pid) } }

    private func killAll() {
        for pid in pids.withLock({ $0 }) { kill(pid, WorkerProcess.Signal.sigkill.rawValue) }
    }
}
