import XCTest
import Tensors
import Autodiff
import Support
@testable import NN

/// The stacked projections of a llama block (q/k/v as one product, gate/up as one product with
/// the packed SwiGLU) against the separate products (`LlamaModel.fusesProjections` off, the path
/// checked against transformers before the fusion): the same logits and parameter gradients, the
/// same training trajectory, with Qwen2's q/k/v biases and with a key/value cache; parameters
/// keep their Hugging Face names and are colocated again after loading.
final class LlamaFusedProjectionTests: XCTestCase {
    override func tearDown() { LlamaModel.fusesProjections = true }

    func maxDifference(_ a: Tensor, _ b: Tensor) -> Float { zip(a.toArray(), b.toArray()).map { abs($0 - $1) }.max() ?? 0 }

    func testFusedProjectionsEqualTheSeparateProducts() {
        for tied in [true, false] {   // llama (tied, no biases) and Qwen2 (q/k/v biases, separate head)
            let model = LlamaCausalBlockTests.randomModel(tied: tied)
            if !tied {
                // Non-zero biases, so a misplaced bias block would show.
                var rng = RandomGenerator(seed: 4)
                for (name, p) in model.namedParameters() where name.hasSuffix("proj.bias") {
                    p.value.withMutablePointer { b in for i in 0..<p.value.count { b[i] = Float(rng.normal()) * 0.5 } }
                }
            }
            var rng = RandomGenerator(seed: 5)
            let (b, t) = (2, 150)   // causal query blocks too
            let ids = (0..<(b * t)).map { _ in rng.int(below: 50) }
            let mask = (0..<(b * t)).map { $0 < t || $0 - t < 101 ? 1 : 0 }
            // The two paths really differ: the fused q is a view of the packed [B, T, H + 2 KV, D].
            let attention = model.model.layers[0].selfAttention, c = model.config
            let x = Variable(Tensor.randn([2, 3, c.hiddenSize], rng: &rng))
            XCTAssertEqual(attention.projections(x).q.value.strides[2], (c.numAttentionHeads + 2 * c.numKeyValueHeads) * c.headDimension)
            LlamaModel.fusesProjections = false
            XCTAssertEqual(attention.projections(x).q.value.strides[2], c.numAttentionHeads * c.headDimension)
            LlamaModel.fusesProjections = true
            let (fused, fusedGrads) = LlamaCausalBlockTests.run(model, ids: ids, batch: b, length: t, mask: mask)
            LlamaModel.fusesProjections = false
            let (separate, separateGrads) = LlamaCausalBlockTests.run(model, ids: ids, batch: b, length: t, mask: mask)
            LlamaModel.fusesProjections = true
            // Within 1e-5: the stacked product and the separate ones sum each element over the same
            // inputs, but BLAS may block a wider product differently.
            XCTAssertLessThanOrEqual(maxDifference(fused, separate), 1e-5, "logits, tied \(tied)")
            XCTAssertEqual(Set(fusedGrads.keys), Set(separateGrads.keys))
            for (name, g) in separateGrads {
                let scale = max(g.toArray().map(abs).max()!, 1e-3)
                XCTAssertLessThanOrEqual(maxDifference(fusedGrads[name]!, g), 1e-4 * scale, "gradient of \(name), tied \(tied)")
                XCTAssertEqual(fusedGrads[name]!.shape, g.shape, name)
            }
        }
    }

