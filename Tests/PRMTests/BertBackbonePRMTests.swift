import Foundation
import XCTest
import Tensors
import Autodiff
import NN
import Datasets
@testable import PRM

/// The PRM on the real pretrained MiniLM (`ProcessRewardModel(pretrained:)`): causality of the
/// step scores, the cold start, checkpoints read back by both `load(from:)` and `loadModel`,
/// and a copy. Inputs are tiny (max_length 96) so the debug build runs them in seconds.
final class BertBackbonePRMTests: XCTestCase {
    static var model: PretrainedModel?

    func pretrained() throws -> PretrainedModel {
        if let m = Self.model { return m }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var shared = root.deletingLastPathComponent().appendingPathComponent("shared").standardizedFileURL.path
        if let env = ProcessInfo.processInfo.environment["DPRM_SHARED"], !env.isEmpty {
            shared = env.hasSuffix("/data") ? String(env.dropLast(5)) : env
        }
        guard FileManager.default.fileExists(atPath: shared + "/models/minilm-l6-v2/model.safetensors") else {
            throw XCTSkip("real model not found at \(shared)/models/minilm-l6-v2 (set DPRM_SHARED to the shared folder)")
        }
        let m = try loadModel(path: shared + "/models/minilm-l6-v2")
        Self.model = m
        return m
    }

    static let system = "Check each step."

    func instances() -> [PRMInstance] {
        [
            PRMInstance(id: "a", systemPrompt: Self.system, question: "What is 2 + 3?",
                        steps: ["2 + 3 = 5.", "So the answer is 5."], labels: [1, 1]),
            PRMInstance(id: "b", systemPrompt: Self.system, question: "What is 4 * 2?",
                        steps: ["4 * 2 = 6.", "So the answer is 6."], labels: [0, 0]),
            PRMInstance(id: "c", systemPrompt: Self.system, question: "What is 9 - 4?",
                        steps: ["9 - 4 = 5.", "Then 5 + 1 = 7.", "So the answer is 7."], labels: [1, 0, 0]),
        ]
    }

    func testTemplateUsesClsSepAndPlusMinusTokens() throws {
        let prm = try ProcessRewardModel(pretrained: try pretrained(), maxLength: 96)
        let tok = prm.tokenizer as! WordPieceTokenizer
        XCTAssertEqual(tok.token(of: tok.plusID), "+")
        XCTAssertEqual(tok.token(of: tok.minusID), "-")
        XCTAssertNotEqual(tok.plusID, tok.unkID)
        let t = prm.template(instances()[2])
        XCTAssertEqual(t.tokens.first, tok.clsID)
        XCTAssertEqual(t.labelPositions.count, 3)
        for (p, y) in zip(t.labelPositions, [Float(1), 0, 0]) {
            XCTAssertEqual(tok.token(of: t.tokens[p]), "assistant")
            XCTAssertEqual(t.tokens[p + 1], y >= 0.5 ? tok.plusID : tok.minusID)
            XCTAssertEqual(t.tokens[p + 2], tok.sepID)
        }
        XCTAssertEqual(prm.vocabularySize, 30522)
        XCTAssertEqual(prm.config.maxLength, 96)
        XCTAssertTrue(prm.isPretrainedBackbone)
    }

    /// A step's score depends only on the question and the steps up to it: editing a later step
    /// leaves the earlier scores unchanged (bit-identical when the edit keeps the token count,
    /// equal up to rounding when it changes the sequence length).
    func testEditingALaterStepLeavesEarlierScoresUnchanged() throws {
        let prm = try ProcessRewardModel(pretrained: try pretrained(), maxLength: 96)
        let q = "What is 9 - 4?"
        let base = prm.stepScores([prm.template(question: q, steps: ["9 - 4 = 5.", "Then 5 + 1 = 6.", "So 6."], systemPrompt: Self.system)])[0]
        let edited = prm.stepScores([prm.template(question: q, steps: ["9 - 4 = 5.", "Then 5 + 1 = 6.", "Therefore the final answer is seven."], systemPrompt: Self.system)])[0]
        let shorter = prm.stepScores([prm.template(question: q, steps: ["9 - 4 = 5.", "Then 5 + 1 = 6."], systemPrompt: Self.system)])[0]
        let changedSecond = prm.stepScores([prm.template(question: q, steps: ["9 - 4 = 5.", "Then 5 * 100 = 12.", "So 6."], systemPrompt: Self.system)])[0]
        // Scores are p(+) of a 30522-way softmax, about 2e-5 here: an absolute tolerance would be
        // meaningless, so compare relatively. Relative error of p = absolute error of the logit
        // minus logsumexp; float32 rounding that BLAS blocks differently for other sequence
        // lengths, thread counts or CPU kernels moves it by about 1e-6, so 1e-5 both absorbs that
        // and still fails for any real dependence on later steps (the edits below move it by more than 1e-2).
        let rtol: Float = 1e-5
        XCTAssertEqual(base.count, 3)
        // The edited third step is longer: a longer sequence, so products of other shapes.
        XCTAssertEqual(edited.count, 3)
        for (x, y) in zip(edited.prefix(2), base) { XCTAssertEqual(x, y, accuracy: rtol * abs(y)) }
        // Dropping a step shortens the sequence (masked keys still contribute exactly 0).
        XCTAssertEqual(shorter.count, 2)
        for (x, y) in zip(shorter, base) { XCTAssertEqual(x, y, accuracy: rtol * abs(y)) }
        // Exact: the changed second step has the same token count as the original, so every
        // product has the same shape and the first step's rows are computed the same way.
        XCTAssertEqual(prm.template(question: q, steps: ["9 - 4 = 5.", "Then 5 * 100 = 12.", "So 6."], systemPrompt: Self.system).tokens.count,
                       prm.template(question: q, steps: ["9 - 4 = 5.", "Then 5 + 1 = 6.", "So 6."], systemPrompt: Self.system).tokens.count)
        XCTAssertEqual(changedSecond[0], base[0])
        // The edited steps' own scores move by far more than rounding.
        XCTAssertGreaterThan(abs(edited[2] - base[2]), rtol * abs(base[2]))
        XCTAssertGreaterThan(abs(changedSecond[1] - base[1]), rtol * abs(base[1]))
        // In a padded batch the scores are the same as alone (padding keys are masked); two
        // sequences padded to the longer one are products of other shapes: relative tolerance.
        let batched = prm.stepScores([prm.template(question: q, steps: ["9 - 4 = 5."], systemPrompt: Self.system),
                                      prm.template(question: q, steps: ["9 - 4 = 5.", "Then 5 + 1 = 6.", "So 6."], systemPrompt: Self.system)])
        XCTAssertEqual(batched[0][0], base[0], accuracy: rtol * abs(base[0]))
        XCTAssertEqual(batched[1].count, 3)
        for (x, y) in zip(batched[1], base) { XCTAssertEqual(x, y, accuracy: rtol * abs(y)) }
        // The loaded model itself is untouched by building the PRM (it is a copy).
        XCTAssertTrue(try pretrained().encoder.useFastInference)
    }

