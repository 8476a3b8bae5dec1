import XCTest
import Tensors
import Autodiff
@testable import NN
import Support

/// Parameter names, state dicts, modes, initialisation and layer behaviour not covered by fixtures.
final class ModuleTests: XCTestCase {
    let tiny = TransformerConfig(hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16)

    /// A BERT-like root so names carry the `encoder.` prefix.
    final class Bert: Module {
        let embeddings: Embedding
        let encoder: TransformerEncoder
        init(_ c: TransformerConfig, rng: inout RandomGenerator) {
            embeddings = Embedding(11, c.hiddenSize, paddingIndex: 0, initialization: .bert, rng: &rng)
            encoder = TransformerEncoder(config: c, rng: &rng)
            super.init()
            child("embeddings.word_embeddings", embeddings)
            child("encoder", encoder)
        }
    }

    func testParameterNamesFollowHuggingFaceBert() {
        var rng = RandomGenerator(seed: 1)
        let model = Bert(tiny, rng: &rng)
        let names = model.namedParameters().map(\.0)
        XCTAssertEqual(Array(names.prefix(8)), [
            "embeddings.word_embeddings.weight",
            "encoder.layer.0.attention.self.query.weight", "encoder.layer.0.attention.self.query.bias",
            "encoder.layer.0.attention.self.key.weight", "encoder.layer.0.attention.self.key.bias",
            "encoder.layer.0.attention.self.value.weight", "encoder.layer.0.attention.self.value.bias",
            "encoder.layer.0.attention.output.dense.weight",
        ])
        XCTAssertTrue(names.contains("encoder.layer.1.attention.output.LayerNorm.weight"))
        XCTAssertTrue(names.contains("encoder.layer.1.intermediate.dense.bias"))
        XCTAssertTrue(names.contains("encoder.layer.1.output.LayerNorm.bias"))
        XCTAssertEqual(names.count, 1 + 2 * 16)
        XCTAssertEqual(model.parameterCount, 11 * 8 + 2 * (4 * (64 + 8) + 2 * 16 + 8 * 16 + 16 + 16 * 8 + 8))
        var pre = tiny
        pre.normPlacement = .pre
        var rng2 = RandomGenerator(seed: 1)
        XCTAssertEqual(TransformerEncoder(config: pre, rng: &rng2).namedParameters().last?.0, "final_layer_norm.bias")
    }

