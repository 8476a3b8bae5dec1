/// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit counter passed through a mixing function.
/// Used to expand one seed into a `RandomGenerator` state, and on its own where a stateless
/// function of (seed, index) is wanted (`SplitMix64.mix`).
public struct SplitMix64: RandomNumberGenerator {
    /// The golden-ratio increment the counter advances by.
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    /// SplitMix64's output function alone: a bijective 64-bit hash (a generator's n-th output
    /// is `mix(seed &+ n &* increment)`, n from 1), for stateless draws keyed by an index.
    @inline(__always) public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The package's seeded pseudo-random generator: xoshiro256** (Blackman and Vigna) with its
/// state expanded from the seed by SplitMix64. The same seed gives the same sequence on every
/// run and every machine: no platform RNG, and normal samples use Box-Muller in `Double` so
/// results do not depend on libm's float paths.
///
/// Two streams use it in a session, on purpose independent: the language's `seed(n)` restarts
/// the interpreter's generator (`random`, `randint`, `normal`, `shuffle`, `choice`), and
/// `manual_seed(n)` restarts the tensor generator (`rand`, `randn`, module initialisation).
/// Drawing a `random()` therefore never shifts a model's initial weights. Both are this type,
/// so the same n gives both the same raw bits.
public struct RandomGenerator: RandomNumberGenerator {
    // Internal (not private) so that `next()` can be inlined into other modules' loops: a dropout
    // mask draws one number per element, and a call per draw cost as much as the draw.
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double?

    /// A generator seeded with `seed`.
    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        s0 = seeder.next(); s1 = seeder.next(); s2 = seeder.next(); s3 = seeder.next()
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 bits of precision: `next() >> 11` divided by 2^53 (exactly).
    @inlinable
    public mutating func uniform() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in `0..<bound` (bound > 0), without modulo bias.
    public mutating func int(below bound: Int) -> Int {
        precondition(bound > 0, "random integer bound must be positive")
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        var r = next()
        while r >= limit { r = next() }
        return Int(r % b)
    }

    /// Standard normal sample.
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        let radius = (-2 * _log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareNormal = radius * _sin(angle)
        return radius * _cos(angle)
    }

    /// A uniformly drawn element of a non-empty array (one `int(below:)` draw).
    public mutating func pick<T>(_ items: [T]) -> T {
        precondition(!items.isEmpty, "pick from an empty array")
        return items[int(below: items.count)]
    }

    /// Fisher-Yates shuffle of `array` in place.
    public mutating func shuffle<T>(_ array: inout [T]) {
        if array.count < 2 { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, int(below: i + 1))
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Darwin.sin(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
