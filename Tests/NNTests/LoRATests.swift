import XCTest
import Tensors
import Autodiff
import Support
@testable import NN

/// LoRA adapters on Linear and on llama blocks: gradients against central differences, the
/// merged weights against the adapted layer, the frozen base weights never written.
final class LoRATests: XCTestCase {
    /// An adapted layer whose B is random (at attachment B is zero, which would make A's
    /// gradient zero and the check empty).
    func adaptedLayer(rng: inout RandomGenerator) throws -> (Linear, LoRAAdapter) {
        let layer = Linear(5, 4, rng: &rng)
        let lora = try layer.attachAdapter(rank: 2, alpha: 3, rng: &rng)
        lora.b.value = Tensor.randn([4, 2], rng: &rng)
        return (layer, lora)
    }

    func testGradientsOfAAndBAgainstCentralDifferences() throws {
        var rng = RandomGenerator(seed: 3)
        let (layer, lora) = try adaptedLayer(rng: &rng)
        let x = Variable(Tensor.randn([2, 3, 5], rng: &rng), requiresGrad: true)
        let r = Tensor.randn([2, 3, 4], rng: &rng)
        // tanh makes the loss non-linear in A and in B, so the check is not one of a linear map.
        func loss() -> Variable { (layer(x).tanh() * Variable(r)).sum() }
        let analytic = gradients(of: loss(), wrt: [lora.a, lora.b, x])
        for (k, p) in [lora.a, lora.b, x].enumerated() {
            let base = p.value.toArray()
            for i in 0..<base.count {
                func eval(_ delta: Float) -> Double {
                    var moved = base
                    moved[i] += delta
                    p.value = Tensor(shape: p.shape, scalars: moved)
                    defer { p.value = Tensor(shape: p.shape, scalars: base) }
                    return Double(noGrad { loss() }.value.item)
                }
                let h: Float = 1e-2
                let numeric = (eval(h) - eval(-h)) / Double(2 * h)
                XCTAssertEqual(Double(analytic[k].toArray()[i]), numeric, accuracy: 2e-2 * max(1, abs(numeric)),
                               "input \(k) element \(i)")
            }
        }
        // The base weight is frozen: the graph gives it nothing.
        XCTAssertFalse(layer.weight.requiresGrad)
        XCTAssertFalse(layer.bias!.requiresGrad)
        loss().backward()
        XCTAssertNil(layer.weight.grad)
        XCTAssertNil(layer.bias!.grad)
        XCTAssertNotNil(lora.a.grad)
    }

    func testFreshAdapterChangesNothingAndMergeEqualsTheAdaptedLayer() throws {
        var rng = RandomGenerator(seed: 4)
        let layer = Linear(6, 3, rng: &rng)
        let x = Variable(Tensor.randn([7, 6], rng: &rng))
        let before = layer(x).value.toArray()
        let lora = try layer.attachAdapter(rank: 2, alpha: 16, rng: &rng)
        XCTAssertEqual(lora.scale, 8)
        // Exact: B is zero, so the low-rank term is exactly 0 and adding it changes no bit.
        XCTAssertEqual(layer(x).value.toArray(), before)
        XCTAssertEqual(layer.namedParameters().map(\.0), ["weight", "bias", "lora.A", "lora.B"])

        lora.b.value = Tensor.randn([3, 2], rng: &rng)
        let adapted = layer(x).value.toArray()
        let merged = layer.mergedStateDict()
        XCTAssertEqual(Set(merged.keys), ["weight", "bias"])
        let plain = Linear(6, 3, rng: &rng)
        try plain.load(stateDict: merged)
        assertClose(plain(x).value.toArray(), adapted, 1e-5)
        // In-place merge: same function, adapter gone, weight trainable again.
        layer.mergeAdapter()
        XCTAssertNil(layer.adapter)
        XCTAssertTrue(layer.weight.requiresGrad)
        XCTAssertEqual(layer.namedParameters().map(\.0), ["weight", "bias"])
        assertClose(layer(x).value.toArray(), adapted, 1e-5)
    }