    func testSeededInitialisationIsReproducibleAndTorchLike() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        let l1 = Linear(100, 50, rng: &a), l2 = Linear(100, 50, rng: &b)
        XCTAssertEqual(l1.weight.value.toArray(), l2.weight.value.toArray())
        let w = l1.weight.value.toArray()
        XCTAssertLessThanOrEqual(w.map(abs).max()!, 0.1)              // U(-1/sqrt(100), 1/sqrt(100))
        XCTAssertGreaterThan(w.map(abs).max()!, 0.09)
        let n = Linear(100, 50, initialization: .bert, rng: &a)
        let nv = n.weight.value.toArray()
        let std = (nv.map { $0 * $0 }.reduce(0, +) / Float(nv.count)).squareRoot()
        XCTAssertEqual(std, 0.02, accuracy: 0.002)
        XCTAssertEqual(n.bias!.value.toArray(), [Float](repeating: 0, count: 50))
    }

    func testStateDictRoundTripAndErrorsNameKeys() throws {
        var rng = RandomGenerator(seed: 1)
        let model = Bert(tiny, rng: &rng)
        var rng2 = RandomGenerator(seed: 2)
        let other = Bert(tiny, rng: &rng2)
        try other.load(stateDict: model.stateDict())
        XCTAssertEqual(other.stateDict()["encoder.layer.1.output.dense.weight"]!.toArray(),
                       model.stateDict()["encoder.layer.1.output.dense.weight"]!.toArray())
        // Loaded values are copies: stepping one model does not move the other.
        other.encoder.layers[0].output.dense.weight.value.withMutablePointer { $0[0] += 1 }
        XCTAssertNotEqual(other.stateDict()["encoder.layer.0.output.dense.weight"]!.toArray()[0],
                          model.stateDict()["encoder.layer.0.output.dense.weight"]!.toArray()[0])

        var sd = model.stateDict()
        sd["encoder.layer.0.output.dense.bias"] = nil
        sd["encoder.pooler.dense.weight"] = Tensor.zeros([2])
        sd["encoder.layer.1.output.dense.weight"] = Tensor.zeros([3, 3])
        let before = other.stateDict()["encoder.layer.0.output.dense.weight"]!.toArray()
        XCTAssertThrowsError(try other.load(stateDict: sd)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("missing keys: encoder.layer.0.output.dense.bias"), text)
            XCTAssertTrue(text.contains("unexpected keys: encoder.pooler.dense.weight"), text)
            XCTAssertTrue(text.contains("encoder.layer.1.output.dense.weight: checkpoint [3x3], model [8x16]"), text)
        }
        XCTAssertEqual(other.stateDict()["encoder.layer.0.output.dense.weight"]!.toArray(), before, "nothing changes on error")
        // Non-strict: missing and unexpected are reported, shapes still checked.
        sd["encoder.layer.1.output.dense.weight"] = model.stateDict()["encoder.layer.1.output.dense.weight"]
        let report = try other.load(stateDict: sd, strict: false)
        XCTAssertEqual(report.missing, ["encoder.layer.0.output.dense.bias"])
        XCTAssertEqual(report.unexpected, ["encoder.pooler.dense.weight"])
    }

    func testTrainEvalModeControlsDropout() {
        var rng = RandomGenerator(seed: 1)
        var c = tiny
        c.hiddenDropoutProb = 0.5
        let model = TransformerEncoder(config: c, rng: &rng)
        let x = Variable(Tensor.randn([2, 3, 8], rng: &rng))
        XCTAssertTrue(model.layers[1].output.dropout.isTraining)
        let t1 = noGrad { model(x) }.value.toArray(), t2 = noGrad { model(x) }.value.toArray()
        XCTAssertNotEqual(t1, t2, "training: fresh dropout masks")
        model.eval()
        XCTAssertFalse(model.layers[1].output.dropout.isTraining)
        XCTAssertEqual(noGrad { model(x) }.value.toArray(), noGrad { model(x) }.value.toArray())
        model.train()
        XCTAssertTrue(model.layers[0].attention.attention.dropout.isTraining)
    }

    func testDropoutIsSeededScaledAndDifferentiable() {
        let d1 = Dropout(0.25, seed: 7), d2 = Dropout(0.25, seed: 7)
        let x = Variable(Tensor.ones([10000]), requiresGrad: true)
        let y = d1(x)
        XCTAssertEqual(y.value.toArray(), d2(x).value.toArray())
        let v = y.value.toArray()
        XCTAssertTrue(v.allSatisfy { $0 == 0 || abs($0 - 4 / 3) < 1e-6 })
        XCTAssertEqual(Double(v.filter { $0 == 0 }.count) / 10000, 0.25, accuracy: 0.02)
        y.sum().backward()
        XCTAssertEqual(x.grad!.toArray(), v, "gradient is the mask")
        d1.eval()
        XCTAssertTrue(d1(x) === x)
    }

    func testDropoutMaskIsTheUniformDrawTestElementByElement() {
        // The mask's integer threshold against the definition: keep where rng.uniform() < 1 - p.
        for p: Float in [0.1, 0.25, 0.5, 0.3, 1e-7, 0.999] {
            let d = Dropout(p, seed: 3)
            var reference = RandomGenerator(seed: 3)
            let mask = d.mask([4, 2500])!.toArray()
            let keep = Double(1 - p)
            let expected = (0..<mask.count).map { _ in reference.uniform() < keep ? 1 / (1 - p) : 0 }
            XCTAssertEqual(mask, expected, "p = \(p)")
            XCTAssertEqual(d.rng.next(), reference.next(), "p = \(p): the generator advanced by one draw per element")
        }
        let d = Dropout(0.5, seed: 1)
        d.eval()
        XCTAssertNil(d.mask([3]))
        XCTAssertNil(Dropout(0, seed: 1).mask([3]))
    }

    func testEmbeddingLookupAndPaddingRowGetsNoGradient() {
        var rng = RandomGenerator(seed: 1)
        let e = Embedding(5, 3, paddingIndex: 0, rng: &rng)
        XCTAssertEqual(e.weight.value.sliced(axis: 0, start: 0, end: 1).toArray(), [0, 0, 0])
        let out = e([2, 0, 2, 4, 0, 1], shape: [2, 3])
        XCTAssertEqual(out.shape, [2, 3, 3])
        XCTAssertEqual(out.value.selecting(axis: 0, index: 0).selecting(axis: 0, index: 0).toArray(),
                       e.weight.value.selecting(axis: 0, index: 2).toArray())
        out.sum().backward()
        let g = e.weight.grad!
        XCTAssertEqual(g.selecting(axis: 0, index: 0).toArray(), [0, 0, 0], "padding row")
        XCTAssertEqual(g.selecting(axis: 0, index: 2).toArray(), [2, 2, 2], "repeated id accumulates")
        XCTAssertEqual(g.selecting(axis: 0, index: 3).toArray(), [0, 0, 0])
    }

    func testLinearUsesATransposedViewOfTheWeight() {
        var rng = RandomGenerator(seed: 1)
        let l = Linear(4, 3, rng: &rng)
        let wt = l.weight.value.transposed()
        XCTAssertTrue(wt.storage === l.weight.value.storage)
        XCTAssertEqual(wt.strides, [1, 4])
        let x = Variable(Tensor.randn([2, 5, 4], rng: &rng))
        let y = l(x)
        XCTAssertEqual(y.shape, [2, 5, 3])
        let manual = x.value.reshaped([10, 4]).matmul(l.weight.value.contiguous().transposed().contiguous()) + l.bias!.value
        // Not bit-exact: the layer reads W^T through BLAS's transpose flag and adds the bias as
        // sgemm's C (beta = 1), the manual product reads a copy and adds the bias afterwards;
        // kernels may order those sums differently. A wrong layout is off by O(1).
        assertClose(y.value.reshaped([10, 3]), manual, rtol: 1e-5, atol: 1e-6, "linear through the transposed view")
    }

    func testMLPAndActivationsByName() {
        var rng = RandomGenerator(seed: 1)
        let mlp = MLP(sizes: [2, 10, 1], activation: .leakyRelu(slope: 0.01), rng: &rng)
        XCTAssertEqual(mlp.namedParameters().map(\.0), ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        let x = Variable(Tensor.randn([7, 2], rng: &rng))
        let y = mlp(x)
        XCTAssertEqual(y.shape, [7, 1])
        let manual = mlp.layers[1](mlp.layers[0](x).leakyRelu(slope: 0.01))
        // Exact: the MLP calls these same layers and activation on the same shapes.
        XCTAssertEqual(y.value.toArray(), manual.value.toArray())
        XCTAssertEqual(Activation(name: "gelu"), .gelu)
        XCTAssertEqual(Activation(name: "gelu_new"), .geluTanh)
        XCTAssertNil(Activation(name: "swishy"))
        mlp.zeroGrad()
        XCTAssertTrue(mlp.parameters().allSatisfy { $0.grad == nil })
    }

    func testAttentionMaskLayout() {
        let m = AttentionMask(causal: true, padding: Tensor(shape: [1, 3], scalars: [1, 1, 0])).additive(batch: 1, queries: 3, keys: 3)!
        let big = AttentionMask.maskValue
        XCTAssertEqual(m.shape, [1, 1, 3, 3])
        XCTAssertEqual(m.toArray(), [0, big, big, 0, 0, big, 0, 0, big])
        XCTAssertNil(AttentionMask.none.additive(batch: 2, queries: 3, keys: 3))
    }

    func testTrainingStepReducesLossEndToEnd() {
        var rng = RandomGenerator(seed: 5)
        var c = tiny
        c.hiddenDropoutProb = 0
        c.attentionProbsDropoutProb = 0
        let encoder = TransformerEncoder(config: c, rng: &rng)
        let head = Linear(8, 3, rng: &rng)
        let params = encoder.namedParameters() + head.namedParameters(prefix: "head.")
        let opt = AdamW(params, lr: 1e-2)
        let sched = LRScheduler(opt, schedule: .cosineWithWarmup(warmup: 2, total: 30))
        let x = Variable(Tensor.randn([2, 4, 8], rng: &rng))
        let targets = [0, 1, 2, -100, 2, 1, 0, 1]
        var losses: [Float] = []
        for _ in 0..<30 {
            for (_, p) in params { p.grad = nil }
            let loss = Loss.crossEntropy(logits: head(encoder(x, mask: AttentionMask(padding: Tensor(shape: [2, 4], scalars: [1, 1, 1, 0, 1, 1, 1, 1])))), targets: targets)
            loss.backward()
            clipGradNorm(params.map(\.1), maxNorm: 1)
            opt.step()
            sched.step()
            losses.append(loss.value.item)
        }
        XCTAssertLessThan(losses.last!, losses.first! * 0.5, "\(losses)")
    }
}
