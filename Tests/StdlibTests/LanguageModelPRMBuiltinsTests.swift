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
}
