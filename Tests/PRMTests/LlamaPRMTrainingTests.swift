import Foundation
import XCTest
import Tensors
import Autodiff
import NN
import Datasets
@testable import PRM

/// Training a language-model PRM (`LlamaPRMBackbone`) on the tiny random llama of
/// Tests/NNTests/Fixtures/llama: the cold start, best-of-N and checkpoints are the shared code;
/// `trainableLayers` freezes the lower blocks and the frozen-output cache reproduces the
/// uncached loss and gradients. (Reweighting: ReweightTests/LlamaReweightingTests.)
final class LlamaPRMTrainingTests: XCTestCase {
    static let system = "Check each step."

    static func instances() -> [PRMInstance] {
        let rows: [(String, String, [String], [Float])] = [
            ("a", "What is 2 + 3?", ["2 + 3 = 5.", "So the answer is 5."], [1, 1]),
            ("b", "What is 4 * 2?", ["4 * 2 = 6.", "So the answer is 6."], [0, 0]),
            ("c", "What is 9 - 4?", ["9 - 4 = 5.", "Then 5 + 1 = 7.", "The answer is 7."], [1, 0, 0]),
        ]
        return rows.map { PRMInstance(id: $0.0, systemPrompt: system, question: $0.1, steps: $0.2, labels: $0.3) }
    }

    static func options(iterations: Int, lr: Double = 3e-3) -> ColdStartOptions {
        var o = ColdStartOptions()
        o.lr = lr
        o.iterations = iterations
        o.batchSize = 3
        o.schedulerType = "constant"
        o.warmupRatio = 0
        o.progress = false
        return o
    }

    func testColdStartLowersTheLossAndBestOfNRuns() throws {
        let prm = try LlamaPRMTests.tinyPRM()
        let data = Self.instances()
        let templated = data.map { prm.template($0) }
        let before = noGrad { prm.meanLoss(templated).value.item }
        let result = try coldStart(prm, train: data, options: Self.options(iterations: 6))
        XCTAssertEqual(result.stepsDone, 6)
        let after = noGrad { prm.meanLoss(templated).value.item }
        XCTAssertLessThan(after, before * 0.7, "loss \(before) -> \(after)")
        // Best-of-2: the right solution against the wrong one; after training on exactly these
        // labels the PRM must prefer the right one.
        let set = CandidateSet(id: "q", question: "What is 2 + 3?", candidates: ["2 + 3 = 5.\n\nSo the answer is 5.", "2 + 3 = 6.\n\nSo the answer is 6."],
                               candidateSteps: [data[0].steps, ["2 + 3 = 6.", "So the answer is 6."]], correct: [true, false],
                               systemPrompt: Self.system)
        let r = bestOfN(prm, sets: [set], aggregation: .min)
        XCTAssertEqual(r.accuracy, 1)
    }