    func testColdStartLowersTheLoss() throws {
        let prm = try ProcessRewardModel(pretrained: try pretrained(), seed: 3, maxLength: 96)
        let data = instances()
        let templated = data.map { prm.template($0) }
        let before = noGrad { prm.meanLoss(templated).value.item }
        var o = ColdStartOptions()
        o.lr = 1e-4
        o.iterations = 4
        o.batchSize = 3
        o.schedulerType = "constant"
        o.warmupRatio = 0
        o.progress = false
        let result = try coldStart(prm, train: data, options: o)
        XCTAssertEqual(result.stepsDone, 4)
        XCTAssertFalse(prm.network.isTraining, "the cold start leaves the network in eval mode")
        let after = noGrad { prm.meanLoss(templated).value.item }
        XCTAssertLessThan(after, before * 0.8, "loss \(before) -> \(after)")
        // The pretrained model the PRM was built from did not move.
        let fresh = try ProcessRewardModel(pretrained: try pretrained(), seed: 3, maxLength: 96)
        // Exact: the same weights on the same batch, so the same products of the same shapes.
        XCTAssertEqual(noGrad { fresh.meanLoss(templated).value.item }, before)
    }

    func testCheckpointRoundTripAndLoadModel() throws {
        let source = try pretrained()
        let prm = try ProcessRewardModel(pretrained: source, seed: 1, maxLength: 96)
        // Move the weights and the head bias away from the pretrained ones.
        var o = ColdStartOptions()
        o.lr = 1e-4; o.iterations = 2; o.batchSize = 3; o.progress = false; o.schedulerType = "constant"; o.warmupRatio = 0
        _ = try coldStart(prm, train: instances(), options: o)
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/prm"
        try prm.save(to: path)
        for file in ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "prm.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/" + file), file)
        }
        let loaded = try ProcessRewardModel.load(from: path)
        XCTAssertTrue(loaded.isPretrainedBackbone)
        XCTAssertEqual(loaded.config, prm.config)
        let test = instances().map { prm.template(question: $0.question, steps: $0.steps, systemPrompt: $0.systemPrompt) }
        // Exact: the saved float32 weights read back bit for bit, and the same batch is scored
        // with products of the same shapes.
        XCTAssertEqual(loaded.stepScores(test), prm.stepScores(test))
        let bias = (prm.network as! BertPRMBackbone).headBias.value.toArray()
        XCTAssertGreaterThan(bias.map(abs).max()!, 0, "the head bias was trained")
        XCTAssertEqual((loaded.network as! BertPRMBackbone).headBias.value.toArray(), bias)

        // The directory is a plain encoder for loadModel, with the fine-tuned weights.
        let encoder = try loadModel(path: path)
        XCTAssertEqual(encoder.tokenizer, source.tokenizer)
        let trained = (prm.network as! BertPRMBackbone).bert.stateDict()
        for (name, t) in encoder.encoder.stateDict() { XCTAssertEqual(t.toArray(), trained[name]!.toArray(), name) }
        XCTAssertNotEqual(encoder.encode("a test").toArray(), source.encode("a test").toArray())

        // A copy scores the same and trains independently.
        let twin = try prm.copy()
        // Exact for the same reason: copied weights, same batch, same shapes.
        XCTAssertEqual(twin.stepScores(test), prm.stepScores(test))
        XCTAssertFalse((twin.network as! BertPRMBackbone).bert === (prm.network as! BertPRMBackbone).bert)

        // prm.json's head and attention are checked, not ignored (issue 18, item 4).
        let meta = try String(contentsOfFile: path + "/prm.json", encoding: .utf8)
        try meta.replacingOccurrences(of: "\"causal\"", with: "\"x\"").write(toFile: path + "/prm.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ProcessRewardModel.load(from: path)) { e in
            XCTAssertTrue("\(e)".contains(path) && "\(e)".contains("attention 'x'"), "\(e)")
        }
        // A damaged prm.json is an error naming the directory.
        try Data("{".utf8).write(to: URL(fileURLWithPath: path + "/prm.json"))
        XCTAssertThrowsError(try ProcessRewardModel.load(from: path)) { e in
            XCTAssertTrue("\(e)".contains(path) && "\(e)".contains("prm.json"), "\(e)")
        }
    }
}
