public import Foundation
public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if os(Linux)
private let spawnSetSID: Int16 = 0x80  // POSIX_SPAWN_SETSID, hidden behind _GNU_SOURCE in glibc's headers
#else
private let spawnSetSID: Int16 = Int16(POSIX_SPAWN_SETSID)
#endif

/// A development broker (Tansu, in memory) on 127.0.0.1, started and stopped by PID.
///
/// `make deps` installs the binary at `.deps/bin/tansu`; ``binary()`` also honours `SLUICE_TANSU`.
/// State lives in `stateDirectory`: `broker-<port>.pid` and `broker-<port>.log`.
public struct LocalBroker: Sendable {
    public var port: Int
    public var stateDirectory: URL

    public init(port: Int = 9092, stateDirectory: URL = URL(fileURLWithPath: ".sluice")) {
        self.port = port
        self.stateDirectory = stateDirectory
    }

    /// `127.0.0.1:<port>`.
    public var address: String { "127.0.0.1:\(port)" }
    var pidFile: URL { stateDirectory.appendingPathComponent("broker-\(port).pid") }
    var logFile: URL { stateDirectory.appendingPathComponent("broker-\(port).log") }

    /// The broker's PID if its PID file names a live process.
    public func runningPID() -> Int32? {
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            kill(pid, 0) == 0
        else { return nil }
        return pid
    }

    /// Starts the broker and waits until it answers a metadata request. Returns its PID; if it runs
    /// already (per the PID file), returns that PID.
    @discardableResult
    public func start(logger: Logger, timeout: Duration = .seconds(20)) async throws(KafkaError) -> Int32 {
        if let pid = runningPID() { return pid }
        guard LocalBroker.isPortFree(port) else {
            throw KafkaError(
                code: .invalidArgument,
                message: "port \(port) on 127.0.0.1 is already in use; stop what holds it, or choose another with --port / BROKER_PORT")
        }
        let binary = try LocalBroker.binary()
        do {
            try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw KafkaError(code: .invalidArgument, message: "cannot create \(stateDirectory.path): \(error)")
        }
        let listener = "tcp://\(address)"
        let pid = try LocalBroker.spawn(
            binary, ["broker", "--listener-url", listener, "--advertised-listener-url", listener, "--storage-engine", "memory://tansu/"],
            log: logFile.path)
        try? "\(pid)\n".write(to: pidFile, atomically: true, encoding: .utf8)
        let admin = try KafkaAdmin(options: KafkaClientOptions(brokers: address, clientID: "sluice-broker-check"), logger: Logger(label: "sluice.broker.check", factory: { _ in SwiftLogNoOpLogHandler() }))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard kill(pid, 0) == 0 else { break }
            if (try? await admin.listTopics(timeout: .seconds(1))) != nil {
                logger.info("broker up", metadata: ["broker.address": "\(address)", "broker.pid": "\(pid)"])
                return pid
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        stop()
        let tail = (try? String(contentsOf: logFile, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
        throw KafkaError(code: .timedOut, message: "broker on \(address) did not answer within \(timeout); log \(logFile.path):\n\(tail)")
    }

    /// Stops the broker named by the PID file (SIGTERM, then SIGKILL after 5 s). Returns whether one ran.
    @discardableResult
    public func stop() -> Bool {
        defer { try? FileManager.default.removeItem(at: pidFile) }
        guard let pid = runningPID() else { return false }
        kill(pid, SIGTERM)
        for _ in 0..<50 where kill(pid, 0) == 0 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return true }
            usleep(100_000)
        }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        return true
    }

    /// The Tansu binary: `$SLUICE_TANSU`, else `.deps/bin/tansu` in the working directory or above it, or
    /// above this executable, else `tansu` on `PATH`.
    public static func binary() throws(KafkaError) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["SLUICE_TANSU"] { return path }
        let starts = [FileManager.default.currentDirectoryPath, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path]
        for start in starts {
            var dir = URL(fileURLWithPath: start).standardizedFileURL
            while dir.path != "/" {
                let candidate = dir.appendingPathComponent(".deps/bin/tansu").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                dir.deleteLastPathComponent()
            }
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/tansu"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw KafkaError(code: .invalidArgument, message: "Tansu broker binary not found: run `make deps`, or set SLUICE_TANSU")
    }

    static func isPortFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Starts `binary` in a new session (so it outlives this process), output appended to `log`.
    static func spawn(_ binary: String, _ arguments: [String], log: String) throws(KafkaError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A child inherits the spawning thread's blocked signals, and Swift's pool threads block nearly all of them:
        // without a fresh mask and default actions the broker would never see the SIGTERM that ``stop()`` sends.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&stopSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &stopSignals)
        posix_spawnattr_setflags(&attributes, spawnSetSID | Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, binary, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw KafkaError(code: .invalidArgument, message: "cannot start \(binary): \(String(cString: strerror(result)))")
        }
        return pid
    }
}
