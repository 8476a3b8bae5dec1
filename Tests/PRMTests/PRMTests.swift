import Foundation
import XCTest
import Tensors
import Autodiff
import Datasets
@testable import PRM
import NN

final class PRMTests: XCTestCase {
    let question = "Compute ((17 + 5) * 3) - 8."
    let steps = ["17 + 5 = 22", "22 * 3 = 66", "66 - 8 = 58", "Final answer: 58"]

    func testPresetsAndUnknownPreset() throws {
        let tiny = try PRMConfig.preset("tiny")
        XCTAssertEqual([tiny.hiddenSize, tiny.numLayers, tiny.numHeads, tiny.maxLength], [32, 2, 2, 256])
        XCTAssertNoThrow(try PRMConfig.preset("small"))
        XCTAssertThrowsError(try PRMConfig.preset("huge")) { e in
            XCTAssertEqual("\(e)", "unknown PRM preset 'huge'; valid presets: tiny, small")
        }
    }

    func testParameterNamesAndDeterministicInit() {
        let a = PRMFixture.tinyPRM(seed: 5), b = PRMFixture.tinyPRM(seed: 5), c = PRMFixture.tinyPRM(seed: 6)
        let names = a.namedParameters.map(\.0)
        XCTAssertEqual(names.first, "embed_tokens.weight")
        XCTAssertFalse(names.contains("embed_positions.weight"), "the presets use rotary positions")
        XCTAssertTrue(names.contains("encoder.layer.1.attention.self.query.weight"))
        XCTAssertTrue(names.contains("encoder.final_layer_norm.weight"))
        XCTAssertEqual(names.last, "lm_head.weight")
        XCTAssertEqual(a.parameters.count, names.count)
        XCTAssertEqual(a.parameters[0].value.toArray(), b.parameters[0].value.toArray())
        XCTAssertNotEqual(a.parameters[0].value.toArray(), c.parameters[0].value.toArray())
    }

    func testLabelLogitsShapes() {
        let prm = PRMFixture.tinyPRM()
        let batch = [prm.template(question: question, steps: steps, systemPrompt: PRMFixture.system),
                     prm.template(question: "Compute 3 + 4.", steps: ["3 + 4 = 7", "Final answer: 7"], systemPrompt: PRMFixture.system),
                     TemplatedInstance(tokens: prm.template(question: "Compute 1 + 1.", steps: [], systemPrompt: PRMFixture.system).tokens, labelPositions: [], labels: [])]
        let logits = prm.labelLogits(batch)
        XCTAssertEqual(logits.map(\.shape), [[4, prm.vocabularySize], [2, prm.vocabularySize], [0, prm.vocabularySize]])
        // Label positions sit right before the label token, which is `+` in scoring mode.
        for p in batch[0].labelPositions { XCTAssertEqual(batch[0].tokens[p + 1], prm.tokenizer.plusID) }
        // Step scores are the full-vocabulary softmax of those logits at `+`.
        let scores = prm.stepScores(batch)
        XCTAssertEqual(scores.map(\.count), [4, 2, 0])
        let manual = logits[0].value.softmax().selecting(axis: 1, index: prm.tokenizer.plusID).toArray()
        for (s, m) in zip(scores[0], manual) { XCTAssertEqual(s, m, accuracy: 1e-6) }
    }

