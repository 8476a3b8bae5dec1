import Foundation
import XCTest
import Tensors
import Support

/// The vectorised row kernels (sums, max/min, softmax, log-softmax, layer norm over the last
/// axis), column sums, strided copies and the GELU approximation, against plain Double loops:
/// row lengths around the vector widths (8 lanes, 32 per step, blocks of 1024) so every
/// remainder path runs, tensors large enough to be split across the cores, and NaN/inf rows.
final class RunKernelTests: XCTestCase {
    var rng = RandomGenerator(seed: 11)

    /// Row lengths: below, at and above the 8-lane and 32-lane steps and the 1024-element block.
    let lengths = [1, 2, 7, 8, 9, 31, 32, 33, 63, 100, 1023, 1024, 1025, 2100]

    func assertClose(_ got: [Float], _ want: [Double], tolerance: Double = 1e-5, _ label: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, label, file: file, line: line)
        for i in 0..<Swift.min(got.count, want.count) where !(Swift.abs(Double(got[i]) - want[i]) <= tolerance * (Swift.abs(want[i]) + 1)) {
            XCTFail("\(label): element \(i) is \(got[i]), expected \(want[i])", file: file, line: line)
            return
        }
    }

    /// Rows of `x` ([rows, n]) as Double arrays.
    func rows(_ x: Tensor) -> [[Double]] {
        let n = x.shape[1], xs = x.toArray().map(Double.init)
        return (0..<x.shape[0]).map { Array(xs[($0 * n)..<($0 * n + n)]) }
    }

    func testRowKernelsOnEveryRemainder() {
        for n in lengths {
            // Enough rows that the larger shapes are split across both cores.
            let count = Swift.max(3, 70_000 / n)
            let x = Tensor.randn([count, n], rng: &rng)
            let rs = rows(x)
            let label = "rows of \(n)"
            assertClose(x.sum(axes: [1]).toArray(), rs.map { $0.reduce(0, +) }, tolerance: 1e-5, "sum, \(label)")
            assertClose(x.max(axes: [1]).toArray(), rs.map { $0.max()! }, tolerance: 0, "max, \(label)")
            assertClose(x.min(axes: [1]).toArray(), rs.map { $0.min()! }, tolerance: 0, "min, \(label)")
            var soft = [Double](), logSoft = [Double](), norm = [Double]()
            for row in rs {
                let m = row.max()!
                let total = row.reduce(0) { $0 + Foundation.exp($1 - m) }
                soft += row.map { Foundation.exp($0 - m) / total }
                logSoft += row.map { $0 - m - Foundation.log(total) }
                let mean = row.reduce(0, +) / Double(n)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
                norm += row.map { ($0 - mean) / (variance + 1e-5).squareRoot() }
            }
            assertClose(x.softmax().toArray(), soft, "softmax, \(label)")
            assertClose(x.logSoftmax().toArray(), logSoft, "log-softmax, \(label)")
            assertClose(x.layerNormalized(eps: 1e-5).normalized.toArray(), norm, tolerance: 1e-4, "layer norm, \(label)")
        }
    }

    func testMaxAndSoftmaxWithNaNAndInfinities() {
        for n in [5, 8, 40, 1030] {
            // A NaN at the start, in the vector part and in the scalar tail of a row.
            for position in Set([0, n / 2, n - 1]) {
                var values = (0..<n).map { Float($0 % 7) - 3 }
                values[position] = .nan
                let x = Tensor(shape: [1, n], scalars: values)
                XCTAssertTrue(x.max(axes: [1]).item.isNaN, "max of \(n) with NaN at \(position)")
                XCTAssertTrue(x.min(axes: [1]).item.isNaN, "min of \(n) with NaN at \(position)")
                XCTAssertTrue(x.softmax().toArray().allSatisfy(\.isNaN), "softmax of \(n) with NaN at \(position)")
            }
            var values = (0..<n).map { Float($0 % 5) }
            values[n / 2] = .infinity
            values[n - 1] = -.infinity
            let x = Tensor(shape: [1, n], scalars: values)
            XCTAssertEqual(x.max(axes: [1]).item, .infinity, "max with +inf, \(n)")
            XCTAssertEqual(x.min(axes: [1]).item, -.infinity, "min with -inf, \(n)")
        }
        // -inf entries (a mask) get probability 0; the other entries share all of it.
        let masked = Tensor(shape: [2, 12], scalars: (0..<24).map { $0 % 3 == 0 ? -Float.infinity : Float($0) / 10 })
        let p = masked.softmax().toArray()
        for (i, value) in p.enumerated() where i % 3 == 0 { XCTAssertEqual(value, 0, "masked entry \(i)") }
        XCTAssertEqual(p[0..<12].reduce(0, +), 1, accuracy: 1e-6)
        // An all -inf row has no defined softmax: NaN, as in torch.
        XCTAssertTrue(Tensor(shape: [1, 9], scalars: Array(repeating: -.infinity, count: 9)).softmax().toArray().allSatisfy(\.isNaN))
    }

    func testColumnReductions() {
        // Row counts around the 4-row step, column counts across the 512-column tiles and the
        // split between the cores.
        for (r, c) in [(1, 9), (3, 700), (4, 513), (5, 64), (7, 1100), (1027, 600), (64, 1536)] {
            let x = Tensor.randn([r, c], rng: &rng)
            let xs = x.toArray().map(Double.init)
            let sums = (0..<c).map { j in (0..<r).reduce(0.0) { $0 + xs[$1 * c + j] } }
            assertClose(x.sum(axes: [0]).toArray(), sums, tolerance: 1e-5, "column sums of [\(r)x\(c)]")
            assertClose(x.max(axes: [0]).toArray(), (0..<c).map { j in (0..<r).map { xs[$0 * c + j] }.max()! }, tolerance: 0, "column max of [\(r)x\(c)]")
            assertClose(x.reshaped([1, r, c]).sumToShape([c]).toArray(), sums, tolerance: 1e-5, "bias gradient of [\(r)x\(c)]")
        }
        var values = (0..<(6 * 10)).map { Float($0) }
        values[3 * 10 + 4] = .nan
        let withNaN = Tensor(shape: [6, 10], scalars: values).max(axes: [0]).toArray()
        XCTAssertTrue(withNaN[4].isNaN)
        XCTAssertEqual(withNaN.enumerated().filter { $0.element.isNaN }.count, 1, "only the column holding the NaN")
    }

    func testStridedCopies() {
        // Permutations of a 4-d tensor (small, and large enough to be split across the cores),
        // strided slices of the last axis, and a 1-d strided view, against index arithmetic.
        for shape in [[2, 3, 4, 5], [8, 128, 12, 32]] {
            let x = Tensor.randn(shape, rng: &rng)
            let xs = x.toArray()
            let strides = Tensor.contiguousStrides(for: shape)
            for order in [[0, 2, 1, 3], [2, 0, 3, 1], [3, 2, 1, 0], [1, 0, 2, 3]] {
                let view = x.permuted(order)
                let outShape = order.map { shape[$0] }
                var want = [Float]()
                want.reserveCapacity(xs.count)
                var index = [Int](repeating: 0, count: 4)
                for _ in 0..<xs.count {
                    want.append(xs[(0..<4).reduce(0) { $0 + index[$1] * strides[order[$1]] }])
                    var axis = 3
                    while axis >= 0 {
                        index[axis] += 1
                        if index[axis] < outShape[axis] { break }
                        index[axis] = 0
                        axis -= 1
                    }
                }
                XCTAssertEqual(view.contiguous().toArray(), want, "permute \(order) of \(shape)")
            }
        }
        let m = Tensor.randn([300, 257], rng: &rng), ms = m.toArray()
        let every3 = m.sliced(axis: 1, start: 2, end: 257, step: 3)
        XCTAssertEqual(every3.contiguous().toArray(), (0..<300).flatMap { r in stride(from: 2, to: 257, by: 3).map { ms[r * 257 + $0] } })
        let column = m.selecting(axis: 1, index: 5)
        XCTAssertEqual(column.contiguous().toArray(), (0..<300).map { ms[$0 * 257 + 5] })
    }

    func testGeluAgainstDoublePrecision() {
        // A dense grid over both tails (the normal tail underflows Float below -13) and the
        // special values.
        var xs = stride(from: -14.0, through: 14.0, by: 0.0007).map { Float($0) }
        xs += [0, -0.0, 13, -13, 13.001, -13.001, -40, 40, 1e-30, -1e-30]
        let x = Tensor(xs)
        func phi(_ v: Double) -> Double { 0.5 * Foundation.erfc(-v / 2.0.squareRoot()) }
        let gelu = xs.map { Double($0) * phi(Double($0)) }
        let derivative = xs.map { v -> Double in
            let d = Double(v)
            return phi(d) + d * Foundation.exp(-d * d / 2) / (2 * Double.pi).squareRoot()
        }
        let got = x.gelu().toArray(), both = x.geluWithDerivative()
        let fusedValue = both.value.toArray(), fusedDerivative = both.derivative.toArray()
        for (i, v) in xs.enumerated() {
            // Relative accuracy on the negative tail too (the values there are tiny).
            let tolerance = 1e-5 * Swift.abs(gelu[i]) + 1e-37
            if !(Swift.abs(Double(got[i]) - gelu[i]) <= tolerance) {
                XCTFail("gelu(\(v)) = \(got[i]), expected \(gelu[i])")
                break
            }
            XCTAssertEqual(fusedValue[i].bitPattern, got[i].bitPattern, "the fused pass gives the same bits")
            if !(Swift.abs(Double(fusedDerivative[i]) - derivative[i]) <= 1e-6 + 1e-5 * Swift.abs(derivative[i])) {
                XCTFail("gelu'(\(v)) = \(fusedDerivative[i]), expected \(derivative[i])")
                break
            }
        }
        XCTAssertEqual(Tensor([Float.infinity]).gelu().item, .infinity)
        XCTAssertTrue(Tensor([Float.nan]).gelu().item.isNaN)
        XCTAssertTrue(Tensor([-Float.infinity]).gelu().item.isNaN, "-inf * Phi(-inf) = -inf * 0, as in torch")
        for v in stride(from: -6.0, through: 6.0, by: 0.01) {
            XCTAssertEqual(Double(FastMath.erf(Float(v))), Foundation.erf(v), accuracy: 4e-7, "erf(\(v))")
        }
    }
}
