import XCTest
import Support
@testable import Tensors
import CBLAS

/// Products cut across the cores (`Tensor.sgemm`) equal one single-threaded BLAS call: bit for
/// bit, since every element is the same sum over K in the same blocks whichever part computes
/// it. Checked for cuts along rows and along columns, uneven sizes (parts not multiples of 64),
/// transposed operands, beta 1 (a bias-prefilled `linear`) and the backward products.
final class CoreSplitGEMMTests: XCTestCase {
    func testSplitProductsEqualOneCall() {
        var rng = RandomGenerator(seed: 5)
        let saved = Int(openblas_get_num_threads())
        defer { Tensor.setBLASThreads(saved) }
        // (rows n, inputs k, outputs m): n >= m cuts rows, m > n cuts columns.
        for (n, k, m) in [(517, 96, 130), (130, 64, 1037), (2048, 24, 200), (300, 40, 300)] {
            let x = Tensor.randn([n, k], std: 1, rng: &rng)
            let w = Tensor.randn([m, k], std: 1, rng: &rng)
            let b = Tensor.randn([m], std: 1, rng: &rng)
            let g = Tensor.randn([n, m], std: 1, rng: &rng)
            let xt = Tensor.randn([k, n], std: 1, rng: &rng).transposed()     // a transposed view
            func all() -> [Tensor] {
                let r = Tensor.linearBackward(input: x, weight: w, outputGradient: g, needInput: true, needWeight: true, needBias: false)
                return [x.linear(weight: w, bias: nil), x.linear(weight: w, bias: b), xt.linear(weight: w, bias: nil),
                        x.matmul(w.transposed()), r.input!, r.weight!]
            }
            Tensor.setBLASThreads(1)
            let one = all()
            Tensor.setBLASThreads(2)
            XCTAssertGreaterThanOrEqual(n * m * k, Tensor.coreSplitMinimum, "the product is large enough to be cut")
            for (i, (a, c)) in zip(one, all()).enumerated() {
                XCTAssertEqual(a.shape, c.shape)
                XCTAssertEqual(a.toArray(), c.toArray(), "product \(i) of [\(n), \(k)] x [\(k), \(m)] differs when cut across cores")
            }
        }
    }
}
