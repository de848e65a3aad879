#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The malloc this process runs on, as the worker's start log reports it (`sluice.allocator`).
///
/// A worker moves every record between librdkafka's threads and Swift's, and glibc's malloc serialises such
/// cross-thread frees on its arena locks; the `sluice` executables link jemalloc instead (see docs/worker.md,
/// "Allocator"). The library chooses no allocator itself: it only looks for jemalloc's `mallctl` at run time.
public enum Allocator {
    /// `jemalloc 5.3.0` when jemalloc serves malloc, else `system malloc`.
    public static let name: String = {
        #if os(Linux)
            let defaultHandle: UnsafeMutableRawPointer? = nil  // RTLD_DEFAULT
        #else
            let defaultHandle = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #endif
        guard let symbol = dlsym(defaultHandle, "mallctl") else { return "system malloc" }
        typealias MallocControl = @convention(c) (
            UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?, Int
        ) -> Int32
        let mallctl = unsafeBitCast(symbol, to: MallocControl.self)
        var version: UnsafePointer<CChar>? = nil
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "jemalloc" }
        // "5.3.0-0-g54eaed1d…": the release, then the commit it was built from.
        return "jemalloc \(String(cString: version).prefix { $0 != "-" })"
    }()
}
