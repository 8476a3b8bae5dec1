import XCTest
import Tensors
import Autodiff
@testable import NN
import Support

/// Forward values and gradients of layers against PyTorch (Fixtures/layers.json).
/// The loss is sum(out * R) with a fixed random R, so every output element matters.
final class LayerFixtureTests: XCTestCase {
    static let fixture = try! Fixture.json("layers.json")
    var rng = RandomGenerator(seed: 0)

    /// Loads the case's parameters into `module` by name (strict), runs `forward`, and compares
    /// the output, the input gradient and every parameter gradient.
    func check(_ name: String, _ module: Module, rtol: Float = 1e-5, atol: Float = 1e-5,
               file: StaticString = #filePath, line: UInt = #line, forward: (Variable) -> Variable) throws {
        let c = Self.fixture[name] as! [String: Any]
        let params = Fixture.tensors(c["params"])
        try module.load(stateDict: params)
        let x = Variable(Fixture.tensor(c["input"]), requiresGrad: true)
        let out = forward(x)
        assertClose(out.value, Fixture.tensor(c["output"]), rtol: rtol, atol: atol, "\(name) output", file: file, line: line)
        (out * Variable(Fixture.tensor(c["R"]))).sum().backward()
        assertClose(x.grad!, Fixture.tensor(c["input_grad"]), rtol: rtol, atol: atol, "\(name) input grad", file: file, line: line)
        let grads = Fixture.tensors(c["param_grads"])
        for (pname, p) in module.namedParameters() {
            guard let g = p.grad else { XCTFail("\(name): no gradient for \(pname)", file: file, line: line); continue }
            assertClose(g, grads[pname]!, rtol: rtol, atol: atol, "\(name) grad of \(pname)", file: file, line: line)
        }
    }

    var config: [String: Int] { (Self.fixture["config"] as! [String: NSNumber]).mapValues(\.intValue) }
    var padding: Tensor { Fixture.tensor(Self.fixture["padding"]) }

    func blockConfig(_ placement: NormPlacement, eps: Float, layers: Int = 1) -> TransformerConfig {
        TransformerConfig(hiddenSize: config["hidden"]!, numHiddenLayers: layers, numAttentionHeads: config["heads"]!,
                          intermediateSize: config["intermediate"]!, hiddenAct: "gelu", hiddenDropoutProb: 0,
                          attentionProbsDropoutProb: 0, layerNormEps: eps, normPlacement: placement)
    }

    func testLinear() throws {
        let l = Linear(config["hidden"]!, 6, rng: &rng)
        try check("linear", l) { l($0) }
    }

    func testLayerNorm() throws {
        let l = LayerNorm(config["hidden"]!, eps: 1e-5)
        try check("layer_norm", l) { l($0) }
    }

    func testRMSNorm() throws {
        let l = RMSNorm(config["hidden"]!, eps: 1e-6)
        try check("rms_norm", l) { l($0) }
    }

    func testAttentionWithPaddingMask() throws {
        let a = MultiHeadAttention(hiddenSize: config["hidden"]!, heads: config["heads"]!, rng: &rng)
        try check("attention_padding", a, rtol: 1e-4, atol: 1e-5) { a($0, mask: AttentionMask(padding: padding)) }
    }

    func testAttentionCausal() throws {
        let a = MultiHeadAttention(hiddenSize: config["hidden"]!, heads: config["heads"]!, rng: &rng)
        try check("attention_causal", a, rtol: 1e-4, atol: 1e-5) { a($0, mask: .causal) }
    }

    func testAttentionCausalWithPadding() throws {
        let a = MultiHeadAttention(hiddenSize: config["hidden"]!, heads: config["heads"]!, rng: &rng)
        try check("attention_causal_padding", a, rtol: 1e-4, atol: 1e-5) { a($0, mask: AttentionMask(causal: true, padding: padding)) }
    }

    func testPostNormBlockWithPadding() throws {
        let b = TransformerBlock(config: blockConfig(.post, eps: 1e-12), rng: &rng)
        try check("block_post_padding", b, rtol: 1e-4, atol: 1e-4) { b($0, mask: AttentionMask(padding: padding)) }
    }

    func testPreNormBlockCausal() throws {
        var c = blockConfig(.pre, eps: 1e-5)
        c.isDecoder = true
        let b = TransformerBlock(config: c, rng: &rng)
        try check("block_pre_causal", b, rtol: 1e-4, atol: 1e-4) { b($0) }
    }

    func testEncoderStack() throws {
        let e = TransformerEncoder(config: blockConfig(.post, eps: 1e-12, layers: 2), rng: &rng)
        try check("encoder_post_padding", e, rtol: 1e-4, atol: 1e-4) { e($0, mask: AttentionMask(padding: padding)) }
    }
}
