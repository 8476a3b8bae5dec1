import Foundation
import XCTest
import Tensors
import Autodiff
import NN
import Datasets
@testable import PRM

/// `trainableLayers` on a model with a separate LM head: the tiny random Qwen2 of
/// Tests/NNTests/Fixtures/llama/tiny-qwen2 (`tie_word_embeddings` false, q/k/v biases). Its
/// fixture has no tokenizer, so a word-level tokenizer of fewer than the model's 128 ids supplies
/// the token ids of the templated conversations; the model supplies everything else. With an
/// untied head the head trains (it is not the embedding matrix the frozen blocks read).
final class LlamaPRMUntiedHeadTests: XCTestCase {
    static var folder: String { LlamaPRMTests.llamaFixtures + "/tiny-qwen2" }

    static func untiedPRM(trainableLayers: Int?) throws -> ProcessRewardModel {
        let model = try LlamaModel.load(directory: folder)
        let corpus = LlamaPRMTrainingTests.instances().flatMap { [$0.systemPrompt, $0.question] + $0.steps }
        let tokenizer = WordTokenizer.train(corpus: corpus, maxVocabulary: 120, minFrequency: 1, required: ChatTemplate.templateTexts)
        XCTAssertLessThanOrEqual(tokenizer.vocabularySize, model.config.vocabSize)
        let backbone = try LlamaPRMBackbone(copying: model, source: folder, maxLength: 128, trainableLayers: trainableLayers)
        var config = PRMConfig(llama: model.config, maxLength: 128)
        config.recommendedColdStart = nil
        return ProcessRewardModel(backbone: backbone, config: config, tokenizer: tokenizer)
    }

    func testTheUntiedHeadTrainsAndTheFrozenPartStaysBitIdentical() throws {
        let prm = try Self.untiedPRM(trainableLayers: 1)
        let backbone = prm.network as! LlamaPRMBackbone
        XCTAssertNotNil(backbone.lmHead)
        XCTAssertTrue(backbone.outputWeight === backbone.lmHead!.weight, "p(+) comes from lm_head, not the embeddings")
        let names = Set(prm.namedParameters.map(\.0))
        XCTAssertTrue(names.contains("lm_head.weight") && names.contains("model.norm.weight") && names.contains("model.layers.1.self_attn.q_proj.bias"), "\(names.sorted())")
        XCTAssertTrue(names.allSatisfy { $0.hasPrefix("model.layers.1.") || $0 == "model.norm.weight" || $0 == "lm_head.weight" }, "\(names.sorted())")
        try backbone.useFrozenCache(limitBytes: 1 << 20)
        let data = LlamaPRMTrainingTests.instances()
        let templated = data.map { prm.template($0) }
        let before = prm.network.stateDict().mapValues { $0.toArray() }
        let lossBefore = noGrad { prm.meanLoss(templated).value.item }
        _ = try coldStart(prm, train: data, options: LlamaPRMTrainingTests.options(iterations: 8, lr: 1e-2))
        let lossAfter = noGrad { prm.meanLoss(templated).value.item }
        XCTAssertLessThan(lossAfter, lossBefore * 0.8, "loss \(lossBefore) -> \(lossAfter)")
        XCTAssertGreaterThan(backbone.frozenCache!.hits, 0)
        FrozenCacheFileTests.assertOnlyTrainableMoved(prm, since: before)
    }

    /// The head's gradient against central differences of the loss, and the cached paths (memory
    /// and file) against the uncached one.
    func testHeadGradientAndCachedPathsMatch() throws {
        let plain = try Self.untiedPRM(trainableLayers: 1)
        let batch = LlamaPRMTrainingTests.instances().map { plain.template($0) }
        let reference = FrozenCacheFileTests.lossAndGradients(plain, batch)
        let backbone = plain.network as! LlamaPRMBackbone
        let head = backbone.lmHead!.weight
        let grad = head.grad!.toArray()
        let hidden = backbone.hiddenSize
        // Rows of the label tokens carry the largest gradient; central differences in float32 with
        // a step of 1e-2 are good to about 1e-4 here (the loss is ~1, its rounding ~1e-7).
        for row in [plain.tokenizer.plusID, plain.tokenizer.minusID] {
            for j in [0, 7, hidden - 1] {
                let i = row * hidden + j
                func loss(_ delta: Float) -> Float {
                    head.value.withMutablePointer { $0[i] += delta }
                    defer { head.value.withMutablePointer { $0[i] -= delta } }
                    return noGrad { plain.meanLoss(batch).value.item }
                }
                let numeric = (loss(1e-2) - loss(-1e-2)) / 2e-2
                XCTAssertEqual(grad[i], numeric, accuracy: 2e-4 + 0.02 * abs(numeric), "lm_head[\(row), \(j)]")
            }
        }
        XCTAssertGreaterThan(grad.map(abs).max()!, 1e-4, "the head gets a gradient")
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for path in [nil, dir + "/qwen2.cache"] {
            let cached = try Self.untiedPRM(trainableLayers: 1)
            try (cached.network as! LlamaPRMBackbone).useFrozenCache(limitBytes: 1 << 20, path: path)
            for round in 0..<2 {
                FrozenCacheFileTests.assertClose(FrozenCacheFileTests.lossAndGradients(cached, batch), reference, "\(path ?? "memory") round \(round)")
            }
            XCTAssertEqual((cached.network as! LlamaPRMBackbone).frozenCache!.hits, 3)
        }
    }
}
