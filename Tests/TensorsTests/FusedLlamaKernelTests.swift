import XCTest
import Tensors
import Support

/// The fused llama-block kernels (Tensor+FusedLlama.swift) against the composites of elementary
/// ops they replace, on tensors large enough to be split across both cores; their gradients are
/// checked against central differences in AutodiffTests.
final class FusedLlamaKernelTests: XCTestCase {
    var rng = RandomGenerator(seed: 11)

    func close(_ a: Tensor, _ b: Tensor, tolerance: Float = 1e-5, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, label, file: file, line: line)
        let (x, y) = (a.toArray(), b.toArray())
        for i in 0..<Swift.min(x.count, y.count) where !(Swift.abs(x[i] - y[i]) <= tolerance * (Swift.abs(y[i]) + 1)) {
            XCTFail("\(label): element \(i) is \(x[i]), expected \(y[i])", file: file, line: line)
            return
        }
    }

    func testRMSNormEqualsNormaliseThenScale() {
        let x = Tensor.randn([300, 96], rng: &rng), w = Tensor.randn([96], rng: &rng)
        let (fused, inv) = x.rmsNorm(weight: w, eps: 1e-5)
        let (xhat, inv2) = x.rmsNormalized(eps: 1e-5)
        // Exact: the same products in the same order ((x * r) * w) with the same row statistic.
        XCTAssertEqual(fused.toArray(), (xhat * w).toArray())
        XCTAssertEqual(inv.toArray(), inv2.toArray())
        XCTAssertEqual(x.rmsNorm(weight: nil, eps: 1e-5).output.toArray(), xhat.toArray())
        // A strided input is read through a copy with the same result.
        let xt = x.reshaped([96, 300]).transposed()
        close(xt.rmsNorm(weight: w, eps: 1e-5).output, xt.contiguous().rmsNormalized(eps: 1e-5).normalized * w, "transposed input")
    }

    func testRMSNormBackwardEqualsTheComposite() {
        let x = Tensor.randn([300, 96], rng: &rng), w = Tensor.randn([96], rng: &rng), g = Tensor.randn([300, 96], rng: &rng)
        let (_, inv) = x.rmsNorm(weight: w, eps: 1e-6)
        let r = Tensor.rmsNormBackward(input: x, inverseRMS: inv, weight: w, outputGradient: g, needWeight: true)
        // The rule written with elementary ops.
        let xhat = x * inv, gx = g * w
        let dx = inv * (gx - xhat * ((gx * xhat).sum(axes: [-1], keepDims: true) * (1 / Float(96))))
        close(r.input, dx, tolerance: 1e-4, "dx")
        close(r.weight!, (g * xhat).sum(axes: [0]), tolerance: 1e-4, "dw")
        XCTAssertNil(Tensor.rmsNormBackward(input: x, inverseRMS: inv, weight: w, outputGradient: g, needWeight: false).weight)
    }

    func testSwiGLUAndItsBackward() {
        let gate = Tensor.randn([200, 300], rng: &rng) * 3, up = Tensor.randn([200, 300], rng: &rng), g = Tensor.randn([200, 300], rng: &rng)
        // Exact: silu() computes x * sigmoid(x) with the same FastMath sigmoid, then one product.
        XCTAssertEqual(Tensor.swiglu(gate: gate, up: up).toArray(), (gate.silu() * up).toArray())
        let r = Tensor.swigluBackward(gate: gate, up: up, outputGradient: g, needGate: true, needUp: true)
        close(r.gate!, g * up * gate.siluDerivative(), "d gate")
        close(r.up!, g * gate.silu(), "d up")
        XCTAssertNil(Tensor.swigluBackward(gate: gate, up: up, outputGradient: g, needGate: false, needUp: true).gate)
    }

    /// SwiGLU of a packed [n, 2I] gate | up product: the same bits as `swiglu(gate:up:)` on its two
    /// halves (same arithmetic per element), and a backward that equals the two halves' gradients
    /// side by side (also exact: the same expressions).
    func testPackedSwiGLUEqualsTheTwoHalves() {
        let packed = Tensor.randn([2, 150, 600], rng: &rng) * 2, g = Tensor.randn([2, 150, 300], rng: &rng)
        let (gate, up) = (packed.sliced(axis: 2, start: 0, end: 300), packed.sliced(axis: 2, start: 300, end: 600))
        XCTAssertEqual(Tensor.swiglu(packed: packed).shape, [2, 150, 300])
        XCTAssertEqual(Tensor.swiglu(packed: packed).toArray(), Tensor.swiglu(gate: gate, up: up).toArray())
        let r = Tensor.swigluBackward(gate: gate, up: up, outputGradient: g, needGate: true, needUp: true)
        XCTAssertEqual(Tensor.swigluBackward(packed: packed, outputGradient: g).toArray(),
                       Tensor.concat([r.gate!, r.up!], axis: 2).toArray())
    }

    /// The composite the fused rotary kernel replaces (Hugging Face's rotate_half).
    func rotateHalf(_ x: Tensor, _ c: Tensor, _ s: Tensor) -> Tensor {
        let d = x.shape.last!, h = d / 2
        let rotated = Tensor.concat([-x.sliced(axis: -1, start: h, end: d), x.sliced(axis: -1, start: 0, end: h)], axis: x.rank - 1)
        return x * c + rotated * s
    }

    func testRotaryEmbeddingOnAPermutedViewAndItsTranspose() {
        // [B, T, H, D] projections viewed as [B, H, T, D]: the kernel reads the strided view in place.
        let (b, t, heads, d) = (3, 40, 4, 16)
        let x = Tensor.randn([b, t, heads, d], rng: &rng).permuted([0, 2, 1, 3])
        let c = Tensor.randn([t, d], rng: &rng), s = Tensor.randn([t, d], rng: &rng)
        let out = x.rotaryEmbedding(cos: c, sin: s, scale: 0.25)
        XCTAssertTrue(out.isContiguous)
        close(out, rotateHalf(x, c, s) * 0.25, "forward")
        // The backward is the transpose: <R x, g> = <x, R^T g> for random x and g.
        let g = Tensor.randn(out.shape, rng: &rng)
        let back = Tensor.rotaryEmbeddingBackward(outputGradient: g, cos: c, sin: s, scale: 0.25)
        let lhs = (out * g).sum().item, rhs = (x * back).sum().item
        XCTAssertEqual(lhs, rhs, accuracy: 1e-3 * Swift.max(1, Swift.abs(lhs)))
    }

    func testSoftmaxAddingABroadcastMaskEqualsAddThenSoftmax() {
        let scores = Tensor.randn([2, 3, 50, 50], rng: &rng)
        var mask = [Float](repeating: 0, count: 50 * 50)
        for i in 0..<50 { for j in (i + 1)..<50 { mask[i * 50 + j] = -1e9 } }
        let m = Tensor(shape: [1, 1, 50, 50], scalars: mask)
        // Exact: the same sum into the output row, then the same softmax passes over it.
        XCTAssertEqual(scores.softmax(addingMask: m).toArray(), (scores + m).softmax().toArray())
        let perBatch = Tensor.randn([2, 1, 50, 50], rng: &rng)
        XCTAssertEqual(scores.softmax(addingMask: perBatch).toArray(), (scores + perBatch).softmax().toArray())
        // A mask broadcast along the last axis takes the unfused path, with the same result.
        let column = Tensor.randn([50, 1], rng: &rng)
        XCTAssertEqual(scores.softmax(addingMask: column).toArray(), (scores + column).softmax().toArray())
    }
}
