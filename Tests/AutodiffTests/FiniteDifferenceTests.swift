import Foundation
import XCTest
import Tensors
@testable import Autodiff
import Support

/// Every differentiable op, checked analytic-against-central-differences on seeded random inputs.
/// The loss is sum(op(inputs) * R) with a fixed random R, so every output element matters.
/// Fixed, non-trivial [3, 6] tables for the rotary case (any values: the op is linear in x).
func ropeTable(phase: Float) -> Tensor {
    Tensor(shape: [3, 6], scalars: (0..<18).map { Float(sin(Double($0) * 0.7 + Double(phase))) })
}

/// An additive causal mask [1, 1, 3, 3] and a fixed dropout multiplier [2, 2, 3, 3] (0 or 1.25)
/// for the attention cases.
let attentionCausalMask = Tensor(shape: [1, 1, 3, 3], scalars: [0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0])
let attentionDropout = Tensor(shape: [2, 2, 3, 3], scalars: (0..<36).map { $0 % 5 == 2 ? 0 : 1.25 })

final class FiniteDifferenceTests: XCTestCase {
    struct Case {
        let name: String
        let shapes: [[Int]]
        /// Keeps inputs away from kinks and singularities (e.g. positive for log).
        var positive = false
        let op: ([Variable]) -> Variable
    }

