import XCTest
import Foundation
import Lang
@testable import Stdlib

/// examples/reweight_real.dprm end to end on the tiny random llama instead of SmolLM2 (the same
/// code path: load_model of a llama folder, prm_new with trainable_layers and the cache, the
/// PRMBench and BIG-Bench-Mistake sets, mc_corrupt, as_meta, a cold start, every continuation of
/// the comparison and results.json), on two error kinds and two tasks with a few steps. The tiny
/// model's config is copied with 4096 positions (its 128 would truncate every conversation).
final class ReweightRealExampleTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testExampleRunsOnATinyLlama() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-reweight-real-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let model = try tinyLlamaWithLongContext(in: tmp, repo: Self.repo)
        var printed = ""
        let interpreter = Stdlib.makeInterpreter(options: Interpreter.Options(searchPaths: [], output: { printed += $0 }))
        let args: [(String, Value)] = [
            ("out", .string(tmp + "/out")), ("model", .string(model)), ("max_length", .number(1024)), ("trainable_layers", .number(1)),
            ("kinds", .number(2)), ("tasks", .number(2)), ("cold_per_file", .number(1)), ("cold_bbm", .number(1)),
            ("per_file", .number(2)), ("bbm_train", .number(2)), ("meta_per_file", .number(1)), ("pairs", .number(1)),
            ("bbm_test", .number(2)), ("coldstart_steps", .number(2)), ("reweight_steps", .number(3)), ("batch_size", .number(2)),
            ("noise", .number(0.5)), ("progress", .bool(false)),
        ]
        interpreter.setGlobal("args", .dict(DictRef(args)))
        do {
            _ = try interpreter.run(file: Self.repo.appendingPathComponent("examples/reweight_real.dprm").path)
        } catch let e as DprmError {
            return XCTFail("reweight_real.dprm failed:\n\(e.render())\noutput:\n\(printed)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: tmp + "/out/results.json"))
        let r = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let sizes = try XCTUnwrap(r["sizes"] as? [String: Double])
        // 2 kinds x 1 record x 2 instances + 2 tasks x 1 trace; pool 2 x 2 x 2 + 2 x 2; meta 2 x 1 x 2.
        XCTAssertEqual(sizes["coldstart"], 6)
        XCTAssertEqual(sizes["pool"], 12)
        XCTAssertEqual(sizes["meta"], 4)
        XCTAssertEqual(sizes["test_pairs"], 2)
        XCTAssertEqual(sizes["bbm_test_traces"], 4)
        let seeds = try XCTUnwrap(r["per_seed"] as? [[String: Any]])
        XCTAssertEqual(seeds.count, 1)
        let seed = seeds[0]
        // A 0.5 share of the 12 pool instances is chosen; some draws cannot change a correct solution.
        let counts = try XCTUnwrap(seed["corruption_counts"] as? [String: Double])
        XCTAssertEqual(counts.values.reduce(0, +), 12)
        XCTAssertEqual(12 - (counts["none"] ?? 0), seed["corrupted"] as? Double)
        XCTAssertGreaterThanOrEqual(counts["none"] ?? 0, 6)
        XCTAssertEqual(seed["visits_per_instance"] as? Double ?? 0, 3.0 * 2 / 12, accuracy: 1e-9)
        let cold = try XCTUnwrap(seed["coldstart"] as? [String: Any])
        XCTAssertTrue((0...1).contains(cold["best_of_2"] as? Double ?? -1))
        let methods = try XCTUnwrap(seed["methods"] as? [String: [String: Any]])
        XCTAssertEqual(Set(methods.keys), ["vanilla", "instance_table", "instance_net", "domain_table", "oracle_drop"])
        for (name, m) in methods {
            XCTAssertTrue((0...1).contains(m["best_of_2"] as? Double ?? -1), "\(name).best_of_2")
            if ["instance_table", "instance_net", "domain_table"].contains(name), (seed["corrupted"] as? Double ?? 0) > 0 {
                XCTAssertTrue((0...1).contains(m["weight_auroc"] as? Double ?? -1), "\(name).weight_auroc")
            }
        }
        let mean = try XCTUnwrap(r["mean"] as? [String: [String: Any]])
        XCTAssertEqual(mean["vanilla"]?["best_of_2"] as? Double, methods["vanilla"]?["best_of_2"] as? Double)
        XCTAssertNotNil((r["cpu_seconds"] as? [String: Any])?["total"])
    }
}
