import Foundation
import XCTest
import Tensors
@testable import NN
import Support

/// The row kernels of the BERT inference path against straightforward reference loops in Double.
/// Lengths cover the vector body (multiples of 16 and 32), the remainder and rows shorter than
/// one vector.
final class BertKernelsTests: XCTestCase {
    static let lengths = [1, 5, 16, 17, 32, 45, 128, 384, 391]

    static func row(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return (0..<n).map { _ in Float(rng.uniform() * 8 - 4) }
    }

    func testLaneSumAndMaxMatchPlainLoops() {
        for n in Self.lengths {
            var x = Self.row(n, seed: UInt64(n))
            x.withUnsafeMutableBufferPointer { b in
                let p = b.baseAddress!
                let sum = BertKernels.laneSum(n, { BertKernels.lanes(p + $0) }, { p[$0] })
                let expected = b.reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(Double(sum), expected, accuracy: 1e-5 * Double(n), "sum n=\(n)")
                XCTAssertEqual(BertKernels.laneMax(p, n), b.max()!, "max n=\(n)")
            }
        }
    }

    func testSoftmaxRowMatchesReference() {
        for n in Self.lengths {
            let x = Self.row(n, seed: 100 + UInt64(n))
            // Mask out every third key (additive), as the padding mask does.
            let mask = (0..<n).map { $0 % 3 == 2 && n > 1 ? AttentionMask.maskValue : 0 }
            for masked in [false, true] {
                var got = x
                mask.withUnsafeBufferPointer { m in
                    BertKernels.softmaxRow(&got, n, mask: masked ? m.baseAddress : nil)
                }
                let shifted = (0..<n).map { Double(x[$0]) + (masked ? Double(mask[$0]) : 0) }
                let top = shifted.max()!
                let e = shifted.map { Foundation.exp($0 - top) }
                let total = e.reduce(0, +)
                for i in 0..<n {
                    XCTAssertEqual(Double(got[i]), e[i] / total, accuracy: 1e-6, "softmax n=\(n) masked=\(masked) i=\(i)")
                }
            }
        }
    }

    func testLayerNormMatchesReference() {
        let rows = 3
        for n in Self.lengths {
            let x = Self.row(rows * n, seed: 200 + UInt64(n))
            let w = Self.row(n, seed: 300 + UInt64(n)), b = Self.row(n, seed: 400 + UInt64(n))
            var got = x
            BertKernels.layerNorm(&got, rows: rows, n: n, weight: w, bias: b, eps: 1e-12, parallel: false)
            for r in 0..<rows {
                let row = x[(r * n)..<((r + 1) * n)].map(Double.init)
                let mean = row.reduce(0, +) / Double(n)
                let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
                for i in 0..<n {
                    let expected = (row[i] - mean) / (variance + 1e-12).squareRoot() * Double(w[i]) + Double(b[i])
                    XCTAssertEqual(Double(got[r * n + i]), expected, accuracy: 1e-5 * max(1, abs(expected)), "layerNorm n=\(n) row \(r) i=\(i)")
                }
            }
        }
    }
}
