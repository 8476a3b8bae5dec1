import XCTest
import Foundation
import Lang
import Stdlib

/// `prm_new(backbone: load_model(...))` with a llama-family language model, on the tiny random
/// llama of Tests/NNTests/Fixtures/llama, against the transformers scores of
/// Tests/PRMTests/Fixtures/llm/scores.json (scripts/make_llm_prm_fixtures.py).
final class LanguageModelPRMBuiltinsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testPRMOnTheTinyLlamaScoresAsTransformers() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("Tests/PRMTests/Fixtures/llm/scores.json"))
        let ref = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["tiny-llama"] as! [[String: Any]]
        let c = ref[1]
        let steps = (c["steps"] as! [String]).map { "\"\($0)\"" }.joined(separator: ", ")
        let expected = (c["p_plus"] as! [NSNumber]).map(\.doubleValue)
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        for path in ["Tests/NNTests/Fixtures/llama/tiny-llama", "Tests/NNTests/Fixtures/llama/tiny-llama.gguf"] {
            _ = try interp.evaluate("let p = prm_new(backbone: load_model(\"\(Self.root.path)/\(path)\"))")
            XCTAssertTrue(try interp.evaluate("p").description.contains("llama language model"), path)
            let scores = try interp.evaluate("p.score(\"\(c["question"] as! String)\", [\(steps)], system_prompt: \"\(c["system"] as! String)\")")
            guard case .list(let l) = scores else { return XCTFail("score gave \(scores)") }
            XCTAssertEqual(l.items.count, expected.count)
            // Within 1e-3 relative: float32 on both sides with different summation orders.
            for (v, e) in zip(l.items, expected) { XCTAssertEqual(v.asNumber ?? -1, e, accuracy: 1e-3 * e, path) }
        }
    }

    func testTrainableLayersErrorsNameTheProblem() throws {
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        let model = Self.root.path + "/Tests/NNTests/Fixtures/llama/tiny-llama"
        func message(_ code: String) -> String {
            do { _ = try interp.evaluate(code); return "no error" } catch let e as DprmError { return e.render() } catch { return "\(error)" }
        }
        XCTAssertTrue(message("prm_new(backbone: load_model(\"\(model)\"), trainable_layers: 3)").contains("0...2"))
        XCTAssertTrue(message("prm_new(backbone: load_model(\"\(model)\"), trainable_layers: 1, cache_mb: -1)").contains("cache_mb must not be negative"))
        XCTAssertTrue(message("prm_new(preset: \"tiny\", corpus: [benchmark(seed: 1, train_size: 4, meta: 1, test: 1).train], trainable_layers: 1)")
            .contains("trainable_layers needs a language model"))
        XCTAssertTrue(message("prm_new(backbone: load_model(\"\(model)\"), cache_path: \"x.cache\")").contains("cache_path needs trainable_layers"))
        XCTAssertTrue(message("prm_new(backbone: load_model(\"\(model)\"), trainable_layers: 1, cache_path: \"/nonexistent-dprm/x.cache\")")
            .contains("cannot write '/nonexistent-dprm/x.cache'"))
        _ = try interp.evaluate("let p = prm_new(backbone: load_model(\"\(model)\"), trainable_layers: 1)")
        XCTAssertEqual(try interp.evaluate("p.parameter_count > 0").description, "true")
    }

    /// cache_path puts the frozen outputs in a file: scoring and training through it give the
    /// in-memory PRM's scores, and the file is there afterwards (LlamaPRMTrainingTests checks
    /// the file cache's loss, gradients, limit and validation in detail).
    func testCachePathKeepsTheFrozenOutputsInAFile() throws {
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        let model = Self.root.path + "/Tests/NNTests/Fixtures/llama/tiny-llama"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-cache-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try interp.evaluate("let m = load_model(\"\(model)\")")
        _ = try interp.evaluate("let a = prm_new(backbone: m, trainable_layers: 1)")
        _ = try interp.evaluate("let b = prm_new(backbone: m, trainable_layers: 1, cache_mb: 4, cache_path: \"\(dir)/frozen.cache\")")
        // A short system prompt: the reference's would not leave the tiny model's 128 positions room for a step.
        let score = "score(\"What is 2 + 3?\", [\"2 + 3 = 5\", \"So 5\"], system_prompt: \"Check each step.\")"
        // Exact: b's first call computes the frozen rows as a does (same batch, same products) and
        // stores them; its second call reads the same bits back from the file.
        let reference = try interp.evaluate("a.\(score)").description
        XCTAssertTrue(reference.hasPrefix("[0."), reference)   // two scores, not an empty list
        XCTAssertEqual(try interp.evaluate("b.\(score)").description, reference)
        XCTAssertEqual(try interp.evaluate("b.\(score)").description, reference)
        let size = (try FileManager.default.attributesOfItem(atPath: dir + "/frozen.cache")[.size] as? NSNumber)?.intValue ?? 0
        XCTAssertGreaterThan(size, 64, "the file holds a record after the 64-byte header")
    }

    /// lora_rank attaches adapters (LlamaPRMTests and LlamaPRMLoRATests train them): a fresh
    /// adapter's B is zero, so the scores are the plain PRM's exactly; bad uses are named.
    func testLoRARankOnALanguageModelBackbone() throws {
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        let path = "\(Self.root.path)/Tests/NNTests/Fixtures/llama/tiny-llama"
        _ = try interp.evaluate("let m = load_model(\"\(path)\")")
        _ = try interp.evaluate("let plain = prm_new(backbone: m)")
        _ = try interp.evaluate("let adapted = prm_new(backbone: m, lora_rank: 4, lora_alpha: 16, seed: 3)")
        let a = try interp.evaluate("plain.score(\"What is 2 + 3?\", [\"2 + 3 = 5\", \"So 5\"])").description
        let b = try interp.evaluate("adapted.score(\"What is 2 + 3?\", [\"2 + 3 = 5\", \"So 5\"])").description
        XCTAssertEqual(a, b)   // exact: adding the zero low-rank term changes no bit
        XCTAssertThrowsError(try interp.evaluate("prm_new(backbone: m, lora_rank: 0)")) {
            XCTAssertTrue("\($0)".contains("lora_rank"), "\($0)")
        }
        // The adapters are there: rank 4 times (in + out) of every adapted projection more scalars.
        let extra = try interp.evaluate("adapted.parameter_count - plain.parameter_count").asNumber ?? 0
        XCTAssertGreaterThan(extra, 0)
        XCTAssertEqual(extra.truncatingRemainder(dividingBy: 4), 0)
    }
}
