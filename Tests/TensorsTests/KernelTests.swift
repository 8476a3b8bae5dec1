import Foundation
import XCTest
import Tensors
import Support

/// The fast paths (row-vector and per-row broadcasts, last-axis and leading-axis reductions,
/// fused kernels, parallel chunks) on tensors large enough to be split across both cores,
/// against plain loops over `toArray()`; and run-to-run determinism.
final class KernelTests: XCTestCase {
    var rng = RandomGenerator(seed: 5)
    lazy var x = Tensor.randn([512, 160], rng: &rng)

    func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, label, file: file, line: line)
        for i in 0..<Swift.min(a.count, b.count) where !(Swift.abs(a[i] - b[i]) <= tolerance * (Swift.abs(b[i]) + 1)) {
            XCTFail("\(label): element \(i) is \(a[i]), expected \(b[i])", file: file, line: line)
            return
        }
    }

    func testBroadcastPatterns() {
        let (n, d) = (x.shape[0], x.shape[1])
        let xs = x.toArray()
        let bias = Tensor.randn([d], rng: &rng), bs = bias.toArray()
        let perRow = Tensor.randn([n, 1], rng: &rng), ps = perRow.toArray()
        let ops: [(BinaryOp, (Float, Float) -> Float)] = [(.add, +), (.sub, -), (.mul, *), (.div, /), (.maximum, { Swift.max($0, $1) }), (.greater, { $0 > $1 ? 1 : 0 })]
        for (op, f) in ops {
            close(x.binary(op, bias).toArray(), (0..<(n * d)).map { f(xs[$0], bs[$0 % d]) }, "\(op) row vector")
            close(bias.binary(op, x).toArray(), (0..<(n * d)).map { f(bs[$0 % d], xs[$0]) }, "\(op) row vector on the left")
            close(x.binary(op, perRow).toArray(), (0..<(n * d)).map { f(xs[$0], ps[$0 / d]) }, "\(op) per-row scalar")
            close(perRow.binary(op, x).toArray(), (0..<(n * d)).map { f(ps[$0 / d], xs[$0]) }, "\(op) per-row scalar on the left")
            close(x.binary(op, Tensor(0.5)).toArray(), xs.map { f($0, 0.5) }, "\(op) scalar")
            close(Tensor(0.5).binary(op, x).toArray(), xs.map { f(0.5, $0) }, "\(op) scalar on the left")
            close(perRow.binary(op, bias).toArray(), (0..<(n * d)).map { f(ps[$0 / d], bs[$0 % d]) }, "\(op) outer")
        }
        // A 3-d activation with a bias, and a transposed (non-contiguous) left side.
        let x3 = x.reshaped([8, 64, 160])
        close((x3 + bias).toArray(), (0..<(n * d)).map { xs[$0] + bs[$0 % d] }, "3-d bias add")
        let xt = x.transposed()
        let xtArray = xt.toArray()
        let colBias = Tensor.randn([n], rng: &rng), cs = colBias.toArray()
        close((xt * colBias).toArray(), (0..<(n * d)).map { xtArray[$0] * cs[$0 % n] }, "transposed times row vector")
    }

    func testMapAndScalarOps() {
        let xs = x.toArray()
        close(x.exp().toArray(), xs.map { Foundation.exp($0) }, "exp")
        close((x * 3 + 1).toArray(), xs.map { $0 * 3 + 1 }, "affine")
        let rootHalf: Float = 0.70710678
        let gelu: [Float] = xs.map { v in
            let cdf: Float = 0.5 * (1 + Foundation.erf(v * rootHalf))
            return v * cdf
        }
        close(x.gelu().toArray(), gelu, "gelu")
        close(x.transposed().tanh().toArray(), x.transposed().toArray().map { Foundation.tanh($0) }, "tanh of a view")
    }

    func testReductions() {
        let (n, d) = (x.shape[0], x.shape[1])
        let xs = x.toArray()
        let rowSums = (0..<n).map { r in (0..<d).reduce(Float(0)) { $0 + xs[r * d + $1] } }
        let colSums = (0..<d).map { c in (0..<n).reduce(Float(0)) { $0 + xs[$1 * d + c] } }
        close(x.sum(axes: [1]).toArray(), rowSums, tolerance: 1e-4, "row sums")
        close(x.sum(axes: [0]).toArray(), colSums, tolerance: 1e-4, "column sums")
        close(x.sumToShape([d]).toArray(), colSums, tolerance: 1e-4, "bias gradient")
        close(x.reshaped([4, 128, 160]).sumToShape([160]).toArray(), colSums, tolerance: 1e-4, "bias gradient 3-d")
        close(x.sumToShape([n, 1]).toArray(), rowSums, tolerance: 1e-4, "per-row gradient")
        close(x.max(axes: [0]).toArray(), (0..<d).map { c in (0..<n).map { xs[$0 * d + c] }.max()! }, "column max")
        close(x.min(axes: [1]).toArray(), (0..<n).map { r in xs[(r * d)..<(r * d + d)].min()! }, "row min")
        close(x.transposed().sum(axes: [1]).toArray(), colSums, tolerance: 1e-4, "sum over last axis of a transposed view")
        close(x.transposed().sum(axes: [0]).toArray(), rowSums, tolerance: 1e-4, "sum over leading axis of a transposed view")
        close(x.argmax(axis: 1).toArray(), (0..<n).map { r in Float((0..<d).max { xs[r * d + $0] < xs[r * d + $1] }!) }, "argmax")
        XCTAssertEqual(x.sum().item, xs.reduce(0, +), accuracy: 1e-2)
    }

    func testFusedKernelsOnLargeInputs() {
        let (n, d) = (x.shape[0], x.shape[1])
        let xs = x.toArray()
        var soft = [Float](), logSoft = [Float](), norm = [Float]()
        for r in 0..<n {
            let row = Array(xs[(r * d)..<(r * d + d)])
            let m = row.max()!
            let e = row.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            soft += e.map { $0 / s }
            logSoft += row.map { $0 - m - Foundation.log(s) }
            let mean = row.reduce(0, +) / Float(d)
            let v = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(d)
            norm += row.map { ($0 - mean) / (v + 1e-5).squareRoot() }
        }
        close(x.softmax().toArray(), soft, "softmax")
        close(x.logSoftmax().toArray(), logSoft, "log-softmax")
        close(x.layerNormalized(eps: 1e-5).normalized.toArray(), norm, tolerance: 1e-4, "layer norm")
        // Non-contiguous input: the same rows behind a transposed view.
        let view = x.transposed().contiguous().transposed()
        close(view.layerNormalized(eps: 1e-5).normalized.toArray(), norm, tolerance: 1e-4, "layer norm of a view")
        close(view.layerNormalized(eps: 1e-5).inverseStd.toArray(), x.layerNormalized(eps: 1e-5).inverseStd.toArray(), "layer norm 1/std of a view")
        close(view.softmax().toArray(), soft, "softmax of a view")
        close(view.rmsNormalized(eps: 1e-6).normalized.toArray(), x.rmsNormalized(eps: 1e-6).normalized.toArray(), "rms norm of a view")
    }

    func testBatchedMatmulAgainstLoops() {
        let a = Tensor.randn([3, 17, 9], rng: &rng), b = Tensor.randn([9, 13], rng: &rng)
        let c = a.matmul(b)
        for i in 0..<3 { for r in [0, 8, 16] { for col in [0, 5, 12] {
            var s: Float = 0
            for k in 0..<9 { s += a[element: i, r, k] * b[element: k, col] }
            XCTAssertEqual(c[element: i, r, col], s, accuracy: 1e-4)
        } } }
    }

    func testResultsAreDeterministic() {
        let big = Tensor.randn([300, 400], rng: &rng)
        let bias = Tensor.randn([400], rng: &rng)
        func run() -> [[Float]] {
            [big.sum(axes: [0]).toArray(), big.sum(axes: [1]).toArray(), [big.sum().item],
             big.softmax().toArray(), big.layerNormalized(eps: 1e-5).normalized.toArray(),
             (big + bias).sumToShape([400]).toArray(), big.matmul(big.transposed()).toArray(),
             big.variance(axes: [0]).toArray(), big.logsumexp(axes: [1]).toArray()]
        }
        let first = run()
        // Exact: the same shapes in the same process (same BLAS kernel and thread count), so the
        // same blocking and the same summation order every time.
        for _ in 0..<3 { XCTAssertEqual(run(), first) }
    }

    func testWorkerCountDoesNotChangeResults() {
        let big = Tensor.randn([300, 400], rng: &rng)
        let saved = Parallel.workers
        defer { Parallel.workers = saved }
        Parallel.workers = 1
        let one = [big.sum().item, big.sum(axes: [0]).toArray().reduce(0, +), big.softmax().sum().item]
        Parallel.workers = 2
        let two = [big.sum().item, big.sum(axes: [0]).toArray().reduce(0, +), big.softmax().sum().item]
        XCTAssertEqual(one, two, "the work split, not the worker count, fixes the summation order")
    }
}
