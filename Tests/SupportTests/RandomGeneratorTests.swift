import XCTest
import Support

/// The generator is xoshiro256** seeded by SplitMix64. Golden values (from an independent
/// Python implementation) catch any change to the sequence, which would change every seeded run.
final class RandomGeneratorTests: XCTestCase {
    func testGoldenRawDraws() {
        var rng = RandomGenerator(seed: 42)
        XCTAssertEqual((0..<4).map { _ in rng.next() },
                       [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1, 0xecb8_ad47_03b3_60a1])
        var zero = RandomGenerator(seed: 0)
        XCTAssertEqual([zero.next(), zero.next()], [0x99ec_5f36_cb75_f2b4, 0xbf6e_1f78_4956_452a])
    }

    func testGoldenUniformNormalAndIntegers() {
        var rng = RandomGenerator(seed: 42)
        XCTAssertEqual(rng.uniform(), 0.08386297105988216)
        XCTAssertEqual(rng.uniform(), 0.3789802506626686)
        XCTAssertEqual(rng.uniform(), 0.6800434110281394)
        var normals = RandomGenerator(seed: 7)
        let n = (0..<4).map { _ in Float(normals.normal()) }
        XCTAssertEqual(n, [-0.15157274901866913, 0.8298971056938171, 0.587099552154541, -0.0700574666261673])
        var ints = RandomGenerator(seed: 3)
        XCTAssertEqual((0..<5).map { _ in ints.int(below: 10) }, [8, 0, 5, 2, 6])
    }

    func testConformsToRandomNumberGenerator() {
        // The language's randint/shuffle draw through Swift's `random(in:using:)`; the stream
        // is the generator's own `next()` values, so the same seed gives the same integers.
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        let viaSwift = (0..<20).map { _ in Int.random(in: 0..<1000, using: &a) }
        XCTAssertEqual(viaSwift, (0..<20).map { _ in Int.random(in: 0..<1000, using: &b) })
        var shuffled = Array(0..<10)
        shuffled.shuffle(using: &a)
        XCTAssertEqual(shuffled.sorted(), Array(0..<10))
        XCTAssertNotEqual(shuffled, Array(0..<10))
    }

    func testSplitMixGoldenAndSeeding() {
        // Reference values of SplitMix64 (Vigna's splitmix64.c) from seed 0; the generator's
        // state is the first four of them, so xoshiro's first output follows from them.
        var s = SplitMix64(seed: 0)
        XCTAssertEqual((0..<3).map { _ in s.next() }, [0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f])
        XCTAssertEqual(SplitMix64.mix(0 &+ SplitMix64.increment), 0xe220_a839_7b1d_cdaf)
        var t = SplitMix64(seed: 0)
        let state = (0..<4).map { _ in t.next() }
        let rotl = { (x: UInt64, k: UInt64) in (x << k) | (x >> (64 - k)) }
        var zero = RandomGenerator(seed: 0)
        XCTAssertEqual(zero.next(), rotl(state[1] &* 5, 7) &* 9)
    }
}
