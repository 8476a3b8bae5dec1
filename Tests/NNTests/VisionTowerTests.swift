import XCTest
import Tensors
import Autodiff
import Support
@testable import NN

/// The vision path: patch layout and pixel shuffle against torch/numpy
/// (`scripts/make_vision_fixtures.py`), gradients of the whole tower against central differences.
final class VisionTowerTests: XCTestCase {
    static func floats(_ any: Any?) -> [Float] { (any as! [NSNumber]).map(\.floatValue) }
    static func ints(_ any: Any?) -> [Int] { (any as! [NSNumber]).map(\.intValue) }

    /// The conv-as-matmul of `PatchEmbedding` equals torch's `conv2d(stride = patch)` flattened in
    /// InternViT's order, with the conv weight reshaped to [out, channels*patch*patch].
    func testPatchEmbeddingIsTheStridedConvolution() throws {
        let f = try Fixture.json("vision.json")["patch"] as! [String: Any]
        let (tiles, channels, size, patch, out) = (f["tiles"] as! Int, f["channels"] as! Int, f["size"] as! Int,
                                                   f["patch"] as! Int, f["out"] as! Int)
        let config = VisionConfig(imageSize: size, patchSize: patch, channels: channels, hiddenSize: out,
                                  numHiddenLayers: 0, numAttentionHeads: 1, intermediateSize: 4, outputSize: 4)
        var rng = RandomGenerator(seed: 1)
        let embedding = PatchEmbedding(config: config, rng: &rng)
        embedding.projection.weight.value = Tensor(shape: [out, channels * patch * patch], scalars: Self.floats(f["weight"]))
        embedding.projection.bias!.value = Tensor(shape: [out], scalars: Self.floats(f["bias"]))
        embedding.positionEmbedding.value = Tensor.zeros(embedding.positionEmbedding.shape)
        let pixels = Tensor(shape: [tiles, channels, size, size], scalars: Self.floats(f["pixels"]))
        let y = noGrad { embedding(pixels) }.value
        // Float32 on both sides, different summation order: a relative tolerance.
        assertClose(y, Tensor(shape: Self.ints(f["conv_shape"]), scalars: Self.floats(f["conv"])), rtol: 1e-4, atol: 1e-5, "patch embedding")
    }

    /// `pixelShuffle` moves every entry where InternVL's `pixel_shuffle` + reshape does (exact:
    /// a permutation copies values).
    func testPixelShuffleMatchesInternVL() throws {
        let f = try Fixture.json("vision.json")["shuffle"] as! [String: Any]
        let x = Variable(Tensor(shape: Self.ints(f["shape"]), scalars: Self.floats(f["input"])))
        let y = pixelShuffle(x, factor: 2).value
        XCTAssertEqual(y.shape, Self.ints(f["output_shape"]))
        XCTAssertEqual(y.contiguous().toArray(), Self.floats(f["output"]))
    }

    /// Backward through patch embedding, ViT, pixel shuffle and projector agrees with central
    /// differences on the largest-gradient entries of parameters of every part.
    func testGradientsMatchFiniteDifferences() {
        let config = VisionConfig(imageSize: 8, patchSize: 2, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2,
                                  intermediateSize: 16, outputSize: 6)
        let tower = VisionTower(config: config, seed: 3)
        var rng = RandomGenerator(seed: 4)
        let pixels = Tensor.randn([2, 3, 8, 8], rng: &rng)
        let probe = Variable(Tensor.randn([2, config.tokensPerTile, 6], rng: &rng))
        XCTAssertEqual(config.tokensPerTile, 4)
        func loss() -> Variable { (tower(pixels) * probe).sum() }
        tower.zeroGrad()
        loss().backward()
        let named = Dictionary(uniqueKeysWithValues: tower.namedParameters())
        for name in ["embeddings.patch_embedding.weight", "embeddings.position_embedding",
                     "encoder.layer.0.attention.self.query.weight", "encoder.layer.1.intermediate.dense.weight",
                     "encoder.final_layer_norm.weight", "mlp1.0.weight", "mlp1.1.weight", "mlp1.3.bias"] {
            guard let p = named[name] else { XCTFail("no parameter \(name) in \(named.keys.sorted())"); continue }
            let grad = p.grad!.contiguous().toArray()
            for i in grad.indices.sorted(by: { abs(grad[$0]) > abs(grad[$1]) }).prefix(3) {
                let eps: Float = 1e-2
                let original = p.value.basePointer[i]
                p.value.withMutablePointer { $0[i] = original + eps }
                let up = noGrad { loss().value.item }
                p.value.withMutablePointer { $0[i] = original - eps }
                let down = noGrad { loss().value.item }
                p.value.withMutablePointer { $0[i] = original }
                let numeric = (up - down) / (2 * eps)
                XCTAssertEqual(grad[i], numeric, accuracy: 2e-2 * max(1, abs(numeric)), "\(name)[\(i)]")
            }
        }
    }

    /// Tiles are independent: a tile's tokens do not change when another tile of the batch does.
    func testTilesOfABatchAreIndependent() {
        let tower = VisionTower(config: VisionConfig(outputSize: 16), seed: 1)
        var rng = RandomGenerator(seed: 2)
        let a = Tensor.randn([2, 3, 32, 32], rng: &rng)
        let b = a.copy()
        b.withMutablePointer { p in for i in (3 * 32 * 32)..<(2 * 3 * 32 * 32) { p[i] += 1 } }
        let ya = noGrad { tower(a) }.value.selecting(axis: 0, index: 0).contiguous().toArray()
        let yb = noGrad { tower(b) }.value.selecting(axis: 0, index: 0).contiguous().toArray()
        XCTAssertEqual(ya.count, 4 * 16)
        for (x, y) in zip(ya, yb) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }

    func testConfigValidationNamesTheField() throws {
        XCTAssertNoThrow(try VisionConfig.preset("tiny", outputSize: 64).validate())
        XCTAssertNoThrow(try VisionConfig.preset("small", outputSize: 64).validate())
        XCTAssertThrowsError(try VisionConfig.preset("huge", outputSize: 64)) { XCTAssertTrue("\($0)".contains("huge")) }
        XCTAssertThrowsError(try VisionConfig(imageSize: 30, patchSize: 8).validate()) { XCTAssertTrue("\($0)".contains("patch_size")) }
        XCTAssertThrowsError(try VisionConfig(imageSize: 24, patchSize: 8).validate()) { XCTAssertTrue("\($0)".contains("pixel-shuffled")) }
        XCTAssertThrowsError(try VisionConfig(downsampleRatio: 0.4).validate()) { XCTAssertTrue("\($0)".contains("downsample_ratio")) }
        let json = try JSONEncoder().encode(VisionConfig.preset("small", outputSize: 64))
        XCTAssertEqual(try JSONDecoder().decode(VisionConfig.self, from: json), try VisionConfig.preset("small", outputSize: 64))
        XCTAssertTrue(String(decoding: json, as: UTF8.self).contains("\"llm_hidden_size\""))
    }
}