    /// Padding does not change results: an instance scored alone or in a batch with a longer one.
    func testBatchingDoesNotChangeScores() {
        let prm = PRMFixture.tinyPRM()
        let short = prm.template(question: "Compute 3 + 4.", steps: ["3 + 4 = 7", "Final answer: 7"], systemPrompt: PRMFixture.system)
        let long = prm.template(question: question, steps: steps, systemPrompt: PRMFixture.system)
        let alone = prm.stepScores([short])[0]
        let together = prm.stepScores([long, short])[1]
        // Padding changes the product shapes, so only equal up to rounding (scores are about 1e-2).
        for (a, b) in zip(alone, together) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let chunked = prm.stepScores([long, short, long], tokensPerBatch: 10)
        XCTAssertEqual(chunked.count, 3)
        for (a, b) in zip(chunked[1], alone) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    /// A step's score depends only on the question and the steps up to it.
    func testScoreDependsOnlyOnThePrefix() {
        let prm = PRMFixture.tinyPRM(seed: 2)
        let base = prm.stepScores([prm.template(question: question, steps: steps, systemPrompt: PRMFixture.system)])[0]
        // Same token length edit of step 3 (index 2): the first two scores are bit-identical
        // (exact: same sequence length, so every product has the same shape and is blocked the
        // same way; the causal mask gives the later positions exactly zero weight).
        let edited = prm.stepScores([prm.template(question: question, steps: ["17 + 5 = 22", "22 * 3 = 66", "66 - 8 = 57", "Final answer: 57"], systemPrompt: PRMFixture.system)])[0]
        XCTAssertEqual(Array(edited.prefix(2)), Array(base.prefix(2)))
        XCTAssertNotEqual(edited[2], base[2])
        // A longer later step (the sequence grows): earlier scores unchanged, up to rounding
        // (products of another shape are blocked differently by BLAS; scores are about 1e-2).
        let longer = prm.stepScores([prm.template(question: question, steps: ["17 + 5 = 22", "22 * 3 = 66 and then some more words", "Final answer: 58"], systemPrompt: PRMFixture.system)])[0]
        XCTAssertEqual(longer[0], base[0], accuracy: 1e-6)
        // Dropping later steps entirely.
        let prefix = prm.stepScores([prm.template(question: question, steps: Array(steps.prefix(2)), systemPrompt: PRMFixture.system)])[0]
        XCTAssertEqual(prefix[0], base[0], accuracy: 1e-6)
        XCTAssertEqual(prefix[1], base[1], accuracy: 1e-6)
    }

    /// Per-instance CE against a manual computation from the logits.
    func testPerInstanceLossMatchesManualCrossEntropy() {
        let prm = PRMFixture.tinyPRM(seed: 3)
        let a = prm.template(PRMInstance(id: "a", systemPrompt: PRMFixture.system, question: question, steps: steps, labels: [1, 1, 0, 0]))
        let b = prm.template(PRMInstance(id: "b", systemPrompt: PRMFixture.system, question: "Compute 3 + 4.", steps: ["3 + 4 = 8", "Final answer: 8"], labels: [0, 0]))
        let losses = prm.perInstanceLoss([a, b])
        let logits = prm.labelLogits([a, b])
        for (k, inst) in [a, b].enumerated() {
            let z = logits[k].value
            var total = 0.0
            for (row, y) in inst.labels.enumerated() {
                let zs = (0..<prm.vocabularySize).map { Double(z[element: row, $0]) }
                let m = zs.max()!
                let lse = m + Foundation.log(zs.map { Foundation.exp($0 - m) }.reduce(0, +))
                let target = y >= 0.5 ? prm.tokenizer.plusID : prm.tokenizer.minusID
                total += lse - zs[target]
            }
            XCTAssertEqual(Double(losses[k].value.item), total / Double(inst.labels.count), accuracy: 1e-4)
        }
        // The written label token follows the label (training mode).
        XCTAssertEqual(a.tokens[a.labelPositions[2] + 1], prm.tokenizer.minusID)
        // Gradients reach the parameters.
        (losses[0] + losses[1]).backward()
        XCTAssertNotNil(prm.parameters.last!.grad)
        XCTAssertGreaterThan(prm.parameters.last!.grad!.abs().sumValue, 0)
    }

    /// Soft labels: CE = -(y log p(+) + (1-y) log p(-)) with the full-vocabulary softmax.
    func testSoftLabels() {
        let prm = PRMFixture.tinyPRM(seed: 4)
        let soft = prm.template(PRMInstance(id: "s", systemPrompt: PRMFixture.system, question: question, steps: Array(steps.prefix(2)), labels: [0.7, 0.2]))
        let loss = prm.perInstanceLoss([soft])[0].value.item
        let logp = prm.labelLogits([soft])[0].value.logSoftmax()
        let (plus, minus) = (prm.tokenizer.plusID, prm.tokenizer.minusID)
        let manual = (-(0.7 * logp[element: 0, plus] + 0.3 * logp[element: 0, minus])
                      - (0.2 * logp[element: 1, plus] + 0.8 * logp[element: 1, minus])) / 2
        XCTAssertEqual(loss, manual, accuracy: 1e-5)
        // A label of exactly 1 equals the hard CE of `+`.
        let hard = prm.template(PRMInstance(id: "h", systemPrompt: PRMFixture.system, question: question, steps: Array(steps.prefix(1)), labels: [1]))
        let lp = prm.labelLogits([hard])[0].value.logSoftmax()
        XCTAssertEqual(prm.perInstanceLoss([hard])[0].value.item, -lp[element: 0, plus], accuracy: 1e-5)
    }

    func testInstanceWithoutLabelPositionGivesZero() {
        let prm = PRMFixture.tinyPRM()
        let header = prm.template(question: question, steps: [], systemPrompt: PRMFixture.system)
        let full = prm.template(PRMInstance(id: "x", systemPrompt: PRMFixture.system, question: question, steps: steps, labels: [1, 1, 1, 1]))
        let losses = prm.perInstanceLoss([header, full])
        XCTAssertEqual(losses[0].value.item, 0)
        XCTAssertGreaterThan(losses[1].value.item, 0)
        XCTAssertEqual(prm.perInstanceLoss([header]).map { $0.value.item }, [0])
        // Truncation below the first step leaves no label position.
        var cfg = try! PRMConfig.preset("tiny")
        cfg.maxLength = 20
        let short = ProcessRewardModel(config: cfg, tokenizer: PRMFixture.tokenizer, seed: 0)
        let t = short.template(PRMInstance(id: "y", systemPrompt: PRMFixture.system, question: question, steps: steps, labels: [1, 1, 1, 1]))
        XCTAssertEqual(t.labelPositions, [])
        XCTAssertEqual(short.perInstanceLoss([t])[0].value.item, 0)
    }

    func testCheckpointRoundTrip() throws {
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let prm = PRMFixture.tinyPRM(seed: 9)
        let sets = PRMFixture.benchmark.test
        let before = prm.candidateScores(sets)
        try prm.save(to: dir + "/ckpt")
        for f in ["model.safetensors", "config.json", "tokenizer.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/ckpt/" + f), f)
        }
        let loaded = try ProcessRewardModel.load(from: dir + "/ckpt")
        XCTAssertEqual(loaded.config, prm.config)
        XCTAssertEqual(loaded.tokenizer as? WordTokenizer, PRMFixture.tokenizer)
        // Exact: the weights read back bit for bit and the same batches are scored (same shapes).
        XCTAssertEqual(loaded.candidateScores(sets), before)
        for ((n1, p1), (n2, p2)) in zip(prm.namedParameters, loaded.namedParameters) {
            XCTAssertEqual(n1, n2)
            XCTAssertEqual(p1.value.toArray(), p2.value.toArray())
        }
    }

    /// Rotary positions: no `embed_positions`, the type is saved in config.json, and a config
    /// written before the key existed reads as learned absolute positions.
    func testRotaryCheckpointRoundTripAndOldConfigs() throws {
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try PRMConfig.preset("tiny")
        XCTAssertEqual(config.positionEmbeddingType, .rotary)
        let prm = ProcessRewardModel(config: config, tokenizer: PRMFixture.tokenizer, seed: 3)
        XCTAssertFalse(prm.namedParameters.contains { $0.0.hasPrefix("embed_positions") })
        config.positionEmbeddingType = .absolute
        let absolute = ProcessRewardModel(config: config, tokenizer: PRMFixture.tokenizer, seed: 3)
        XCTAssertTrue(absolute.namedParameters.contains { $0.0 == "embed_positions.weight" })
        XCTAssertEqual(absolute.parameterCount - prm.parameterCount, config.maxLength * config.hiddenSize)
        config.positionEmbeddingType = .rotary
        let sets = PRMFixture.benchmark.test
        let before = prm.candidateScores(sets)
        try prm.save(to: dir + "/rope")
        let json = try String(contentsOfFile: dir + "/rope/config.json", encoding: .utf8)
        XCTAssertTrue(json.contains("\"position_embedding_type\""), json)
        let loaded = try ProcessRewardModel.load(from: dir + "/rope")
        XCTAssertEqual(loaded.config.positionEmbeddingType, .rotary)
        // Exact: same weights, same batches, same shapes.
        XCTAssertEqual(loaded.candidateScores(sets), before)
        XCTAssertNotEqual(absolute.candidateScores(sets), before)

        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as! [String: Any]
        old.removeValue(forKey: "position_embedding_type")
        let decoded = try JSONDecoder().decode(PRMConfig.self, from: JSONSerialization.data(withJSONObject: old))
        XCTAssertEqual(decoded.positionEmbeddingType, .absolute)
        XCTAssertEqual(decoded.hiddenSize, 32)
    }

    func testBadCheckpointErrors() throws {
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func message(_ path: String) -> String {
            do { _ = try ProcessRewardModel.load(from: path); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(dir + "/nope"), "cannot load PRM checkpoint \(dir)/nope: no such directory")
        try PRMFixture.tinyPRM().save(to: dir + "/ok")
        // Missing file.
        try FileManager.default.copyItem(atPath: dir + "/ok", toPath: dir + "/no-tokenizer")
        try FileManager.default.removeItem(atPath: dir + "/no-tokenizer/tokenizer.json")
        XCTAssertEqual(message(dir + "/no-tokenizer"), "cannot load PRM checkpoint \(dir)/no-tokenizer: missing tokenizer.json")
        // Corrupt weights.
        try FileManager.default.copyItem(atPath: dir + "/ok", toPath: dir + "/corrupt")
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: dir + "/corrupt/model.safetensors"))
        let corrupt = message(dir + "/corrupt")
        XCTAssertTrue(corrupt.hasPrefix("cannot load PRM checkpoint \(dir)/corrupt: "), corrupt)
        XCTAssertTrue(corrupt.contains("model.safetensors"), corrupt)
        // Config that does not match the weights.
        try FileManager.default.copyItem(atPath: dir + "/ok", toPath: dir + "/wrong-config")
        let cfgPath = dir + "/wrong-config/config.json"
        let text = try String(contentsOfFile: cfgPath, encoding: .utf8).replacingOccurrences(of: "\"hidden_size\" : 32", with: "\"hidden_size\" : 64")
        try text.write(toFile: cfgPath, atomically: true, encoding: .utf8)
        let wrong = message(dir + "/wrong-config")
        XCTAssertTrue(wrong.contains("model.safetensors") && wrong.contains("shape"), wrong)
        // Hostile sizes (issue 18, item 4): refused before the model is built (hidden_size 1e9
        // used to abort on allocation, num_layers 1e9 to grow memory without end).
        for (name, from, to, words) in [("huge-hidden", "\"hidden_size\" : 32", "\"hidden_size\" : 1000000000", ["hidden_size", "holds"]),
                                        ("huge-layers", "\"num_layers\" : 2", "\"num_layers\" : 1000000000", ["num_layers x"]),
                                        ("huge-ffn", "\"intermediate_size\" : 64", "\"intermediate_size\" : 4611686018427387904", ["more than 2^63"]),
                                        ("negative-eps", #""layer_norm_eps" : [0-9.e+-]+"#, "\"layer_norm_eps\" : -1", ["layer_norm_eps"]),
                                        ("typed", "\"hidden_size\" : 32", "\"hidden_size\" : \"32\"", ["hidden_size"])] {
            try FileManager.default.copyItem(atPath: dir + "/ok", toPath: dir + "/" + name)
            let path = dir + "/" + name + "/config.json"
            let original = try String(contentsOfFile: path, encoding: .utf8)
            let edited = original.replacingOccurrences(of: from, with: to, options: .regularExpression)
            XCTAssertNotEqual(edited, original, "fixture holds \(from): \(original)")
            try edited.write(toFile: path, atomically: true, encoding: .utf8)
            let m = message(dir + "/" + name)
            XCTAssertTrue(m.hasPrefix("cannot load PRM checkpoint \(dir)/\(name): "), m)
            for w in words { XCTAssertTrue(m.contains(w), "\(name): mentions '\(w)': \(m)") }
        }
        // Not JSON.
        try FileManager.default.copyItem(atPath: dir + "/ok", toPath: dir + "/bad-json")
        try "{".write(toFile: dir + "/bad-json/config.json", atomically: true, encoding: .utf8)
        XCTAssertTrue(message(dir + "/bad-json").contains("config.json"), message(dir + "/bad-json"))
    }

    /// `label_inputs`: a placeholder PRM templates a training instance as scoring does; the
    /// setting survives JSON, and configs without the key are teacher-forced (`.labels`).
    func testLabelInputsSetting() throws {
        var config = try PRMConfig.preset("tiny")
        XCTAssertEqual(config.labelInputs, .labels)
        config.labelInputs = .placeholder
        let prm = ProcessRewardModel(config: config, tokenizer: PRMFixture.tokenizer, seed: 1)
        let instance = try XCTUnwrap(PRMFixture.benchmark.train.first { $0.labels.contains(0) })
        let training = prm.template(instance)
        XCTAssertEqual(training.tokens, prm.template(question: instance.question, steps: instance.steps, systemPrompt: instance.systemPrompt).tokens)
        XCTAssertEqual(training.labels, instance.labels)
        XCTAssertNotEqual(PRMFixture.tinyPRM().template(instance).tokens, training.tokens)
        let decoded = try JSONDecoder().decode(PRMConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(decoded.labelInputs, .placeholder)
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as! [String: Any]
        XCTAssertEqual(old["label_inputs"] as? String, "placeholder")
        old.removeValue(forKey: "label_inputs")
        XCTAssertEqual(try JSONDecoder().decode(PRMConfig.self, from: JSONSerialization.data(withJSONObject: old)).labelInputs, .labels)
    }
}
