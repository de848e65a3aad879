import Foundation
import Logging
import SluiceKafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A broker of its own for each measurement, started on a free port and stopped (by PID) afterwards.
///
/// Tansu's CPU per fetch grows with the size of the partition it reads, so a measurement that inherited the
/// previous one's topics would be slower for a reason that is not its own.
enum FreshBroker {
    /// Starts a broker, runs `body` with its address and PID, and stops the broker however `body` ends.
    static func with<T>(
        stateDirectory: URL, logger: Logger, _ body: (_ address: String, _ pid: Int32) async throws -> T
    ) async throws -> T {
        let broker = LocalBroker(port: try freePort(), stateDirectory: stateDirectory)
        let pid = try await broker.start(logger: logger)
        do {
            let result = try await body(broker.address, pid)
            broker.stop()
            return result
        } catch {
            broker.stop()
            throw error
        }
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw BenchError("cannot find a free port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
