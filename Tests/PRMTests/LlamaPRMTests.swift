import Foundation
import XCTest
import Tensors
import Autodiff
import NN
import Datasets
@testable import PRM

/// The PRM on a llama-family language model (`LlamaPRMBackbone`), checked against transformers
/// (`scripts/make_llm_prm_fixtures.py`, fixture `llm/scores.json`): the templated token ids equal
/// transformers' tokenization of the same conversation text, and p(+) at every label position
/// equals transformers' full-vocabulary softmax, for the tiny random llama (its folder and its
/// GGUF file) and the real SmolLM2-135M-Instruct GGUF of the model cache.
final class LlamaPRMTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let llamaFixtures = repoRoot.appendingPathComponent("Tests/NNTests/Fixtures/llama").path
    static var tinyFolder: String { llamaFixtures + "/tiny-llama" }
    static var tinyGGUF: String { llamaFixtures + "/tiny-llama.gguf" }
    static var smollmPath: String { ModelStore.cacheDirectory() + "/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf" }

    struct Conversation: Decodable {
        let system: String
        let question: String
        let steps: [String]
        let ids: [Int]
        let plus_id: Int
        let label_positions: [Int]
        let p_plus: [Double]
    }

    static let reference: [String: [Conversation]] = {
        let url = repoRoot.appendingPathComponent("Tests/PRMTests/Fixtures/llm/scores.json")
        return try! JSONDecoder().decode([String: [Conversation]].self, from: Data(contentsOf: url))
    }()

    static func tinyPRM(gguf: Bool = false, trainableLayers: Int? = nil) throws -> ProcessRewardModel {
        try ProcessRewardModel(languageModel: try loadLanguageModel(path: gguf ? tinyGGUF : tinyFolder), trainableLayers: trainableLayers)
    }

    /// Ids and label positions exactly (integers); scores within 1e-3 relative: both sides run
    /// float32 with different summation orders (BLAS blocking), which moves logits by ~1e-5 here.
    static func check(_ prm: ProcessRewardModel, against conversations: [Conversation], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(prm.tokenizer.plusID, conversations[0].plus_id, file: file, line: line)
        let templated = conversations.map { prm.template(question: $0.question, steps: $0.steps, systemPrompt: $0.system) }
        for (t, c) in zip(templated, conversations) {
            XCTAssertEqual(t.tokens, c.ids, "template ids differ from transformers' for \(c.question)", file: file, line: line)
            XCTAssertEqual(t.labelPositions, c.label_positions, file: file, line: line)
        }
        // One padded batch (the conversations differ in length), so the padding mask is exercised too.
        let scores = prm.stepScores(templated)
        for (s, c) in zip(scores, conversations) {
            XCTAssertEqual(s.count, c.p_plus.count, file: file, line: line)
            for (a, b) in zip(s, c.p_plus) {
                XCTAssertEqual(Double(a), b, accuracy: 1e-3 * b + 1e-7, "p(+) of \(c.question)", file: file, line: line)
            }
        }
    }

    func testTinyLlamaFolderAndGGUFMatchTransformers() throws {
        Self.check(try Self.tinyPRM(), against: Self.reference["tiny-llama"]!)
        Self.check(try Self.tinyPRM(gguf: true), against: Self.reference["tiny-llama"]!)
    }

    /// The real model (CI fetches it with scripts/fetch-models before the tests; absent, this
    /// fails rather than skips). Two conversations with the reference's own system prompt.
    func testSmolLM2MatchesTransformers() throws {
        guard FileManager.default.fileExists(atPath: Self.smollmPath) else {
            return XCTFail("\(Self.smollmPath) is absent: run scripts/fetch-models smollm2-135m-instruct")
        }
        let conversations = Self.reference["smollm2"]!
        XCTAssertEqual(conversations[0].system, Datasets.defaultSystemPrompt, "the fixture must use the reference's system prompt")
        let prm = try ProcessRewardModel(languageModel: try loadLanguageModel(path: Self.smollmPath), maxLength: 512)
        XCTAssertEqual(prm.tokenizer.decode([prm.tokenizer.plusID]), "+")
        XCTAssertEqual(prm.tokenizer.decode([prm.tokenizer.minusID]), "-")
        Self.check(prm, against: conversations)
    }

    func testStateDictHasHuggingFaceNamesAndTheLoadedModelIsNotTrained() throws {
        let lm = try loadLanguageModel(path: Self.tinyFolder)
        let before = lm.model.stateDict().mapValues { $0.toArray() }
        let prm = try ProcessRewardModel(languageModel: lm)
        XCTAssertEqual(Set(prm.network.stateDict().keys), Set(before.keys))
        XCTAssertTrue(prm.network.stateDict().keys.contains("model.layers.1.self_attn.q_proj.weight"))
        XCTAssertFalse(prm.network.stateDict().keys.contains("lm_head.weight"), "tied embeddings: no separate head")
        let c = Self.reference["tiny-llama"]![0]
        let batch = [prm.chatTemplate.encode(systemPrompt: c.system, question: c.question, steps: c.steps, labels: [1, 0])]
        let optimizer = AdamW(prm.namedParameters, lr: 1e-2)
        let loss = prm.meanLoss(batch)
        loss.backward()
        optimizer.step()
        for (name, values) in lm.model.stateDict().mapValues({ $0.toArray() }) {
            XCTAssertEqual(values, before[name]!, "\(name) of the loaded model changed")  // exact: never written
        }
        XCTAssertNotEqual(prm.network.stateDict()["model.norm.weight"]!.toArray(), before["model.norm.weight"]!)
    }

    /// Only the label rows go through the head: the logits of a batch are [label positions, vocab].
    func testHeadRunsOnLabelRowsOnly() throws {
        let prm = try Self.tinyPRM()
        let convs = Self.reference["tiny-llama"]!
        let batch = convs.map { prm.template(question: $0.question, steps: $0.steps, systemPrompt: $0.system) }
        let (logits, counts) = prm.stackedLabelLogits(batch)
        XCTAssertEqual(counts, convs.map(\.steps.count))
        XCTAssertEqual(logits.shape, [counts.reduce(0, +), prm.vocabularySize])
    }
}
