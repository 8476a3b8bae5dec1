import XCTest
import Foundation
import Lang
@testable import Stdlib

/// Every example notebook runs end to end with a tiny preset and writes its results.json.
/// (examples/plots.dprm is run by PlotBuiltinsTests; examples/pretrained_prm.dprm by its own test.)
final class ExampleTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Settings that make every pipeline example run in seconds.
    static let tiny: [(String, Value)] = [
        ("preset", .string("tiny")), ("steps", .number(3)), ("coldstart_steps", .number(3)), ("reweight_steps", .number(2)),
        ("batch_size", .number(2)), ("meta_batch_size", .number(2)), ("train_size", .number(16)),
        ("coldstart_size", .number(16)),
        ("meta", .number(4)), ("test", .number(4)), ("progress", .bool(false)),
    ]

    /// Runs `examples/<name>.dprm` with `args` writing to `out`; a failure carries what it printed.
    func interpret(_ name: String, _ extra: [(String, Value)], out: String) throws {
        var printed = ""
        // The embedded standard library, as an installed binary has it (no search path).
        let interpreter = Stdlib.makeInterpreter(options: Interpreter.Options(searchPaths: [], output: { printed += $0 }))
        interpreter.setGlobal("args", .dict(DictRef([("out", .string(out))] + Self.tiny + extra)))
        do {
            _ = try interpreter.run(file: Self.repo.appendingPathComponent("examples/\(name).dprm").path)
        } catch let e as DprmError {
            throw ExampleFailure(message: "\(name).dprm failed:\n\(e.render())\noutput:\n\(printed)")
        }
    }

    struct ExampleFailure: Error { var message: String }

    /// Runs `examples/<name>.dprm` with `args` and returns its results.json.
    func runExample(_ name: String, _ extra: [(String, Value)] = []) throws -> [String: Any] {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-example-\(name)-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        do {
            try interpret(name, extra, out: out)
        } catch let e as ExampleFailure {
            XCTFail(e.message)
            throw e
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], "\(name): results.json is not an object")
    }

    func testColdStartExample() throws {
        let r = try runExample("coldstart")
        XCTAssertEqual(r["steps"] as? Double, 3)
        XCTAssertEqual(r["preset"] as? String, "tiny")
        XCTAssertNotNil(r["final_loss"] as? Double)
    }

    func testBestOfNExample() throws {
        let r = try runExample("bestofn")
        let accuracy = try XCTUnwrap(r["accuracy"] as? [String: Double])
        XCTAssertEqual(Set(accuracy.keys), ["mean", "min", "max", "log_mean", "prod", "last"])
        let baselines = try XCTUnwrap(r["baselines"] as? [String: Double])
        XCTAssertGreaterThanOrEqual(baselines["oracle"]!, baselines["first"]!)
    }

    func testInstanceTableAndNetExamples() throws {
        for (name, key) in [("instance_table", "instance_table"), ("instance_net", "instance_net")] {
            let r = try runExample(name)
            XCTAssertNotNil(r[key] as? Double, name)
            XCTAssertNotNil(r["vanilla"] as? Double, name)
            let domains = try XCTUnwrap(r["weights_by_domain"] as? [String: Double], name)
            XCTAssertEqual(Set(domains.keys), ["clean", "mc"], name)
        }
    }

    func testPipelineExample() throws {
        let r = try runExample("pipeline", [("seeds", .number(2))])
        let mean = try XCTUnwrap(r["mean"] as? [String: Double])
        XCTAssertEqual(Set(mean.keys), ["first", "self_consistency", "cold_start", "vanilla", "oracle_drop", "instance_table", "instance_net",
                                        "domain_table", "oracle"])
        let seeds = try XCTUnwrap(r["seeds"] as? [[String: Any]])
        XCTAssertEqual(seeds.count, 2)
        XCTAssertEqual((seeds[1]["benchmark"] as? [String: Any])?["seed"] as? Double, 1)
        XCTAssertEqual((seeds[0]["benchmark"] as? [String: Any])?["noise"] as? Double, 0.5)
        XCTAssertEqual((seeds[0]["domain_weights"] as? [String: Double]).map { Set($0.keys) }, ["clean", "mc"])
        // Issue 17's measurements per seed: the oracle-drop row, how the table's weights tell the
        // corrupted instances from the clean ones, the visits per instance, and every target.
        for seed in seeds {
            let accuracies = try XCTUnwrap(seed["accuracies"] as? [String: Double])
            XCTAssertNotNil(accuracies["oracle_drop"])
            let auroc = try XCTUnwrap(seed["table_weight_auroc"] as? Double)
            XCTAssertTrue((0...1).contains(auroc))
            XCTAssertNotNil(seed["table_weight_clean"] as? Double)
            XCTAssertNotNil(seed["table_weight_corrupted"] as? Double)
            // 2 steps of batch 2 over 16 instances.
            XCTAssertEqual(try XCTUnwrap(seed["visits_per_instance"] as? Double), 0.25, accuracy: 1e-12)
        }
        let targets = try XCTUnwrap(r["targets"] as? [[String: Bool]])
        XCTAssertEqual(targets.count, 2)
        XCTAssertEqual(Set(targets[0].keys), ["visits_at_least_15", "vanilla_above_first", "oracle_drop_8_above_vanilla",
                                              "table_3_above_vanilla", "table_at_least_self_consistency",
                                              "corrupted_weight_below_half_clean", "table_weight_auroc_at_least_075", "net_above_vanilla"])
        XCTAssertEqual(targets[0]["visits_at_least_15"], false)
        // The meta loss is a setting the pipeline passes on to every reweighting run.
        // So are the step-label meta losses (the benchmark's meta set has step labels), and the
        // benchmark's label noise reaches the data.
        let ranked = try runExample("pipeline", [("loss_target", .string("step_rank")), ("meta_aggregation", .string("min")),
                                                 ("noise", .number(1))])
        XCTAssertEqual(((ranked["seeds"] as? [[String: Any]])?[0]["benchmark"] as? [String: Any])?["noise"] as? Double, 1)
        let settings = try XCTUnwrap(ranked["settings"] as? [String: Any])
        XCTAssertEqual(settings["loss_target"] as? String, "step_rank")
        XCTAssertEqual(settings["meta_aggregation"] as? String, "min")
        XCTAssertNotNil((ranked["mean"] as? [String: Double])?["instance_table"])
        let refused = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-example-refused-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: refused) }
        XCTAssertThrowsError(try interpret("pipeline", [("loss_target", .string("rank")), ("meta_aggregation", .string("prod"))], out: refused)) {
            XCTAssertTrue(($0 as? ExampleFailure)?.message.contains("loss_target 'rank' needs an aggregation_function") == true, "\($0)")
        }
    }

    /// Issue 17's targets read accuracies as fractions and margins as points: a 3-point gain
    /// from 74.5 (0.745 + 0.03 is not exactly 0.775 in floating point) counts, 2.5 points do not.
    func testRegimeTargetsUsePoints() throws {
        let interpreter = Stdlib.makeInterpreter(options: Interpreter.Options(searchPaths: [], output: { _ in }))
        func targets(_ table: Double, _ net: Double) throws -> [String: Bool] {
            let source = """
            import "dreamprm"
            regime_targets({accuracies: {first: 0.32, self_consistency: 0.47, vanilla: 0.745, oracle_drop: 0.825,
                                         instance_table: \(table), instance_net: \(net)},
                            visits_per_instance: 17.07, table_weight_auroc: 0.75, table_weight_clean: 1.4,
                            table_weight_corrupted: 0.7})
            """
            guard case .dict(let d) = try interpreter.evaluate(source, name: "targets.dprm") else { throw ExampleFailure(message: "not a dict") }
            return Dictionary(uniqueKeysWithValues: d.pairs.map { pair -> (String, Bool) in
                if case .bool(let b) = pair.1 { return (pair.0, b) }
                return (pair.0, false)
            })
        }
        let met = try targets(0.775, 0.75)
        XCTAssertEqual(met, ["visits_at_least_15": true, "vanilla_above_first": true, "oracle_drop_8_above_vanilla": true,
                             "table_3_above_vanilla": true, "table_at_least_self_consistency": true,
                             "corrupted_weight_below_half_clean": false, "table_weight_auroc_at_least_075": true,
                             "net_above_vanilla": true])
        let missed = try targets(0.77, 0.745)
        XCTAssertEqual(missed["table_3_above_vanilla"], false)
        XCTAssertEqual(missed["net_above_vanilla"], false)
    }

    func testNoisyDigitsExample() throws {
        guard let data = ProcessInfo.processInfo.environment["DPRM_SHARED"].map({ $0 + "/data" }) ?? Optional("../shared/data"),
              FileManager.default.fileExists(atPath: data + "/digits/digits.csv.gz") else {
            throw XCTSkip("no shared digits data (set DPRM_SHARED to the folder holding data/digits)")
        }
        let r = try runExample("noisy_digits", [("seeds", .number(1)), ("iterations", .number(30))])
        let runs = try XCTUnwrap(r["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 1)
        XCTAssertEqual(runs[0]["train_count"] as? Double, 1158)
    }
}
