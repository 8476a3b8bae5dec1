import XCTest
import Foundation
import Tensors
import Autodiff
@testable import NN
import Support

/// The llama-family decoder against transformers on the tiny random models that
/// `scripts/make_llama_fixtures.py` saves (Tests/NNTests/Fixtures/llama): logits of single
/// sequences and of a right-padded batch within 1e-4, greedy continuations exactly (the script
/// asserts every step's top-2 logit margin exceeds 1e-3, far above float32 differences of
/// ~1e-5 here, so the argmax cannot flip), and gradients of a next-token loss.
final class LlamaModelTests: XCTestCase {
    static let folder = Fixture.path("llama")
    static let tolerance: Float = 1e-4

    static func reference() throws -> (json: [String: Any], tensors: SafetensorsFile) {
        (try Fixture.json("llama/reference.json"), try SafetensorsFile(path: folder + "/reference.safetensors"))
    }

    static func entry(_ json: [String: Any], _ name: String) -> (sequences: [[Int]], padded: [[Int]], mask: [[Int]], greedy: [Int], gradients: [String]) {
        let e = json[name] as! [String: Any]
        func ints2(_ k: String) -> [[Int]] { (e[k] as! [[NSNumber]]).map { $0.map(\.intValue) } }
        return (ints2("sequences"), ints2("padded"), ints2("mask"), (e["greedy"] as! [NSNumber]).map(\.intValue),
                e["gradients"] as! [String])
    }

    func testTinyLlamaFolderMatchesTransformers() throws {
        let model = try LlamaModel.load(directory: Self.folder + "/tiny-llama")
        XCTAssertEqual(model.config.architecture, .llama)
        XCTAssertTrue(model.config.tieWordEmbeddings)
        XCTAssertNil(model.lmHead, "tied embeddings: no separate head")
        XCTAssertEqual(model.config.numKeyValueHeads, 2)
        XCTAssertEqual(model.config.groupSize, 2)
        XCTAssertEqual(model.config.ropeTheta, 500)
        try assertLlamaLogits(model, "tiny-llama")
    }

    func testShardedFolderGivesTheSameModel() throws {
        let weights = try HuggingFaceFolder.weights(in: Self.folder + "/tiny-llama-sharded")
        XCTAssertTrue(weights is ShardedSafetensors)
        XCTAssertEqual(Set((weights as! ShardedSafetensors).weightMap.values).count, 3, "the fixture has three shards")
        try assertLlamaLogits(try LlamaModel.load(directory: Self.folder + "/tiny-llama-sharded"), "tiny-llama")
    }

    func testTinyQwen2WithBiasesAndSeparateHead() throws {
        let model = try LlamaModel.load(directory: Self.folder + "/tiny-qwen2")
        XCTAssertEqual(model.config.architecture, .qwen2)
        XCTAssertNotNil(model.lmHead)
        XCTAssertNotNil(model.model.layers[0].selfAttention.qProj.bias)
        XCTAssertNil(model.model.layers[0].selfAttention.oProj.bias, "Qwen2 has no output-projection bias")
        try assertLlamaLogits(model, "tiny-qwen2")
    }

    func testGreedyGenerationMatchesTransformers() throws {
        let (json, _) = try Self.reference()
        for name in ["tiny-llama", "tiny-qwen2"] {
            let model = try LlamaModel.load(directory: Self.folder + "/" + name)
            let e = Self.entry(json, name)
            let got = model.generate(prompt: e.sequences[0], maxTokens: e.greedy.count, temperature: 0, stopTokens: [])
            XCTAssertEqual(got, e.greedy, name)
        }
    }

    /// Logits computed token by token through the cache equal one full pass over the sequence.
    func testCachedIncrementalLogitsEqualTheFullPass() throws {
        let model = try LlamaModel.load(directory: Self.folder + "/tiny-qwen2")
        let ids = [5, 17, 99, 3, 64, 120, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]   // grows the cache past 16
        let full = model.logits(ids)
        let cache = LlamaKVCache(config: model.config)
        var rows: [Tensor] = []
        noGrad {
            rows.append(model.logits(ids: Array(ids[0..<3]), batch: 1, length: 3, cache: cache).value.reshaped([3, -1]))
            for id in ids[3...] { rows.append(model.logits(ids: [id], batch: 1, length: 1, cache: cache).value.reshaped([1, -1])) }
        }
        XCTAssertEqual(cache.length, ids.count)
        assertClose(Tensor.concat(rows, axis: 0), full, rtol: 0, atol: 1e-4, "incremental vs full")
    }

