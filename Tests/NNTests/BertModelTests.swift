import Foundation
import XCTest
import Tensors
import Autodiff
@testable import NN
import Support

/// Paths for the BERT tests: fixtures beside this file, the real model in the shared folder.
enum BertTestPaths {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var fixtures: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/bert").path }

    /// `$DPRM_SHARED/models/minilm-l6-v2` (DPRM_SHARED may name the shared folder or its data
    /// folder), else `../shared/models/minilm-l6-v2` beside the repository; XCTSkip when absent.
    static func model() throws -> String {
        var shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared").standardizedFileURL.path
        if let env = ProcessInfo.processInfo.environment["DPRM_SHARED"], !env.isEmpty {
            shared = env.hasSuffix("/data") ? String(env.dropLast(5)) : env
        }
        let dir = shared + "/models/minilm-l6-v2"
        guard FileManager.default.fileExists(atPath: dir + "/model.safetensors") else {
            throw XCTSkip("real model not found at \(dir) (set DPRM_SHARED to the shared folder)")
        }
        return dir
    }

    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-bert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
}

final class BertModelTests: XCTestCase {
    struct Reference: Decodable {
        let sentences: [String]
        let input_ids: [[Int]]
        let attention_mask: [[Int]]
        let lengths: [Int]
        let kept_rows: [[Int]]
    }

    static let tolerance: Float = 1e-4

    static func reference() throws -> (Reference, SafetensorsFile) {
        let json = try Data(contentsOf: URL(fileURLWithPath: BertTestPaths.fixtures + "/reference.json"))
        return (try JSONDecoder().decode(Reference.self, from: json), try SafetensorsFile(path: BertTestPaths.fixtures + "/reference.safetensors"))
    }

    /// Largest |a - b| over the kept rows and the pooled embeddings of the padded batch.
    func compare(_ model: BertModel, label: String) throws -> (hidden: Float, pooled: Float) {
        let (ref, file) = try Self.reference()
        let hidden = noGrad { model(ids: ref.input_ids, attentionMask: ref.attention_mask) }
        let t = ref.input_ids[0].count, hsz = model.config.hiddenSize
        XCTAssertEqual(hidden.shape, [ref.sentences.count, t, hsz])
        let expected = try file.tensor("hidden").toArray()
        let got = hidden.value.contiguous().toArray()
        var maxHidden: Float = 0
        for (s, rows) in ref.kept_rows.enumerated() {
            for (j, r) in rows.enumerated() {
                for c in 0..<hsz {
                    maxHidden = max(maxHidden, abs(got[(s * t + r) * hsz + c] - expected[(s * rows.count + j) * hsz + c]))
                }
            }
        }
        let pooled = BertModel.meanPool(hidden, attentionMask: ref.attention_mask.flatMap { $0 }).value.toArray()
        let expectedPooled = try file.tensor("pooled").toArray()
        let maxPooled = zip(pooled, expectedPooled).map { abs($0 - $1) }.max() ?? .infinity
        print("bert reference (\(label)): max |diff| hidden \(maxHidden), pooled \(maxPooled)")
        XCTAssertLessThanOrEqual(maxHidden, Self.tolerance, "\(label): last hidden state")
        XCTAssertLessThanOrEqual(maxPooled, Self.tolerance, "\(label): mean-pooled embedding")
        return (maxHidden, maxPooled)
    }

    func testRealModelMatchesReferenceFastPath() throws {
        let model = try BertModel.load(directory: try BertTestPaths.model())
        XCTAssertEqual(model.config.hiddenSize, 384)
        XCTAssertNotNil(model.pooler)
        XCTAssertEqual(model.parameterCount, 22_713_216)
        _ = try compare(model, label: "fused inference")
    }

    func testRealModelMatchesReferenceModulePath() throws {
        let model = try BertModel.load(directory: try BertTestPaths.model())
        model.useFastInference = false
        _ = try compare(model, label: "modules")
    }