    static let cases: [Case] = [
        Case(name: "add", shapes: [[3, 4], [3, 4]]) { $0[0] + $0[1] },
        Case(name: "add broadcast", shapes: [[2, 3, 4], [4]]) { $0[0] + $0[1] },
        Case(name: "sub broadcast", shapes: [[3, 1], [1, 4]]) { $0[0] - $0[1] },
        Case(name: "mul broadcast", shapes: [[2, 3, 4], [3, 1]]) { $0[0] * $0[1] },
        Case(name: "div", shapes: [[3, 4], [3, 4]], positive: true) { $0[0] / $0[1] },
        Case(name: "neg", shapes: [[5]]) { -$0[0] },
        Case(name: "scalar ops", shapes: [[5]], positive: true) { (2 - $0[0] * 3 + 1) / 2 + 1 / $0[0] },
        Case(name: "pow const", shapes: [[4]], positive: true) { $0[0].pow(2.5) },
        Case(name: "pow var", shapes: [[4], [4]], positive: true) { $0[0].pow($0[1]) },
        Case(name: "exp", shapes: [[3, 3]]) { $0[0].exp() },
        Case(name: "log", shapes: [[3, 3]], positive: true) { $0[0].log() },
        Case(name: "sqrt", shapes: [[3, 3]], positive: true) { $0[0].sqrt() },
        Case(name: "abs", shapes: [[6]], positive: true) { $0[0].abs() },
        Case(name: "tanh", shapes: [[6]]) { $0[0].tanh() },
        Case(name: "sigmoid", shapes: [[6]]) { $0[0].sigmoid() },
        Case(name: "relu", shapes: [[6]], positive: true) { $0[0].relu() },
        Case(name: "leaky_relu", shapes: [[6]]) { ($0[0] - 0.0).leakyRelu(slope: 0.1) },
        Case(name: "gelu", shapes: [[6]]) { $0[0].gelu() },
        Case(name: "gelu_tanh", shapes: [[6]]) { $0[0].geluTanh() },
        Case(name: "clamp", shapes: [[8]]) { $0[0].clamp(min: -0.5, max: 0.5) },
        Case(name: "maximum", shapes: [[5], [5]]) { $0[0].maximum($0[1]) },
        Case(name: "matmul 2d", shapes: [[3, 4], [4, 5]]) { $0[0].matmul($0[1]) },
        Case(name: "matmul transposed", shapes: [[4, 3], [5, 4]]) { $0[0].transposed().matmul($0[1].transposed()) },
        Case(name: "matmul batched broadcast", shapes: [[2, 3, 4], [4, 2]]) { $0[0].matmul($0[1]) },
        Case(name: "matmul vector", shapes: [[3, 4], [4]]) { $0[0].matmul($0[1]) },
        Case(name: "matmul vec-mat", shapes: [[4], [4, 3]]) { $0[0].matmul($0[1]) },
        Case(name: "sum axis", shapes: [[3, 4, 2]]) { $0[0].sum(axes: [1]) },
        Case(name: "sum all", shapes: [[3, 4]]) { $0[0].sum() },
        Case(name: "mean keepdims", shapes: [[3, 4]]) { $0[0].mean(axes: [0], keepDims: true) },
        Case(name: "max", shapes: [[3, 5]]) { $0[0].max(axes: [1]) },
        Case(name: "min", shapes: [[3, 5]]) { $0[0].min(axes: [0]) },
        Case(name: "variance", shapes: [[3, 5]]) { $0[0].variance(axes: [1]) },
        Case(name: "logsumexp", shapes: [[3, 5]]) { $0[0].logsumexp(axes: [1]) },
        Case(name: "softmax", shapes: [[3, 5]]) { $0[0].softmax() },
        Case(name: "log_softmax", shapes: [[3, 5]]) { $0[0].logSoftmax() },
        Case(name: "layer_norm", shapes: [[3, 6], [6], [6]]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) },
        Case(name: "rms_norm", shapes: [[3, 6], [6]]) { $0[0].rmsNorm(weight: $0[1]) },
        Case(name: "reshape", shapes: [[3, 4]]) { $0[0].reshaped([2, 6]) * $0[0].reshaped([2, 6]) },
        Case(name: "permute", shapes: [[2, 3, 4]]) { $0[0].permuted([2, 0, 1]).matmul($0[0].permuted([2, 1, 0]).reshaped([4, 3, 2]).sum(axes: [2]).unsqueezed(-1)) },
        Case(name: "slice", shapes: [[5, 4]]) { $0[0].sliced(axis: 0, start: 1, end: 5, step: 2) },
        Case(name: "select", shapes: [[5, 4]]) { $0[0].selecting(axis: 1, index: 2) },
        Case(name: "squeeze/unsqueeze", shapes: [[3, 1, 4]]) { $0[0].squeezed().unsqueezed(0) },
        Case(name: "expand", shapes: [[3, 1]]) { $0[0].expanded(to: [2, 3, 4]) },
        Case(name: "concat", shapes: [[2, 3], [2, 2]]) { Variable.concat([$0[0], $0[1]], axis: 1) },
        Case(name: "stack", shapes: [[2, 3], [2, 3]]) { Variable.stack([$0[0], $0[1]], axis: 1) },
        Case(name: "split", shapes: [[5, 2]]) { let p = $0[0].split(sizes: [2, 3], axis: 0); return p[0].sum() * p[1].sum() },
        Case(name: "index_select repeated", shapes: [[4, 3]]) { $0[0].indexSelect(axis: 0, indices: [1, 3, 1, 0]) },
        Case(name: "gather", shapes: [[3, 4]]) { $0[0].gather(axis: 1, index: Tensor(shape: [3, 2], scalars: [0, 3, 1, 1, 2, 0])) },
        Case(name: "where", shapes: [[4], [4]]) { Variable.select(Tensor([1, 0, 1, 0]), $0[0], $0[1] * 2) },
        Case(name: "softplus", shapes: [[7]]) { ($0[0] * 3).softplus() },
        Case(name: "linear", shapes: [[3, 4], [5, 4], [5]]) { $0[0].linear(weight: $0[1], bias: $0[2]) },
        Case(name: "linear transposed, no bias", shapes: [[4, 3], [4, 5]]) { $0[0].transposed().linear(weight: $0[1].transposed(), bias: nil) },
        Case(name: "layer_norm no affine", shapes: [[2, 3, 6]]) { $0[0].layerNorm(weight: nil, bias: nil) },
        Case(name: "layer_norm weight only", shapes: [[40, 5], [5]]) { $0[0].layerNorm(weight: $0[1], bias: nil) },
        Case(name: "softmax 3d", shapes: [[2, 3, 5]]) { ($0[0] * 2).softmax() },
        Case(name: "gelu wide", shapes: [[12]]) { ($0[0] * 3).gelu() },
        // Last, so that adding it left the random inputs of the cases above unchanged.
        Case(name: "silu", shapes: [[12]]) { ($0[0] * 3).silu() },
        // The fused llama-block primitives (after silu for the same reason).
        Case(name: "rms_norm no weight", shapes: [[3, 6]]) { $0[0].rmsNorm(weight: nil) },
        Case(name: "swiglu", shapes: [[3, 4], [3, 4]]) { Variable.swiglu(gate: $0[0] * 3, up: $0[1]) },
        Case(name: "rotary embedding of a permuted view", shapes: [[2, 3, 2, 6]]) {
            $0[0].permuted([0, 2, 1, 3]).rotaryEmbedding(cos: ropeTable(phase: 0), sin: ropeTable(phase: 1), scale: 0.7)
        },
        Case(name: "softmax adding a broadcast mask", shapes: [[2, 3, 5]]) {
            ($0[0] * 2).softmax(addingMask: Tensor(shape: [3, 5], scalars: (0..<15).map { $0 % 4 == 3 ? -30 : Float($0 % 3) * 0.5 }))
        },
        // The fused attention and the stacked projection (after the llama primitives, likewise).
        Case(name: "attention, causal mask and dropout", shapes: [[2, 3, 12]]) {
            ($0[0] * 2).attention(heads: 2, scale: 0.6, mask: attentionCausalMask, dropout: attentionDropout)
        },
        Case(name: "attention, padding mask", shapes: [[2, 4, 6]]) {
            ($0[0] * 2).attention(heads: 1, scale: 0.8,
                                   mask: Tensor(shape: [2, 1, 1, 4], scalars: [0, 0, 0, -30, 0, -30, -30, -30]), dropout: nil)
        },
        Case(name: "linear with stacked weights", shapes: [[3, 4], [2, 4], [3, 4], [2], [3]]) {
            $0[0].linear(stackedWeights: [$0[1], $0[2]], biases: [$0[3], $0[4]])
        },
        Case(name: "linear with stacked weights, no bias", shapes: [[3, 4], [2, 4], [1, 4]]) {
            $0[0].linear(stackedWeights: [$0[1], $0[2]], biases: nil)
        },
        // The packed SwiGLU of the llama feed-forward (last, likewise).
        Case(name: "swiglu of a packed gate | up", shapes: [[3, 8]]) { Variable.swiglu(packed: $0[0] * 3) },
    ]

    func testEveryOpAgainstCentralDifferences() {
        var rng = RandomGenerator(seed: 7)
        for c in Self.cases {
            let inputs = c.shapes.map { shape -> Variable in
                var t = Tensor.randn(shape, rng: &rng)
                if c.positive { t = t.abs() + 0.5 }
                return Variable(t, requiresGrad: true)
            }
            let outShape = c.op(inputs).shape
            let r = Tensor.randn(outShape, rng: &rng)
            func loss(_ xs: [Variable]) -> Variable { (c.op(xs) * Variable(r)).sum() }
            let analytic = gradients(of: loss(inputs), wrt: inputs)
            for (k, input) in inputs.enumerated() {
                let base = input.value.toArray()
                for i in 0..<base.count {
                    func eval(_ delta: Float) -> Double {
                        var moved = base
                        moved[i] += delta
                        var xs = inputs.map { Variable($0.value) }
                        xs[k] = Variable(Tensor(shape: input.shape, scalars: moved))
                        return Double(noGrad { loss(xs) }.value.item)
                    }
                    let h: Float = 1e-2
                    let numeric = (eval(h) - eval(-h)) / Double(2 * h)
                    let got = Double(analytic[k].toArray()[i])
                    XCTAssertEqual(got, numeric, accuracy: 2e-2 * max(1, abs(numeric)),
                                   "\(c.name): input \(k) element \(i)")
                }
            }
        }
    }

    func testBackwardAccumulatesIntoGradAndNoGradRecordsNothing() {
        let w = Variable(Tensor([1, 2, 3]), requiresGrad: true)
        (w * w).sum().backward()
        (w * 2).sum().backward()
        XCTAssertEqual(w.grad?.toArray(), [4, 6, 8])
        let y = noGrad { w * w }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertFalse((w.detached() * 3).requiresGrad)
    }

    func testGradientsWrtIntermediateAndUnusedInputs() {
        let x = Variable(Tensor([1, 2]), requiresGrad: true)
        let unused = Variable(Tensor([5]), requiresGrad: true)
        let h = x * 3
        let g = gradients(of: (h * h).sum(), wrt: [h, x, unused])
        XCTAssertEqual(g[0].toArray(), [6, 12])
        XCTAssertEqual(g[1].toArray(), [18, 36])
        XCTAssertEqual(g[2].toArray(), [0])
        XCTAssertNil(x.grad)
    }
}
