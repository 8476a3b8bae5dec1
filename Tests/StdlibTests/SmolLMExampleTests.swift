import XCTest
import Foundation
import Lang
@testable import Stdlib

/// examples/smollm_prm.dprm end to end on the tiny random llama instead of SmolLM2 (the same code
/// path: load_model of a llama folder, prm_new with trainable_layers and the cache, cold start,
/// best-of-2 on PRMBench pairs, step AUROC on BIG-Bench-Mistake traces, results.json), on one
/// error kind and one task. The tiny model's config is copied with 4096 positions (rotary
/// embeddings take any length; its 128 would truncate every PRMBench conversation).
final class SmolLMExampleTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testExampleRunsOnATinyLlama() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-smollm-example-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let model = try tinyLlamaWithLongContext(in: tmp, repo: Self.repo)
        var printed = ""
        let interpreter = Stdlib.makeInterpreter(options: Interpreter.Options(searchPaths: [], output: { printed += $0 }))
        let args: [(String, Value)] = [
            ("out", .string(tmp + "/out")), ("model", .string(model)), ("max_length", .number(1024)), ("steps", .number(2)),
            ("trainable_layers", .number(1)), ("kinds", .number(1)), ("tasks", .number(1)), ("per_file", .number(1)),
            ("pairs", .number(1)), ("bbm_train", .number(1)), ("bbm_test", .number(1)), ("progress", .bool(false)),
        ]
        interpreter.setGlobal("args", .dict(DictRef(args)))
        do {
            _ = try interpreter.run(file: Self.repo.appendingPathComponent("examples/smollm_prm.dprm").path)
        } catch let e as DprmError {
            return XCTFail("smollm_prm.dprm failed:\n\(e.render())\noutput:\n\(printed)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: tmp + "/out/results.json"))
        let r = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(r["steps"] as? Double, 2)
        XCTAssertEqual(r["trainable_layers"] as? Double, 1)
        XCTAssertEqual(r["test_pairs"] as? Double, 1)
        XCTAssertEqual(r["bbm_test_traces"] as? Double, 1)
        XCTAssertGreaterThan(r["bbm_test_steps"] as? Double ?? 0, 0)
        for key in ["untrained", "trained"] {
            let m = try XCTUnwrap(r[key] as? [String: Double], key)
            for metric in ["best_of_2", "pair_auroc", "bbm_step_auroc"] {
                XCTAssertTrue((0...1).contains(m[metric] ?? -1), "\(key).\(metric) = \(String(describing: m[metric]))")
            }
        }
    }
}
