/// A fast 64-bit checksum of bytes, eight at a time: catches a torn or foreign record in a cache
/// file and fingerprints the weights a cache was built from. Not cryptographic: it guards against
/// accidents (a stale file, a truncated write), not against an adversary.
///
/// Each 64-bit word is mixed in as h = (h ^ w) * p with an odd 64-bit multiplier, the tail bytes
/// as one more word with the byte count, and the result goes through a final avalanche (the
/// splitmix64 finaliser), so a single changed bit anywhere changes about half the output bits.
public struct Checksum64 {
    public private(set) var state: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let multiplier: UInt64 = 0x9e37_79b9_7f4a_7c15

    public init() {}

    /// Mixes in `bytes`.
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = state
        let words = bytes.count / 8
        if let base = bytes.baseAddress, words > 0 {
            for i in 0..<words {
                h = (h ^ base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* Self.multiplier
            }
        }
        var tail: UInt64 = UInt64(bytes.count & 7) << 56
        for i in (words * 8)..<bytes.count { tail |= UInt64(bytes[i]) << UInt64(8 * (i - words * 8)) }
        h = (h ^ tail) &* Self.multiplier
        state = h
    }

    /// Mixes in one integer.
    public mutating func add(_ value: UInt64) {
        state = (state ^ value) &* Self.multiplier
    }

    /// Mixes in the UTF-8 bytes of `text` and its length.
    public mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { add(UnsafeRawBufferPointer($0)) }
        add(UInt64(text.utf8.count))
    }

    /// The checksum of everything added so far.
    public var value: UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The checksum of `bytes` alone.
    public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var c = Checksum64()
        c.add(bytes)
        return c.value
    }
}
