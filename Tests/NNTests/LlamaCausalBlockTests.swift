import XCTest
import Tensors
import Autodiff
import Support
@testable import NN

/// Causal attention by query blocks (`LlamaAttention.causalBlockedContext`, used for passes of
/// 128 tokens or more without a cache) against the unblocked masked product (the path checked
/// against transformers in LlamaModelTests) and against token-by-token decoding through the key
/// /value cache (which never blocks): the same logits and the same gradients, with padding.
final class LlamaCausalBlockTests: XCTestCase {
    override func tearDown() { LlamaAttention.causalBlockTokens = 64 }

    static func randomModel(tied: Bool) -> LlamaModel {
        let config = LlamaConfig(architecture: tied ? .llama : .qwen2, vocabSize: 50, hiddenSize: 24, intermediateSize: 40, numHiddenLayers: 2,
                                 numAttentionHeads: 6, numKeyValueHeads: 2, maxPositionEmbeddings: 512, tieWordEmbeddings: tied)
        return LlamaModel(config: config, seed: 7)
    }

    /// Logits and the gradient of every parameter for a weighted sum of the logits.
    static func run(_ model: LlamaModel, ids: [Int], batch: Int, length: Int, mask: [Int]?) -> (Tensor, [String: Tensor]) {
        model.zeroGrad()
        let logits = model.logits(ids: ids, batch: batch, length: length, attentionMask: mask)
        var rng = RandomGenerator(seed: 3)
        let weights = Variable(Tensor.randn(logits.shape, rng: &rng))
        (logits * weights).sum().backward()
        return (logits.value, Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.grad!.copy()) }))
    }

    func testBlockedAttentionEqualsTheFullMaskedProduct() {
        for tied in [true, false] {
            let model = Self.randomModel(tied: tied)
            XCTAssertEqual(LlamaAttention.causalBlocks(queries: 200), 4)
            var rng = RandomGenerator(seed: 5)
            let (b, t) = (2, 200)
            let ids = (0..<(b * t)).map { _ in rng.int(below: 50) }
            // Row 1 is right-padded after 137 tokens (a block boundary is not a padding boundary).
            let mask = (0..<(b * t)).map { $0 < t || $0 - t < 137 ? 1 : 0 }
            let (blocked, blockedGrads) = Self.run(model, ids: ids, batch: b, length: t, mask: mask)
            LlamaAttention.causalBlockTokens = 1 << 20   // no blocks
            XCTAssertEqual(LlamaAttention.causalBlocks(queries: 200), 1)
            let (full, fullGrads) = Self.run(model, ids: ids, batch: b, length: t, mask: mask)
            LlamaAttention.causalBlockTokens = 64
            // Real positions only: padded query rows attend to the real keys either way, but
            // nothing reads them. Within 1e-5: the softmax sums fewer (zero) terms in another order.
            let real = (0..<(b * t)).filter { mask[$0] == 1 }
            let vocab = model.config.vocabSize
            let a = blocked.reshaped([b * t, vocab]).indexSelect(axis: 0, indices: real)
            let c = full.reshaped([b * t, vocab]).indexSelect(axis: 0, indices: real)
            XCTAssertLessThanOrEqual(zip(a.toArray(), c.toArray()).map { abs($0 - $1) }.max()!, 1e-5, "logits, tied \(tied)")
            for (name, g) in fullGrads {
                let scale = max(g.toArray().map(abs).max()!, 1e-3)
                let diff = zip(blockedGrads[name]!.toArray(), g.toArray()).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(diff, 1e-4 * scale, "gradient of \(name), tied \(tied)")
            }
        }
    }

    /// A 150-token pass (3 blocks of 50) against decoding it token by token through the cache.
    func testBlockedPassEqualsIncrementalDecoding() {
        let model = Self.randomModel(tied: true)
        var rng = RandomGenerator(seed: 9)
        let ids = (0..<150).map { _ in rng.int(below: 50) }
        XCTAssertEqual(LlamaAttention.causalBlocks(queries: 150), 3)
        let full = model.logits(ids)
        let cache = LlamaKVCache(config: model.config)
        var rows: [Tensor] = []
        noGrad {
            for id in ids { rows.append(model.logits(ids: [id], batch: 1, length: 1, cache: cache).value.reshaped([1, -1])) }
        }
        let incremental = Tensor.concat(rows, axis: 0)
        XCTAssertLessThanOrEqual(zip(full.toArray(), incremental.toArray()).map { abs($0 - $1) }.max()!, 1e-5)
    }
}