    func testCachedDecodingAndNamesAreUnchanged() {
        let model = LlamaCausalBlockTests.randomModel(tied: false)
        let ids = [3, 17, 4, 40, 22, 9, 31]
        let full = model.logits(ids)
        let cache = LlamaKVCache(config: model.config)
        let rows = noGrad { ids.map { model.logits(ids: [$0], batch: 1, length: 1, cache: cache).value.reshaped([1, -1]) } }
        XCTAssertLessThanOrEqual(maxDifference(full, Tensor.concat(rows, axis: 0)), 1e-5)
        LlamaModel.fusesProjections = false
        XCTAssertLessThanOrEqual(maxDifference(full, model.logits(ids)), 1e-5)
        let names = model.namedParameters().map(\.0)
        for part in ["q_proj.weight", "k_proj.weight", "v_proj.weight", "q_proj.bias", "gate_proj.weight", "up_proj.weight"] {
            XCTAssertTrue(names.contains("model.layers.1.self_attn.\(part)") || names.contains("model.layers.1.mlp.\(part)"), part)
        }
        XCTAssertFalse(names.contains { $0.contains("qkv") || $0.contains("gate_up") }, "no stacked parameters: Hugging Face's names only")
    }

    /// Loading gives every parameter fresh storage; the model colocates them again, so the
    /// stacked weight is a view (no copy per pass). A parameter replaced afterwards is stacked
    /// per pass, with the same result.
    func testColocatedAfterLoadingAndCorrectWhenNot() throws {
        let source = LlamaCausalBlockTests.randomModel(tied: true)
        let model = LlamaModel(config: source.config, initialize: false)
        try model.load(stateDict: source.stateDict().mapValues { $0.copy() })
        for layer in model.model.layers {
            let a = layer.selfAttention
            XCTAssertNotNil(Tensor.adjacentRows([a.qProj, a.kProj, a.vProj].map(\.weight.value)), "q/k/v colocated")
            XCTAssertNotNil(Tensor.adjacentRows([layer.mlp.gateProj, layer.mlp.upProj].map(\.weight.value)), "gate/up colocated")
        }
        let ids = [5, 1, 44, 12, 7]
        XCTAssertEqual(model.logits(ids).toArray(), source.logits(ids).toArray(), "same weights, same products: same bits")
        let k = model.model.layers[0].selfAttention.kProj.weight
        k.value = k.value.copy()   // no longer beside q and v
        XCTAssertNil(Tensor.adjacentRows(model.model.layers[0].selfAttention.projectionsWeights))
        XCTAssertEqual(model.logits(ids).toArray(), source.logits(ids).toArray(), "stacked per pass")
    }

    /// AdamW on the fused model follows the separate one (the stacked weight gradient's row blocks
    /// are the parameters' gradients); a frozen block stays bit-identical.
    func testTrainingWithStackedGradients() {
        func train(fused: Bool) -> [String: Tensor] {
            LlamaModel.fusesProjections = fused
            let model = LlamaCausalBlockTests.randomModel(tied: true)
            for (name, p) in model.namedParameters() where name.contains("layers.0.") { p.requiresGrad = false }
            let optimizer = Adam(model.namedParameters().filter { $0.1.requiresGrad }, lr: 1e-2, weightDecay: 0.01, variant: .adamW)
            var rng = RandomGenerator(seed: 8)
            let ids = (0..<(2 * 12)).map { _ in rng.int(below: 50) }
            for _ in 0..<5 {
                let logits = model.logits(ids: ids, batch: 2, length: 12)
                (logits * logits).mean().backward()
                optimizer.step()
                optimizer.zeroGrad()
            }
            return model.stateDict().mapValues { $0.copy() }
        }
        let initial = LlamaCausalBlockTests.randomModel(tied: true).stateDict()
        let fused = train(fused: true), separate = train(fused: false)
        for (name, value) in separate {
            if name.contains("layers.0.") {
                XCTAssertEqual(fused[name]!.toArray(), initial[name]!.toArray(), "\(name) frozen: bit-identical")
            } else {
                XCTAssertNotEqual(fused[name]!.toArray(), initial[name]!.toArray(), "\(name) trained")
                XCTAssertLessThanOrEqual(maxDifference(fused[name]!, value), 1e-4, name)
            }
        }
    }
}

extension LlamaAttention {
    /// The three projection weights, in stacking order.
    var projectionsWeights: [Tensor] { [qProj, kProj, vProj].map(\.weight.value) }
}