    func testBadRankAndSecondAdapterAreRefused() throws {
        var rng = RandomGenerator(seed: 5)
        let layer = Linear(4, 3, rng: &rng)
        XCTAssertThrowsError(try layer.attachAdapter(rank: 0, alpha: 1, rng: &rng)) {
            XCTAssertTrue("\($0)".contains("rank must be in 1...3"), "\($0)")
        }
        XCTAssertThrowsError(try layer.attachAdapter(rank: 4, alpha: 1, rng: &rng))
        try layer.attachAdapter(rank: 1, alpha: 1, rng: &rng)
        XCTAssertThrowsError(try layer.attachAdapter(rank: 1, alpha: 1, rng: &rng)) {
            XCTAssertTrue("\($0)".contains("already has a LoRA adapter"), "\($0)")
        }
        let model = LlamaModel(config: Self.tinyConfig, seed: 1)
        XCTAssertThrowsError(try model.attachLoRA(rank: 2, alpha: 4, blocks: [2])) {
            XCTAssertTrue("\($0)".contains("block 2 out of range 0..<2"), "\($0)")
        }
        // k_proj is 16 -> 8 (2 key/value heads of 4): rank 9 fits no adapter there; nothing attached.
        XCTAssertThrowsError(try model.attachLoRA(rank: 9, alpha: 4)) {
            XCTAssertTrue("\($0)".contains("rank must be in 1...8"), "\($0)")
        }
        XCTAssertTrue(model.adaptedLayers().isEmpty)
    }

    static let tinyConfig = LlamaConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2,
                                        numAttentionHeads: 4, numKeyValueHeads: 2, tieWordEmbeddings: true)

    /// Adapters on every projection of the top block train a tiny llama: the loss falls, every
    /// frozen parameter keeps its exact bits, and the merged state dict loads into a plain model
    /// with the adapted model's logits.
    func testAdaptedLlamaTrainsAndMergesIntoAPlainModel() throws {
        let model = LlamaModel(config: Self.tinyConfig, seed: 1)
        // Token embeddings of a trained model's scale (std 1, not the init's 0.02): the tied head
        // reads them, and with 0.02 no change of the top block could move the logits much.
        var rng = RandomGenerator(seed: 3)
        model.model.embedTokens.weight.value = Tensor.randn([40, 16], rng: &rng)
        let adapters = try model.attachLoRA(rank: 4, alpha: 8, blocks: [1], seed: 2)
        XCTAssertEqual(adapters.count, 7)
        XCTAssertEqual(model.adaptedLayers().map(\.name).sorted(),
                       LoRATarget.allCases.map { "model.layers.1." + ($0 == .q || $0 == .k || $0 == .v || $0 == .o ? "self_attn." : "mlp.") + $0.rawValue }.sorted())
        // Only the adapters train.
        let trainable = model.adapterParameters()
        XCTAssertEqual(trainable.count, 14)
        let trainableIDs = Set(trainable.map { ObjectIdentifier($0.1) })
        for (_, p) in model.namedParameters() where !trainableIDs.contains(ObjectIdentifier(p)) { p.requiresGrad = false }
        let frozenBefore = model.namedParameters().filter { !trainableIDs.contains(ObjectIdentifier($0.1)) }
            .map { ($0.0, $0.1.value.toArray()) }

        let ids = [1, 5, 9, 13, 17, 21, 25, 29]
        // AdamW over every parameter: the frozen ones get no gradient, so even its weight decay
        // must leave them alone.
        let optimizer = AdamW(model.namedParameters(), lr: 2e-2)
        func loss() -> Variable {
            let logits = model.logits(ids: ids, batch: 1, length: ids.count).reshaped([ids.count, -1])
            return Loss.crossEntropy(logits: logits.sliced(axis: 0, start: 0, end: ids.count - 1), targets: Array(ids.dropFirst()))
        }
        let first = loss().value.item
        for _ in 0..<40 {
            optimizer.zeroGrad()
            loss().backward()
            optimizer.step()
        }
        XCTAssertLessThan(loss().value.item, first * 0.5)
        let state = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1) })
        for (name, values) in frozenBefore {
            // Exact on purpose: frozen parameters are never written, not merely left nearly equal.
            XCTAssertEqual(state[name]!.value.toArray(), values, "\(name) changed")
        }
        XCTAssertGreaterThan(adapters[0].b.value.abs().max().item, 0, "B trained")

        let adaptedLogits = noGrad { model.logits(ids: ids, batch: 1, length: ids.count) }.value.toArray()
        let merged = model.mergedStateDict()
        XCTAssertFalse(merged.keys.contains { $0.contains("lora") })
        let plain = LlamaModel(config: Self.tinyConfig, seed: 9)
        try plain.load(stateDict: merged)
        assertClose(noGrad { plain.logits(ids: ids, batch: 1, length: ids.count) }.value.toArray(), adaptedLogits, 1e-4)
    }

    func assertClose(_ a: [Float], _ b: [Float], _ tolerance: Float, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        let worst = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "largest difference \(worst)", file: file, line: line)
    }
}
