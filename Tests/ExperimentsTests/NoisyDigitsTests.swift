import Foundation
import XCTest
import Tensors
import Autodiff
import PRM
import Reweight
@testable import Experiments

/// The noisy-digits sanity experiment on a small configuration: the loader, the split (sizes,
/// noise rate, a clean meta set), and that a short Instance Table run already pushes flipped
/// instances below clean ones. The full benchmark (issue 5, Evidence 2) runs with the defaults.
final class NoisyDigitsTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$DPRM_SHARED/data/digits/digits.csv.gz`, else `../shared` beside the repo; skips naming the path when absent.
    func digits() throws -> NoisyDigits.Dataset { try Self.digits() }

    static func digits() throws -> NoisyDigits.Dataset {
        var shared = Self.repoRoot.deletingLastPathComponent().appendingPathComponent("shared").standardizedFileURL.path
        if let env = ProcessInfo.processInfo.environment["DPRM_SHARED"], !env.isEmpty {
            shared = env.hasSuffix("/data") ? String(env.dropLast(5)) : env
        }
        let path = shared + "/data/digits/digits.csv.gz"
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("UCI digits not found at \(path) (set DPRM_SHARED to the shared folder)")
        }
        return try NoisyDigits.load(path: path)
    }

    func testLoaderReadsAllDigits() throws {
        let data = try digits()
        XCTAssertEqual(data.features.count, 1797)
        XCTAssertEqual(data.labels.count, 1797)
        XCTAssertTrue(data.features.allSatisfy { $0.count == 64 })
        XCTAssertTrue(data.features.allSatisfy { row in row.allSatisfy { (0...1).contains($0) } }, "pixels 0-16 are scaled to [0, 1]")
        XCTAssertEqual(Set(data.labels), Set(0..<10))
    }

    func testSplitSizesNoiseAndCleanMetaSet() throws {
        let data = try digits()
        for seed: UInt64 in [0, 1, 2] {
            var o = NoisyDigits.Options()
            o.seed = seed
            let s = NoisyDigits.split(data, o)
            XCTAssertEqual(s.testY.count, 539)
            XCTAssertEqual(s.metaY.count, 100)
            XCTAssertEqual(s.trainNoisy.count, 1797 - 539 - 100)
            for c in 0..<10 { XCTAssertEqual(s.metaY.filter { $0 == c }.count, 10, "class \(c) in the meta set") }
            XCTAssertEqual(s.metaY, s.metaRows.map { data.labels[$0] }, "meta labels are clean")
            XCTAssertEqual(s.testY, s.testRows.map { data.labels[$0] }, "test labels are clean")
            XCTAssertEqual(s.trainClean, s.trainRows.map { data.labels[$0] })
            let rate = Double(s.flipped.filter { $0 }.count) / Double(s.flipped.count)
            XCTAssertEqual(rate, o.noiseRate, accuracy: 0.05, "seed \(seed): noise rate")
            for i in s.flipped.indices {
                XCTAssertEqual(s.flipped[i], s.trainNoisy[i] != s.trainClean[i], "a flipped label is always a different class")
            }
            let flippedRows = Set(s.trainRows.indices.filter { s.flipped[$0] }.map { s.trainRows[$0] })
            XCTAssertTrue(flippedRows.isDisjoint(with: s.metaRows), "flipped instances never reach the meta set")
            XCTAssertTrue(Set(s.trainRows).isDisjoint(with: s.metaRows))
            XCTAssertTrue(Set(s.trainRows).isDisjoint(with: s.testRows))
            XCTAssertTrue(Set(s.metaRows).isDisjoint(with: s.testRows))
            XCTAssertEqual(Set(s.trainRows + s.metaRows + s.testRows).count, 1797)

            // Choosing settings: the validation split comes out of the training pool, never the test split.
            o.validationCount = 200
            let v = NoisyDigits.split(data, o)
            XCTAssertEqual(v.testY.count, 200)
            XCTAssertEqual(v.trainNoisy.count, 1158 - 200)
            XCTAssertTrue(Set(v.testRows).isDisjoint(with: s.testRows), "validation never touches the test split")
            XCTAssertTrue(Set(v.testRows).isDisjoint(with: v.trainRows + v.metaRows))
            XCTAssertEqual(v.metaRows, s.metaRows)
        }
    }

    func testShortInstanceTableRunDownweightsFlippedLabels() throws {
        let data = try digits()
        var o = NoisyDigits.Options()
        o.hidden = 32
        o.iterations = 300
        o.warmup = 0
        let r = try NoisyDigits.runParts(data: data, options: o, parts: ["table"])
        XCTAssertLessThan(r.tableFlippedWeight, r.tableCleanWeight,
                          "flipped \(r.tableFlippedWeight) vs clean \(r.tableCleanWeight) after \(o.iterations) iterations")
        XCTAssertGreaterThan(r.table, 0.5, "the reweighted classifier learns")
    }

    /// Meta-Weight-Net's normalisation: w_i / sum_j w_j * n, and its gradient through the sum.
    func testLossWeightNetNormalisation() {
        let w = Variable(Tensor(shape: [4], scalars: [0.5, 1, 1.5, 1]), requiresGrad: true)
        let nw = LossWeightNet.normalized(w)
        let expected: [Float] = [0.5, 1, 1.5, 1].map { $0 / 4 * 4 }
        for (a, b) in zip(nw.value.toArray(), expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // d/dw_k sum_i c_i n w_i / S = n c_k / S - n (sum_i c_i w_i) / S^2.
        let c: [Float] = [1, -2, 0.5, 3]
        let loss = (nw * Variable(Tensor(shape: [4], scalars: c))).sum()
        let g = gradients(of: loss, wrt: [w])[0].toArray()
        let s: Float = 4, n: Float = 4, cw = zip(c, [0.5, 1, 1.5, 1] as [Float]).map { $0 * $1 }.reduce(0, +)
        for k in 0..<4 { XCTAssertEqual(g[k], n * c[k] / s - n * cw / (s * s), accuracy: 1e-5) }
        // Weights that sum to 0 are left alone (the reference's `if norm_c != 0`).
        XCTAssertEqual(LossWeightNet.normalized(Variable(Tensor.zeros([3]))).value.toArray(), [0, 0, 0])
        // The net's own output, normalised, averages 1.
        let net = LossWeightNet(hiddenDim: 8, seed: 1)
        let out = net(Variable(Tensor(shape: [5], scalars: [0.1, 2, 0.3, 4, 1])), normalize: true).value.toArray()
        XCTAssertEqual(out.reduce(0, +) / 5, 1, accuracy: 1e-5)
    }
}
