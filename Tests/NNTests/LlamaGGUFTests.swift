import XCTest
import Foundation
import Tensors
import Autodiff
@testable import NN

/// The llama decoder loaded from GGUF: the tiny llama that `scripts/make_llama_fixtures.py`
/// writes with the `gguf` package (llama.cpp names, Q/K permuted as convert_hf_to_gguf.py does)
/// must give transformers' logits of the same model's Hugging Face folder.
final class LlamaGGUFTests: XCTestCase {
    static let path = Fixture.path("llama/tiny-llama.gguf")

    func testConfigFromMetadataMatchesTheFolder() throws {
        let fromGGUF = try LlamaConfig(gguf: try GGUFFile(path: Self.path))
        let fromFolder = try LlamaConfig.load(path: Fixture.path("llama/tiny-llama/config.json"))
        XCTAssertEqual(fromGGUF.architecture, .llama)
        XCTAssertEqual(fromGGUF.vocabSize, fromFolder.vocabSize)
        XCTAssertEqual(fromGGUF.hiddenSize, fromFolder.hiddenSize)
        XCTAssertEqual(fromGGUF.intermediateSize, fromFolder.intermediateSize)
        XCTAssertEqual(fromGGUF.numHiddenLayers, fromFolder.numHiddenLayers)
        XCTAssertEqual(fromGGUF.numAttentionHeads, fromFolder.numAttentionHeads)
        XCTAssertEqual(fromGGUF.numKeyValueHeads, fromFolder.numKeyValueHeads)
        XCTAssertEqual(fromGGUF.headDimension, fromFolder.headDimension)
        XCTAssertEqual(fromGGUF.ropeTheta, fromFolder.ropeTheta)
        XCTAssertEqual(fromGGUF.rmsNormEps, fromFolder.rmsNormEps, accuracy: 1e-12)
        XCTAssertEqual(fromGGUF.maxPositionEmbeddings, fromFolder.maxPositionEmbeddings)
        XCTAssertTrue(fromGGUF.tieWordEmbeddings, "no output.weight: tied")
        XCTAssertFalse(fromGGUF.attentionQKVBias)
        XCTAssertEqual(fromGGUF.eosTokenIDs, fromFolder.eosTokenIDs)
        XCTAssertEqual(fromGGUF.bosTokenID, fromFolder.bosTokenID)
    }

    /// The weights equal the folder's exactly (both hold the same float16 values; the Q/K rows
    /// come back in Hugging Face order only if the permutation is undone correctly), and so the
    /// logits equal transformers' within the same tolerance as the folder's.
    func testWeightsAndLogitsEqualTheHuggingFaceFolder() throws {
        let gguf = try LlamaModel.load(gguf: Self.path)
        let folder = try LlamaModel.load(directory: Fixture.path("llama/tiny-llama"))
        let a = Dictionary(uniqueKeysWithValues: gguf.namedParameters()), b = folder.namedParameters()
        XCTAssertEqual(Set(a.keys), Set(b.map(\.0)))
        for (name, p) in b {
            XCTAssertEqual(a[name]?.value.toArray(), p.value.toArray(), name)
        }
        try assertLlamaLogits(gguf, "tiny-llama")
    }

    /// Without the un-permutation the numbers are wrong: the test above can fail.
    func testPermutationIsWhatTheFileHolds() throws {
        let file = try GGUFFile(path: Self.path)
        let config = try LlamaConfig(gguf: file)
        let raw = try file.tensor("blk.0.attn_k.weight")
        let hf = try GGUFLlamaWeights(file: file, config: config).tensor("model.layers.0.self_attn.k_proj.weight")
        let folder = try SafetensorsFile(path: Fixture.path("llama/tiny-llama/model.safetensors")).tensor("model.layers.0.self_attn.k_proj.weight")
        XCTAssertEqual(hf.toArray(), folder.toArray())
        XCTAssertNotEqual(raw.toArray(), folder.toArray())
    }

