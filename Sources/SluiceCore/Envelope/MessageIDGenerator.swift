import Synchronization

/// Random (version 4) UUIDs, lowercase: the message ids behind ``Envelope/makeMessageID()``.
///
/// Foundation's `UUID()` opens and reads `/dev/urandom` for every id on Linux: about a tenth of a pass-through
/// worker's CPU. This draws them from xoshiro256** seeded once from the system generator: ids stay unique
/// across processes (256 random seed bits) without a system call each.
final class MessageIDGenerator: Sendable {
    private let state: Mutex<(UInt64, UInt64, UInt64, UInt64)>

    init() {
        var system = SystemRandomNumberGenerator()
        var seed = (system.next() as UInt64, system.next() as UInt64, system.next() as UInt64, system.next() as UInt64)
        if seed == (0, 0, 0, 0) { seed.0 = 1 }  // the one state xoshiro cannot leave
        state = Mutex(seed)
    }

    /// A new id, as `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
    func next() -> String {
        String(unsafeUninitializedCapacity: 36) { write(into: $0) }
    }

    /// A new id as its UTF-8 bytes, for a header value.
    func nextBytes() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 36) { $1 = write(into: $0) }
    }

    /// Writes a new id into the first 36 bytes of `buffer`; returns 36.
    private func write(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(buffer.count >= 36)
        let (high, low) = state.withLock { state in (Self.step(&state), Self.step(&state)) }
        let versioned = (high & ~0xF000) | 0x4000  // version 4
        let variant = (low & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000  // RFC 4122 variant
        let out = buffer.baseAddress!
        // 8-4-4-4-12 digits: the high word gives the first 16, the low word the last 16.
        Self.hex(versioned >> 32, digits: 8, to: out)
        out[8] = UInt8(ascii: "-")
        Self.hex(versioned >> 16, digits: 4, to: out + 9)
        out[13] = UInt8(ascii: "-")
        Self.hex(versioned, digits: 4, to: out + 14)
        out[18] = UInt8(ascii: "-")
        Self.hex(variant >> 48, digits: 4, to: out + 19)
        out[23] = UInt8(ascii: "-")
        Self.hex(variant, digits: 12, to: out + 24)
        return 36
    }

    /// Writes the low `digits` nibbles of `word` as lowercase hex, most significant first.
    @inline(__always)
    private static func hex(_ word: UInt64, digits: Int, to out: UnsafeMutablePointer<UInt8>) {
        var rest = word
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let digit = UInt8(truncatingIfNeeded: rest) & 0xF
            // 0-9 → "0"-"9", 10-15 → "a"-"f" ("a" is 39 above "0" + 10), without a branch.
            out[index] = UInt8(ascii: "0") &+ digit &+ (39 & (0 &- ((digit &+ 6) >> 4)))
            rest >>= 4
        }
    }

    private static func step(_ s: inout (UInt64, UInt64, UInt64, UInt64)) -> UInt64 {
        let result = rotate(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotate(s.3, 45)
        return result
    }

    private static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