    func testSingleSentenceWithoutPadding() throws {
        let model = try BertModel.load(directory: try BertTestPaths.model())
        let (ref, file) = try Self.reference()
        let ids = Array(ref.input_ids[0].prefix(ref.lengths[0]))
        let h = noGrad { model(ids: [ids]) }
        let expected = try file.tensor("hidden_first").toArray()
        let diff = zip(h.value.toArray(), expected).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(diff, Self.tolerance)
    }

    // MARK: small random models (no real model needed)

    static let tinyConfig = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 4,
                                       intermediateSize: 24, maxPositionEmbeddings: 12, typeVocabSize: 2)

    func testFastPathEqualsModulePathWithAnyMask() {
        let model = BertModel(config: Self.tinyConfig, seed: 3)
        model.eval()
        let ids = [[2, 7, 9, 11, 3, 0], [2, 5, 3, 0, 0, 0], [2, 8, 0, 9, 3, 4], [0, 0, 0, 0, 0, 0]]
        let masks = [[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0], [1, 1, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0]]
        for (rows, m) in [(Array(ids.prefix(2)), Array(masks.prefix(2))), (ids, masks)] {
            let fast = noGrad { model(ids: rows, attentionMask: m) }.value.toArray()
            model.useFastInference = false
            let slow = noGrad { model(ids: rows, attentionMask: m) }.value.toArray()
            model.useFastInference = true
            let diff = zip(fast, slow).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(diff, 2e-5)
        }
    }

    func testGradientsFlowIntoEncoderFromAHead() {
        let model = BertModel(config: Self.tinyConfig, seed: 4)
        model.eval()
        var rng = RandomGenerator(seed: 9)
        let head = Linear(16, 1, rng: &rng)
        let mask = [1, 1, 1, 1, 1, 1, 0, 0]
        let h = model(ids: [2, 5, 6, 3, 2, 7, 0, 0], batch: 2, length: 4, attentionMask: mask)
        XCTAssertTrue(h.requiresGrad, "with parameters that require gradients the module path records the graph")
        let loss = head(BertModel.meanPool(h, attentionMask: mask)).sum()
        loss.backward()
        for (name, p) in model.namedParameters() where !name.hasPrefix("pooler") {
            let g = p.grad?.abs().sum().item ?? 0
            XCTAssertGreaterThan(g, 0, "\(name) got no gradient")
        }
        XCTAssertNotNil(head.weight.grad)
        // Frozen encoder: no graph, fused path, same numbers.
        let fast = frozen(model.parameters()) { model(ids: [2, 5, 6, 3, 2, 7, 0, 0], batch: 2, length: 4, attentionMask: mask) }
        XCTAssertFalse(fast.requiresGrad)
        XCTAssertLessThan(zip(fast.value.toArray(), h.value.toArray()).map { abs($0 - $1) }.max()!, 2e-5)
    }

    /// Backward through the whole encoder agrees with central differences on a few entries of
    /// several parameters (embeddings, attention, FFN, LayerNorm).
    func testGradientsMatchFiniteDifferences() {
        let model = BertModel(config: Self.tinyConfig, seed: 7)
        model.eval()
        model.useFastInference = false
        let ids = [2, 5, 6, 3, 2, 7, 9, 3], mask = [1, 1, 1, 1, 1, 1, 1, 0]
        var rng = RandomGenerator(seed: 2)
        let probe = Variable(Tensor.randn([2, 16], rng: &rng))
        func loss() -> Variable {
            (BertModel.meanPool(model(ids: ids, batch: 2, length: 4, attentionMask: mask), attentionMask: mask) * probe).sum()
        }
        model.zeroGrad()
        loss().backward()
        let named = Dictionary(uniqueKeysWithValues: model.namedParameters())
        for name in ["embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight",
                     "encoder.layer.0.attention.self.value.bias", "encoder.layer.1.intermediate.dense.weight",
                     "encoder.layer.1.output.LayerNorm.weight", "embeddings.position_embeddings.weight"] {
            let p = named[name]!
            let grad = p.grad!.contiguous().toArray()
            // Entries with the largest gradients (the others may be exactly zero, e.g. unused rows).
            let picks = grad.indices.sorted { abs(grad[$0]) > abs(grad[$1]) }.prefix(3)
            for i in picks {
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

    func testSaveLoadRoundTripPrefixAndHalfPrecision() throws {
        let model = BertModel(config: Self.tinyConfig, seed: 5)
        model.eval()
        let dir = try BertTestPaths.scratch()
        try model.save(directory: dir + "/plain")
        let back = try BertModel.load(directory: dir + "/plain")
        XCTAssertEqual(back.config, model.config)
        let ids = [[2, 7, 9, 3]]
        let a = noGrad { model(ids: ids) }.value.toArray()
        // Exact: float32 weights read back bit for bit, same input, same shapes.
        XCTAssertEqual(noGrad { back(ids: ids) }.value.toArray(), a)

        // `bert.`-prefixed names (a BertFor* checkpoint) without a pooler, stored as BF16 and F16.
        var prefixed: [String: Tensor] = [:]
        for (k, v) in model.stateDict() where !k.hasPrefix("pooler") { prefixed["bert." + k] = v }
        prefixed["cls.predictions.bias"] = Tensor.zeros([50])
        for dtype in [SafetensorsDType.BF16, .F16] {
            let d = dir + "/prefixed-\(dtype.rawValue)"
            try Checkpoint.save(directory: d, tensors: prefixed, dtype: dtype, config: model.config)
            let m = try BertModel.load(directory: d)
            XCTAssertNil(m.pooler)
            let b = noGrad { m(ids: ids) }.value.toArray()
            XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, dtype == .F16 ? 0.02 : 0.1, dtype.rawValue)
        }
    }

    // MARK: errors

    func assertLoadFails(_ dir: String, mentions parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try BertModel.load(directory: dir), file: file, line: line) { e in
            for p in parts { XCTAssertTrue("\(e)".contains(p), "error '\(e)' should mention '\(p)'", file: file, line: line) }
        }
    }

    func testErrors() throws {
        let dir = try BertTestPaths.scratch()
        let model = BertModel(config: Self.tinyConfig, seed: 6)
        try model.save(directory: dir + "/ok")

        // Missing config.json / model.safetensors.
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        assertLoadFails(dir + "/empty", mentions: ["config.json", "missing model config"])
        try FileManager.default.createDirectory(atPath: dir + "/noweights", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/ok/config.json", toPath: dir + "/noweights/config.json")
        assertLoadFails(dir + "/noweights", mentions: ["model.safetensors", "missing model weights"])

        // Unknown architecture.
        try FileManager.default.copyItem(atPath: dir + "/ok", toPath: dir + "/gpt2")
        try #"{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": 16}"#
            .write(toFile: dir + "/gpt2/config.json", atomically: true, encoding: .utf8)
        assertLoadFails(dir + "/gpt2", mentions: ["unknown architecture", "gpt2", "GPT2LMHeadModel"])
        try #"{"hidden_size": 16}"#.write(toFile: dir + "/gpt2/config.json", atomically: true, encoding: .utf8)
        assertLoadFails(dir + "/gpt2", mentions: ["unknown architecture", "neither"])

        // Missing tensor.
        var tensors = model.stateDict()
        tensors["encoder.layer.1.output.dense.weight"] = nil
        try Checkpoint.save(directory: dir + "/missing", tensors: tensors, config: model.config)
        assertLoadFails(dir + "/missing", mentions: ["missing tensor", "encoder.layer.1.output.dense.weight"])

        // Shape mismatch between config and weights.
        var bigger = Self.tinyConfig
        bigger.intermediateSize = 32
        try Checkpoint.save(directory: dir + "/shape", tensors: model.stateDict(), config: bigger)
        assertLoadFails(dir + "/shape", mentions: ["shape mismatch", "encoder.layer.0.intermediate.dense.weight", "[24x16]", "[32x16]"])
    }
}
