import XCTest
import Foundation
import Tensors
import Autodiff
@testable import NN
import Support

/// RoPE against a direct double-precision rotation of each (i, i + D/2) pair, its defining
/// property (scores depend on the offset only), its gradient, and its use in attention.
final class RotaryEmbeddingTests: XCTestCase {
    func testMatchesPairwiseRotationInDoublePrecision() {
        var rng = RandomGenerator(seed: 4)
        let (t, d) = (7, 8)
        let x = Tensor.randn([2, 3, t, d], rng: &rng)
        let rope = RotaryEmbedding(headDimension: d, theta: 100)
        let y = rope(Variable(x)).value.toArray()
        let xs = x.toArray()
        for row in 0..<(2 * 3) {
            for p in 0..<t {
                for i in 0..<(d / 2) {
                    let angle = Double(p) * pow(100, -2 * Double(i) / Double(d))
                    let base = (row * t + p) * d
                    let (a, b) = (Double(xs[base + i]), Double(xs[base + i + d / 2]))
                    XCTAssertEqual(Double(y[base + i]), a * cos(angle) - b * sin(angle), accuracy: 1e-5)
                    XCTAssertEqual(Double(y[base + i + d / 2]), b * cos(angle) + a * sin(angle), accuracy: 1e-5)
                }
            }
        }
    }

    /// The same query and key vectors placed at positions (t, s) and (t + 3, s + 3) give the same
    /// dot product: attention sees offsets, not absolute places.
    func testScoresDependOnlyOnTheOffset() {
        var rng = RandomGenerator(seed: 5)
        let d = 16
        let q = Tensor.randn([d], rng: &rng).toArray(), k = Tensor.randn([d], rng: &rng).toArray()
        let rope = RotaryEmbedding(headDimension: d)
        func score(_ tq: Int, _ tk: Int) -> Float {
            let length = max(tq, tk) + 1
            var qs = [Float](repeating: 0, count: length * d), ks = qs
            for i in 0..<d { qs[tq * d + i] = q[i]; ks[tk * d + i] = k[i] }
            let rq = rope(Variable(Tensor(shape: [length, d], scalars: qs))).value.toArray()
            let rk = rope(Variable(Tensor(shape: [length, d], scalars: ks))).value.toArray()
            return (0..<d).reduce(0) { $0 + rq[tq * d + $1] * rk[tk * d + $1] }
        }
        for (tq, tk) in [(5, 2), (9, 0), (4, 4)] {
            XCTAssertEqual(score(tq, tk), score(tq + 3, tk + 3), accuracy: 1e-4)
        }
        XCTAssertNotEqual(score(5, 2), score(5, 3), accuracy: 1e-3)
    }

    func testGradientMatchesFiniteDifferences() {
        var rng = RandomGenerator(seed: 6)
        let x = Tensor.randn([1, 5, 4], rng: &rng)
        let w = Tensor.randn([1, 5, 4], rng: &rng)
        let rope = RotaryEmbedding(headDimension: 4, theta: 10)
        let v = Variable(x, requiresGrad: true)
        (rope(v) * Variable(w)).sum().backward()
        let analytic = v.grad!.toArray()
        let eps: Float = 1e-2
        for i in 0..<x.count {
            var plus = x.toArray(), minus = plus
            plus[i] += eps; minus[i] -= eps
            func f(_ a: [Float]) -> Float { (rope(Variable(Tensor(shape: x.shape, scalars: a))) * Variable(w)).sum().value.toArray()[0] }
            XCTAssertEqual(analytic[i], (f(plus) - f(minus)) / (2 * eps), accuracy: 2e-3)
        }
    }

    /// A causal decoder with rotary positions: no position parameters, and prefixes are unchanged
    /// by later tokens; the config round-trips through JSON with its position type.
    func testRotaryTransformerConfig() throws {
        var config = TransformerConfig(hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16,
                                       hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, initializerRange: 0.5, normPlacement: .pre,
                                       isDecoder: true, positionEmbeddingType: .rotary, ropeTheta: 500)
        let decoded = try JSONDecoder().decode(TransformerConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(decoded, config)
        XCTAssertEqual(try JSONDecoder().decode(TransformerConfig.self, from: Data("{}".utf8)).positionEmbeddingType, .absolute)
        var rng = RandomGenerator(seed: 7)
        let encoder = TransformerEncoder(config: config, rng: &rng)
        XCTAssertEqual(encoder.layers[0].attention.attention.rotary?.theta, 500)
        let x = Tensor.randn([1, 6, 8], rng: &rng)
        let full = encoder(Variable(x), mask: .causal).value.toArray()
        let prefix = encoder(Variable(x.sliced(axis: 1, start: 0, end: 4).contiguous()), mask: .causal).value.toArray()
        for i in 0..<(4 * 8) { XCTAssertEqual(full[i], prefix[i], accuracy: 1e-5) }
        // Same seed, same weights (rotation adds no parameters; large ones so attention is not
        // uniform): without the rotation the output differs.
        config.positionEmbeddingType = .absolute
        var rng2 = RandomGenerator(seed: 7)
        let plain = TransformerEncoder(config: config, rng: &rng2)
        XCTAssertNil(plain.layers[0].attention.attention.rotary)
        XCTAssertEqual(plain.parameterCount, encoder.parameterCount)
        let unrotated = plain(Variable(x), mask: .causal).value.toArray()
        XCTAssertGreaterThan(zip(full, unrotated).map { abs($0 - $1) }.max()!, 1e-3)
    }
}