    /// Gradients of the mean next-token cross-entropy against torch's.
    func testGradientsMatchTorch() throws {
        let (json, ref) = try Self.reference()
        for name in ["tiny-llama", "tiny-qwen2"] {
            let model = try LlamaModel.load(directory: Self.folder + "/" + name)
            let e = Self.entry(json, name)
            let ids = e.sequences[0]
            let logits = model.logits(ids: ids, batch: 1, length: ids.count).reshaped([ids.count, -1])
            let loss = Loss.crossEntropy(logits: logits.sliced(axis: 0, start: 0, end: ids.count - 1), targets: Array(ids.dropFirst()))
            loss.backward()
            let params = Dictionary(uniqueKeysWithValues: model.namedParameters())
            for g in e.gradients {
                let expected = try ref.tensor("\(name).grad.\(g)")
                let scale = expected.toArray().map { Swift.abs($0) }.max() ?? 1
                guard let grad = params[g]?.grad else { XCTFail("\(name): no gradient for \(g)"); continue }
                assertClose(grad, expected, rtol: 1e-3, atol: 1e-4 * Swift.max(scale, 1), "\(name) gradient of \(g)")
            }
        }
    }

    /// Seeded sampling: reproducible, and its frequencies follow softmax(logits / T).
    func testSampledGenerationIsSeededAndFollowsTheDistribution() throws {
        let model = try LlamaModel.load(directory: Self.folder + "/tiny-llama")
        let prompt = [42, 265, 275]
        let a = model.generate(prompt: prompt, maxTokens: 10, temperature: 1.0, seed: 3, stopTokens: [])
        XCTAssertEqual(a, model.generate(prompt: prompt, maxTokens: 10, temperature: 1.0, seed: 3, stopTokens: []))
        XCTAssertNotEqual(a, model.generate(prompt: prompt, maxTokens: 10, temperature: 1.0, seed: 4, stopTokens: []))
        let logits: [Float] = [1.0, 2.0, 0.5, -1.0]
        let t: Float = 0.7
        let weights = logits.map { Foundation.exp(Double($0 / t)) }
        let probabilities = weights.map { $0 / weights.reduce(0, +) }
        var rng = RandomGenerator(seed: 11)
        var counts = [Int](repeating: 0, count: logits.count)
        let n = 40_000
        for _ in 0..<n { counts[LlamaModel.pick(logits, temperature: t, rng: &rng)] += 1 }
        for i in logits.indices {
            // 5 standard deviations of a binomial proportion.
            let sd = (probabilities[i] * (1 - probabilities[i]) / Double(n)).squareRoot()
            XCTAssertEqual(Double(counts[i]) / Double(n), probabilities[i], accuracy: 5 * sd + 1e-9, "token \(i)")
        }
        XCTAssertEqual(LlamaModel.pick(logits, temperature: 0, rng: &rng), 1, "temperature 0 is the argmax")
    }

    /// Generation stops after an end-of-sequence id and includes it.
    func testGenerationStopsAtEndOfSequence() throws {
        let (json, _) = try Self.reference()
        let model = try LlamaModel.load(directory: Self.folder + "/tiny-qwen2")
        let e = Self.entry(json, "tiny-qwen2")
        let stop = e.greedy[3]
        let got = model.generate(prompt: e.sequences[0], maxTokens: 20, stopTokens: [stop])
        XCTAssertEqual(got, Array(e.greedy[0...e.greedy.firstIndex(of: stop)!]))
    }

    // MARK: errors

