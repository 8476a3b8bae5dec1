import XCTest
import Foundation
import Lang
import Stdlib

/// `load_model`, `prm_new(backbone:)`, `prmbench_pairs` and a short run of
/// examples/pretrained_prm.dprm, on the real MiniLM of the shared folder.
final class PretrainedBuiltinsTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// An interpreter whose shared folder is DPRM_SHARED or ../shared (skips when the model is absent).
    func interpreter() throws -> (Interpreter, () -> String) {
        var shared = Self.repo.deletingLastPathComponent().appendingPathComponent("shared").standardizedFileURL.path
        if let env = ProcessInfo.processInfo.environment["DPRM_SHARED"], !env.isEmpty {
            shared = env.hasSuffix("/data") ? String(env.dropLast(5)) : env
        }
        guard FileManager.default.fileExists(atPath: shared + "/models/minilm-l6-v2/model.safetensors"),
              FileManager.default.fileExists(atPath: shared + "/data/prmbench") else {
            throw XCTSkip("shared model/data not found under \(shared) (set DPRM_SHARED to the shared folder)")
        }
        setenv("DPRM_SHARED", shared, 1)
        var output = ""
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { output += $0 }))
        return (interp, { output })
    }

    func testLoadModelShapes() throws {
        let (interp, _) = try interpreter()
        XCTAssertEqual(try interp.evaluate("let m = load_model(\"minilm-l6-v2\")\nm.tokenize(\"Hello world\")").description, "[101, 7592, 2088, 102]")
        XCTAssertEqual(try interp.evaluate("m.encode(\"Hello world\").shape").description, "[4, 384]")
        XCTAssertEqual(try interp.evaluate("m.embed([\"a\", \"b c d\", \"e\"]).shape").description, "[3, 384]")
        XCTAssertEqual(try interp.evaluate("m.hidden_size").description, "384")
        XCTAssertEqual(try interp.evaluate("m.max_length").description, "512")
        XCTAssertThrowsError(try interp.evaluate("load_model(\"no-such-model-xyz\")")) { e in
            XCTAssertTrue("\(e)".contains("no-such-model-xyz"), "\(e)")
        }
        // A backbone PRM: scores in (0, 1), one per step; copy and save/prm_load keep the scores
        // (exact `==`: the same weights score the same conversation with the same shapes).
        let scores = try interp.evaluate("let p = prm_new(backbone: m, seed: 0, max_length: 320)\nlet s = p.score(\"1 + 1?\", [\"1 + 1 = 2\", \"So 2.\"])\ns")
        XCTAssertEqual(scores.description.filter { $0 == "," }.count, 1, scores.description)
        let dir = NSTemporaryDirectory() + "dprm-bb-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try interp.evaluate("p.copy().score(\"1 + 1?\", [\"1 + 1 = 2\", \"So 2.\"]) == s").description, "true")
        XCTAssertEqual(try interp.evaluate("p.save(\"\(dir)\")\nprm_load(\"\(dir)\").score(\"1 + 1?\", [\"1 + 1 = 2\", \"So 2.\"]) == s").description, "true")
        XCTAssertEqual(try interp.evaluate("load_model(\"\(dir)\").encode(\"Hello world\").shape").description, "[4, 384]")
    }

    func testPRMBenchPairs() throws {
        let (interp, _) = try interpreter()
        let code = "let pairs = prmbench_pairs(path_join(shared_data(), \"prmbench/prm800k_test_p1_4o_circular.jsonl\"), limit: 20, seed: 1)\n"
            + "[len(pairs), pairs.kind, sum(map(pairs, |r| if r.correct[0] { 1 } else { 0 })), all(map(pairs, |r| len(r.correct) == 2 and r.correct[0] != r.correct[1]))]"
        let v = try interp.evaluate(code).description
        XCTAssertTrue(v.hasPrefix("[20, \"candidates\", ") || v.hasPrefix("[20, candidates, "), v)
        XCTAssertTrue(v.hasSuffix(", true]"), v)
        XCTAssertFalse(v.contains(", 0, ") || v.contains(", 20, true"), "the correct candidate is not always on one side: \(v)")
    }

    func testExampleRunsAndWritesResults() throws {
        let (interp, output) = try interpreter()
        let out = NSTemporaryDirectory() + "dprm-pretrained-example-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        interp.setGlobal("args", .dict(DictRef([("out", .string(out)), ("steps", .number(2)), ("batch_size", .number(2)),
                                                ("per_file", .number(1)), ("pairs", .number(1)), ("max_length", .number(96)),
                                                ("progress", .bool(false))])))
        try interp.run(file: Self.repo.appendingPathComponent("examples/pretrained_prm.dprm").path)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as? [String: Any]
        let results = try XCTUnwrap(json, output())
        XCTAssertEqual(results["steps"] as? Int, 2)
        XCTAssertEqual(results["test_pairs"] as? Int, 8)
        for key in ["model", "max_length", "aggregation", "batch_size", "lr", "train_instances", "untrained", "trained", "first",
                    "loss_first", "loss_last", "seconds"] {
            XCTAssertNotNil(results[key], "results.json lacks \(key)")
        }
        let trained = try XCTUnwrap(results["trained"] as? [String: Any])
        let accuracy = try XCTUnwrap(trained["accuracy"] as? Double)
        XCTAssertTrue(accuracy >= 0 && accuracy <= 1)
    }
}