    /// `ModelStore.locate`: a .gguf path, a folder holding one GGUF file, folders by model_type.
    func testLocateClassifiesPathsAndNames() throws {
        let cache = NSTemporaryDirectory() + "llama-locate-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let fm = FileManager.default
        for d in ["one", "two", "empty"] { try fm.createDirectory(atPath: cache + "/" + d, withIntermediateDirectories: true) }
        try fm.copyItem(atPath: Self.path, toPath: cache + "/one/m.gguf")
        try fm.copyItem(atPath: Self.path, toPath: cache + "/two/a.gguf")
        try fm.copyItem(atPath: Self.path, toPath: cache + "/two/b.gguf")
        let env = ["DPRM_MODEL_CACHE": cache, "DPRM_SHARED": cache + "/none"]
        XCTAssertEqual(try ModelStore.locate(Self.path, environment: env), .gguf(Self.path))
        XCTAssertEqual(try ModelStore.locate("one", environment: env), .gguf(cache + "/one/m.gguf"))
        XCTAssertEqual(try ModelStore.locate(Fixture.path("llama/tiny-qwen2"), environment: env), .languageModelFolder(Fixture.path("llama/tiny-qwen2")))
        XCTAssertEqual(try ModelStore.locate(cache + "/empty", environment: env), .encoderFolder(cache + "/empty"))
        XCTAssertThrowsError(try ModelStore.locate("two", environment: env)) {
            XCTAssertTrue("\($0)".contains("no config.json and 2 GGUF files (a.gguf, b.gguf): name the file"), "\($0)")
        }
        XCTAssertThrowsError(try ModelStore.locate(cache + "/missing.gguf", environment: env)) {
            XCTAssertTrue("\($0)".contains("no such GGUF file"), "\($0)")
        }
    }

    func testUnknownGGUFArchitectureNamesWhatIsSupported() throws {
        var b = GGUFBuilder()
        b.header(tensors: 1, kvs: 1)
        b.kv("general.architecture", .string) { $0.string("gpt2") }
        b.tensorInfo("token_embd.weight", dims: [2, 2], type: GGMLType.f32.rawValue, offset: 0)
        b.pad(to: 32)
        for _ in 0..<4 { b.u32(Float(1).bitPattern) }
        let path = NSTemporaryDirectory() + "llama-gguf-\(UUID().uuidString).gguf"
        try b.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try LlamaModel.load(gguf: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path) && text.contains("general.architecture is 'gpt2'") && text.contains("'llama' and 'qwen2'"), text)
        }
    }
}

/// The real SmolLM2-135M-Instruct (Q4_1 GGUF from the model cache) against PyTorch + transformers
/// loading the same file in float32 (`scripts/make_smollm_reference.py`, fixture
/// `llama/smollm2.json`): logits within 1e-3 at probed vocabulary ids and at the reference top-5
/// of every position of three texts, and a 32-token greedy continuation identical (the script
/// asserts every step's top-2 margin exceeds 1e-2, ten times the logit tolerance, so the argmax
/// cannot flip on float32 differences).
final class SmolLM2Tests: XCTestCase {
    static var path: String { GGUFTests.smollmPath }

    func model() throws -> LlamaModel {
        guard FileManager.default.fileExists(atPath: Self.path) else {
            throw XCTSkip("\(Self.path) is absent: run scripts/fetch-models smollm2-135m-instruct")
        }
        return try LlamaModel.load(gguf: Self.path)
    }

    static func reference() throws -> [String: Any] { try Fixture.json("llama/smollm2.json") }

    func testLogitsMatchTransformers() throws {
        let m = try model()
        XCTAssertEqual(m.config.numHiddenLayers, 30)
        XCTAssertEqual(m.config.numKeyValueHeads, 3)
        XCTAssertTrue(m.config.tieWordEmbeddings)
        let texts = try Self.reference()["texts"] as! [[String: Any]]
        for (t, text) in texts.enumerated() {
            let ids = (text["ids"] as! [NSNumber]).map(\.intValue)
            let probe = (text["probe"] as! [NSNumber]).map(\.intValue)
            let expected = text["logits"] as! [[NSNumber]]
            let top = text["top"] as! [[[NSNumber]]]
            let logits = m.logits(ids)
            let rows = logits.toArray(), v = m.config.vocabSize
            var worst: Float = 0
            for p in 0..<ids.count {
                for (k, id) in probe.enumerated() { worst = max(worst, abs(rows[p * v + id] - expected[p][k].floatValue)) }
                for pair in top[p] { worst = max(worst, abs(rows[p * v + pair[0].intValue] - pair[1].floatValue)) }
            }
            if ProcessInfo.processInfo.environment["DPRM_PRINT_DIFF"] != nil { print("SmolLM2 text \(t): largest logit difference \(worst)") }
            XCTAssertLessThanOrEqual(worst, 1e-3, "text \(t): largest logit difference")
        }
    }

    func testGreedyContinuationMatchesTransformers() throws {
        let m = try model()
        let reference = try Self.reference()
        let prompt = ((reference["texts"] as! [[String: Any]])[0]["ids"] as! [NSNumber]).map(\.intValue)
        let expected = (reference["greedy"] as! [NSNumber]).map(\.intValue)
        XCTAssertEqual(expected.count, 32)
        XCTAssertEqual(m.generate(prompt: prompt, maxTokens: 32, stopTokens: []), expected)
    }
}