    func temporaryFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "llama-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testUnknownArchitectureNamesWhatIsSupported() throws {
        let dir = try temporaryFolder()
        try #"{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 10}"#
            .write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LlamaModel.load(directory: dir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("config.json"), text)
            XCTAssertTrue(text.contains("model_type 'gpt2'"), text)
            XCTAssertTrue(text.contains("LlamaForCausalLM") && text.contains("Qwen2ForCausalLM"), text)
        }
    }

    func testUnsupportedRopeScalingIsRefused() throws {
        let dir = try temporaryFolder()
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/tiny-llama/config.json"))) as! [String: Any]
        config["rope_scaling"] = ["rope_type": "llama3", "factor": 8.0]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        XCTAssertThrowsError(try LlamaConfig.load(path: dir + "/config.json")) { error in
            XCTAssertTrue("\(error)".contains("rope_scaling: rope_type 'llama3' is not supported"), "\(error)")
        }
    }

    func testMissingTensorIsNamed() throws {
        let dir = try temporaryFolder()
        let source = Self.folder + "/tiny-llama"
        try FileManager.default.copyItem(atPath: source + "/config.json", toPath: dir + "/config.json")
        let file = try SafetensorsFile(path: source + "/model.safetensors")
        var tensors = try file.allTensors()
        tensors["model.layers.1.mlp.up_proj.weight"] = nil
        try Safetensors.write(tensors, to: dir + "/model.safetensors")
        XCTAssertThrowsError(try LlamaModel.load(directory: dir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(dir + "/model.safetensors"), text)
            XCTAssertTrue(text.contains("missing tensor for a LlamaForCausalLM with 2 layers and tied embeddings (1): model.layers.1.mlp.up_proj.weight"), text)
        }
    }

    func testMissingWeightsFileAndBrokenShardIndex() throws {
        let dir = try temporaryFolder()
        try FileManager.default.copyItem(atPath: Self.folder + "/tiny-llama/config.json", toPath: dir + "/config.json")
        XCTAssertThrowsError(try LlamaModel.load(directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("neither model.safetensors nor model.safetensors.index.json"), "\(error)")
        }
        try #"{"weight_map": {"model.norm.weight": "model-00009-of-00009.safetensors"}}"#
            .write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LlamaModel.load(directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("shard 'model-00009-of-00009.safetensors' listed in the index is missing"), "\(error)")
        }
    }

    /// A random model trains: a few Adam steps on one sequence lower its loss.
    func testRandomModelTrains() {
        let config = LlamaConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2,
                                 numAttentionHeads: 4, numKeyValueHeads: 2, tieWordEmbeddings: true)
        let model = LlamaModel(config: config, seed: 1)
        let ids = [1, 5, 9, 13, 17, 21, 25, 29]
        let optimizer = Adam(model.namedParameters(), lr: 1e-2)
        func loss() -> Variable {
            let logits = model.logits(ids: ids, batch: 1, length: ids.count).reshaped([ids.count, -1])
            return Loss.crossEntropy(logits: logits.sliced(axis: 0, start: 0, end: ids.count - 1), targets: Array(ids.dropFirst()))
        }
        let first = loss().value.item
        for _ in 0..<30 {
            model.zeroGrad()
            loss().backward()
            optimizer.step()
        }
        XCTAssertLessThan(loss().value.item, first * 0.5)
    }
}

/// Asserts `model`'s logits equal the references of fixture model `name` (single sequences and
/// the real rows of the right-padded batch) within `LlamaModelTests.tolerance`.
func assertLlamaLogits(_ model: LlamaModel, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let (json, ref) = try LlamaModelTests.reference()
    let e = LlamaModelTests.entry(json, name)
    for (i, ids) in e.sequences.enumerated() {
        assertClose(model.logits(ids), try ref.tensor("\(name).seq\(i)"), rtol: 0, atol: LlamaModelTests.tolerance,
                    "\(name) sequence \(i) logits", file: file, line: line)
    }
    // The right-padded batch: real rows must match transformers' (padding rows are not compared).
    let length = e.padded[0].count
    let batch = noGrad { model.logits(ids: e.padded.flatMap { $0 }, batch: e.padded.count, length: length,
                                      attentionMask: e.mask.flatMap { $0 }).value }
    let expected = try ref.tensor("\(name).padded")
    for (i, ids) in e.sequences.enumerated() {
        let real = ids.count
        assertClose(batch.selecting(axis: 0, index: i).sliced(axis: 0, start: 0, end: real).contiguous(),
                    expected.selecting(axis: 0, index: i).sliced(axis: 0, start: 0, end: real).contiguous(),
                    rtol: 0, atol: LlamaModelTests.tolerance, "\(name) padded row \(i)", file: file, line: line)
    }
}