    /// A checkpoint of a PRM built from the GGUF file is a Hugging Face folder with a tokenizer
    /// written from the GGUF vocabulary; it loads back as the same PRM.
    func testCheckpointFromGGUFIsAHuggingFaceFolderAndLoadsBack() throws {
        let prm = try LlamaPRMTests.tinyPRM(gguf: true, trainableLayers: 1)
        _ = try coldStart(prm, train: Self.instances(), options: Self.options(iterations: 2))
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/prm"
        try prm.save(to: path)
        for file in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "prm.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/" + file), file)
        }
        let names = try SafetensorsFile(path: path + "/model.safetensors").entries.keys
        XCTAssertTrue(names.contains("model.embed_tokens.weight"))
        XCTAssertFalse(names.contains("lm_head.weight"), "tied embeddings are saved once, as transformers does")
        let loaded = try ProcessRewardModel.load(from: path)
        XCTAssertTrue(loaded.isLanguageModelBackbone)
        XCTAssertEqual(loaded.config, prm.config)
        XCTAssertEqual((loaded.network as! LlamaPRMBackbone).trainableLayers, 1)
        for (name, t) in prm.network.stateDict() {
            XCTAssertEqual(loaded.network.stateDict()[name]!.toArray(), t.toArray(), name)  // exact: float32 written and read back
        }
        for c in LlamaPRMTests.reference["tiny-llama"]! {
            XCTAssertEqual(loaded.tokenizer.encode(c.system + c.question), prm.tokenizer.encode(c.system + c.question))
        }
        let test = Self.instances().map { prm.template(question: $0.question, steps: $0.steps, systemPrompt: $0.systemPrompt) }
        // Exact: the same weights and the same batch, so products of the same shapes.
        XCTAssertEqual(loaded.stepScores(test), prm.stepScores(test))
    }

    /// The checkpoint scripts/make_llm_prm_fixtures.py had dprm write (from the tiny GGUF) and
    /// then scored with transformers (AutoTokenizer + AutoModelForCausalLM on the folder).
    func testCommittedCheckpointScoresAsTransformers() throws {
        let path = LlamaPRMTests.repoRoot.appendingPathComponent("Tests/PRMTests/Fixtures/llm/tiny-checkpoint").path
        let prm = try ProcessRewardModel.load(from: path)
        LlamaPRMTests.check(prm, against: LlamaPRMTests.reference["checkpoint"]!)
    }

    func testTrainableLayersFreezeTheRestBitForBit() throws {
        let prm = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        XCTAssertEqual(Set(prm.namedParameters.map(\.0)).count, prm.namedParameters.count)
        XCTAssertTrue(prm.namedParameters.allSatisfy { $0.0.hasPrefix("model.layers.1.") || $0.0 == "model.norm.weight" },
                      "\(prm.namedParameters.map(\.0))")
        let before = prm.network.stateDict().mapValues { $0.toArray() }
        _ = try coldStart(prm, train: Self.instances(), options: Self.options(iterations: 3))
        let after = prm.network.stateDict().mapValues { $0.toArray() }
        let trainable = Set(prm.namedParameters.map(\.0))
        for (name, values) in after {
            if trainable.contains(name) {
                XCTAssertNotEqual(values, before[name]!, "\(name) trained")
            } else {
                XCTAssertEqual(values, before[name]!, "\(name) is frozen")  // exact: never written
            }
        }
        XCTAssertThrowsError(try (prm.network as! LlamaPRMBackbone).setTrainableLayers(3))
    }

    /// The cached frozen outputs give the uncached loss and gradients. Within 1e-5 rather than
    /// exactly: a cached row was computed in a batch of another shape (other rows, other padding),
    /// and BLAS blocks products of different shapes differently, so the last bits may differ.
    func testFrozenCacheGivesTheUncachedLossAndGradients() throws {
        let plain = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let cached = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let backbone = cached.network as! LlamaPRMBackbone
        backbone.frozenCache = FrozenPrefixCache(width: backbone.hiddenSize, limitBytes: 1 << 20)
        let batch = Self.instances().map { plain.template($0) }
        func lossAndGradients(_ prm: ProcessRewardModel, _ b: [TemplatedInstance]) -> (Float, [[Float]]) {
            prm.network.zeroGrad()
            let loss = prm.meanLoss(b)
            loss.backward()
            return (loss.value.item, prm.parameters.map { $0.grad!.toArray() })
        }
        let (reference, referenceGrads) = lossAndGradients(plain, batch)
        _ = lossAndGradients(cached, [batch[2]])  // fills instance c's entry alone
        let cache = backbone.frozenCache!
        XCTAssertEqual([cache.hits, cache.misses, cache.count], [0, 1, 1])
        for round in 0..<2 {
            let (loss, grads) = lossAndGradients(cached, batch)
            // Round 0: c hits, a and b are computed together; round 1: all three hit.
            XCTAssertEqual([cache.hits, cache.misses, cache.count], round == 0 ? [1, 3, 3] : [4, 3, 3])
            XCTAssertEqual(loss, reference, accuracy: 1e-5)
            for (g, r) in zip(grads, referenceGrads) {
                XCTAssertLessThanOrEqual(zip(g, r).map { abs($0 - $1) }.max()!, 1e-5)
            }
        }
        // A cache too small for any entry stores nothing and still gives the same loss.
        backbone.frozenCache = FrozenPrefixCache(width: backbone.hiddenSize, limitBytes: 100)
        let (loss, _) = lossAndGradients(cached, batch)
        XCTAssertEqual(loss, reference, accuracy: 1e-5)
        XCTAssertEqual([backbone.frozenCache!.count, backbone.frozenCache!.skipped], [0, 3])
    }
    /// A copy shares the frozen-output cache (its frozen blocks are bit-identical copies that are
    /// never written), so the continuations a comparison runs from one PRM fill it once; a copy
    /// that changes its trainable set gets a cache of its own and leaves the shared one alone.
    func testCopiesShareTheFrozenCacheUntilTheirTrainableSetChanges() throws {
        let prm = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let backbone = prm.network as! LlamaPRMBackbone
        backbone.frozenCache = FrozenPrefixCache(width: backbone.hiddenSize, limitBytes: 1 << 20)
        let batch = Self.instances().map { prm.template($0) }
        let before = prm.stepScores(batch)
        let cache = backbone.frozenCache!
        XCTAssertEqual(cache.count, 3)
        let twin = try prm.copy()
        let twinBackbone = twin.network as! LlamaPRMBackbone
        XCTAssertTrue(twinBackbone.frozenCache === cache)
        let hits = cache.hits
        // Exact: the twin reads the same cached rows and runs bit-identical trainable weights.
        XCTAssertEqual(twin.stepScores(batch), before)
        XCTAssertEqual(cache.hits, hits + 3, "the twin's rows came from the shared cache")
        XCTAssertEqual(cache.count, 3)
        try twinBackbone.setTrainableLayers(2)
        XCTAssertFalse(twinBackbone.frozenCache === cache)
        XCTAssertEqual(twinBackbone.frozenCache?.count, 0)
        XCTAssertEqual(twinBackbone.frozenCache?.limitBytes, cache.limitBytes)
        _ = twin.stepScores(batch)
        XCTAssertEqual(cache.count, 3, "the original's cache is untouched")
        XCTAssertEqual(prm.stepScores(batch), before)
    }
}
