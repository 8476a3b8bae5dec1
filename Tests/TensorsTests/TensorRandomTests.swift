import XCTest
import Support
import Tensors

/// Tensor draws from the seeded generator (Support's `RandomGenerator`): golden values catch any
/// change to the sequence, which would change every seeded run.
final class TensorRandomTests: XCTestCase {
    func testSameSeedSameTensors() {
        var a = RandomGenerator(seed: 1234), b = RandomGenerator(seed: 1234)
        XCTAssertEqual(Tensor.randn([50], rng: &a).toArray(), Tensor.randn([50], rng: &b).toArray())
        XCTAssertEqual(Tensor.rand([7, 3], low: -1, high: 2, rng: &a).toArray(), Tensor.rand([7, 3], low: -1, high: 2, rng: &b).toArray())
        XCTAssertEqual(Tensor.randint([20], low: 3, high: 9, rng: &a).toArray(), Tensor.randint([20], low: 3, high: 9, rng: &b).toArray())
        var c = RandomGenerator(seed: 1235)
        var d = RandomGenerator(seed: 1234)
        XCTAssertNotEqual(Tensor.randn([8], rng: &c).toArray(), Tensor.randn([8], rng: &d).toArray())
    }

    func testGoldenTensorDraws() {
        var rng = RandomGenerator(seed: 7)
        XCTAssertEqual(Tensor.randn([4], rng: &rng).toArray(), [-0.15157274901866913, 0.8298971056938171, 0.587099552154541, -0.0700574666261673])
        var u = RandomGenerator(seed: 42)
        XCTAssertEqual(Tensor.rand([3], rng: &u).toArray(), [0.08386296778917313, 0.37898024916648865, 0.6800433993339539])
    }

    func testDistributionsAreSane() {
        var rng = RandomGenerator(seed: 99)
        let x = Tensor.randn([20000], mean: 2, std: 3, rng: &rng)
        XCTAssertEqual(x.mean().item, 2, accuracy: 0.1)
        XCTAssertEqual(x.variance().item.squareRoot(), 3, accuracy: 0.1)
        let u = Tensor.rand([20000], low: -1, high: 1, rng: &rng)
        XCTAssertGreaterThanOrEqual(u.min().item, -1)
        XCTAssertLessThan(u.max().item, 1)
        let k = Tensor.randint([5000], low: 2, high: 5, rng: &rng)
        XCTAssertEqual(Set(k.toArray()), [2, 3, 4])
        var shuffled = Array(0..<10)
        rng.shuffle(&shuffled)
        XCTAssertEqual(shuffled.sorted(), Array(0..<10))
    }
}
