import XCTest
import Foundation
import Lang
import PRM
import NN
import Tensors
@testable import Stdlib

/// Ctrl-C during a long builtin stops it at the next safe point, keeps what was done in a
/// checkpoint marked as interrupted (never `checkpoint-final`), and ends the script as interrupted.
final class InterruptTests: XCTestCase {
    func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dprm-interrupt-\(getpid())-\(UUID().uuidString)").path
    }

    /// Runs `source` and presses Ctrl-C (`requestInterrupt`) `after` seconds into it.
    func runInterrupted(_ interpreter: Interpreter, _ source: String, after: Double) -> Error? {
        DispatchQueue.global().asyncAfter(deadline: .now() + after) { interpreter.requestInterrupt() }
        do { _ = try interpreter.evaluate(source, name: "interrupt.dprm"); return nil } catch { return error }
    }

    func testColdStartStopsAndMarksItsCheckpoint() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let interpreter = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        _ = try interpreter.evaluate("""
        let b = benchmark(seed: 1, train_size: 64, coldstart_size: 0, meta: 2, test: 2)
        let prm = prm_new(preset: "tiny", corpus: [b.train])
        """, name: "setup.dprm")
        // 100000 steps take minutes; the interrupt comes after half a second.
        let error = runInterrupted(interpreter, "let cs = coldstart(prm, b.train, iterations: 100000, batch_size: 2, out: \"\(out)\", progress: false)\nlet after = 1", after: 0.5)
        XCTAssertEqual((error as? DprmError)?.kind, .interrupt, "\(String(describing: error))")
        XCTAssertNil(interpreter.global("after"), "the script went on after the interrupted builtin")
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        XCTAssertFalse(names.contains("checkpoint-final"), "\(names)")
        XCTAssertTrue(names.contains { $0.hasPrefix("checkpoint-") && $0.hasSuffix("-interrupted") }, "\(names)")
        XCTAssertFalse(interpreter.interruptRequested, "the request is honoured once")
    }

    func testBestOfNStopsWhenAsked() throws {
        let interpreter = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        _ = try interpreter.evaluate("""
        let b = benchmark(seed: 1, train_size: 8, coldstart_size: 0, meta: 2, test: 3)
        let prm = prm_new(preset: "tiny", corpus: [b.train, b.test])
        """, name: "setup.dprm")
        guard case .native(let p as PRMValue) = try interpreter.evaluate("prm"),
              case .native(let d as DatasetValue) = try interpreter.evaluate("b.test"),
              case .candidates(let sets) = d.content else { return XCTFail("setup") }
        XCTAssertNil(bestOfN(p.prm, sets: sets, aggregation: .mean, shouldStop: { true }))
        XCTAssertNotNil(bestOfN(p.prm, sets: sets, aggregation: .mean, shouldStop: { false }))
    }
}

/// A diverged run (NaN or infinite loss) stops with an error naming the step and leaves its
/// earlier checkpoints as they were; a NaN PRM is refused by best_of_n.
final class DivergenceTests: XCTestCase {
    /// A checkpoint holding NaN weights (a diverged run saved by hand) loads with a warning naming
    /// the file and the tensors (issue 18, item 2): it used to load silently and score NaN.
    func testPRMLoadWarnsAboutNonFiniteWeights() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-nan-load-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        final class Printed: @unchecked Sendable { var text = "" }
        let printedBox = Printed()
        let interpreter = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { printedBox.text += $0 }))
        _ = try interpreter.evaluate("""
        let b = benchmark(seed: 1, train_size: 8, meta: 2, test: 2)
        prm_new(preset: "tiny", corpus: [b.train, b.test]).save("\(out)")
        prm_load("\(out)")
        """, name: "setup.dprm")
        XCTAssertFalse(printedBox.text.contains("warning"), printedBox.text)
        let weights = out + "/model.safetensors"
        var tensors = try SafetensorsFile(path: weights).allTensors()
        let name = try XCTUnwrap(tensors.keys.sorted().first)
        var values = tensors[name]!.toArray()
        values[0] = .nan; values[values.count - 1] = .infinity
        tensors[name] = Tensor(shape: tensors[name]!.shape, scalars: values)
        try Safetensors.write(tensors, to: weights)
        _ = try interpreter.evaluate("prm_load(\"\(out)\")", name: "load.dprm")
        XCTAssertTrue(printedBox.text.contains("warning: \(out): 2 weights are NaN or infinite, in 1 tensors: \(name) (2); its scores will be NaN"), printedBox.text)
    }

    /// `on_nonfinite: "rollback"` from the language (issue 18, item 2): the lr 1e6 cold
    /// start rolls back with a warning per rollback, finishes, and its PRM scores finitely; a
    /// .dprm bi-level problem whose lower rate is too large does the same; a bad value is named.
    func testRollbackFromTheLanguage() throws {
        final class Printed: @unchecked Sendable { var text = "" }
        let printed = Printed()
        let interpreter = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { printed.text += $0 }))
        func holds(_ condition: String) throws -> Bool {
            if case .bool(true) = try interpreter.evaluate(condition) { return true }
            return false
        }
        _ = try interpreter.evaluate("""
        let b = benchmark(seed: 1, train_size: 32, coldstart_size: 0, meta: 2, test: 3)
        let prm = prm_new(preset: "tiny", corpus: [b.train, b.test])
        let cs = coldstart(prm, b.train, lr: 1e6, gradient_clipping: 0, iterations: 20, batch_size: 4, scheduler: "constant", warmup: 0, progress: false, on_nonfinite: "rollback", max_rollbacks: 10)
        let r = best_of_n(prm, b.test)
        """, name: "rollback.dprm")
        guard case .list(let rollbacks) = try interpreter.evaluate("cs.rollbacks") else { return XCTFail("rollbacks") }
        XCTAssertFalse(rollbacks.items.isEmpty)
        XCTAssertEqual(printed.text.components(separatedBy: "warning: coldstart: ").count - 1, rollbacks.items.count, printed.text)
        XCTAssertTrue(printed.text.contains("rolled back to the state after step "), printed.text)
        XCTAssertTrue(try holds("cs.steps == 20"))
        XCTAssertTrue(try holds("cs.history.lr[19] < 1e6 * cs.rollbacks[0].rate_scale * 1.000001"))
        XCTAssertTrue(try holds("r.accuracy >= 0"))

        // At lr 3e19 the first lower step sends w to -1.2e20, where the meta loss overflows.
        _ = try interpreter.evaluate("""
        let w = param(tensor([3.0]))
        let lam = param(tensor([1.0]))
        let eng = bilevel(
          lower: {params: [w], optimizer: sgd([w], lr: 3e19), loss: fn (batch) { ((w - lam) ** 2).sum() }},
          upper: {params: [lam], optimizer: sgd([lam], lr: 0.01), loss: fn (batch) { ((w - 2) ** 2).sum() }},
          lower_data: [1, 2], upper_data: [1], iterations: 30, on_nonfinite: "rollback", rollback_factor: 1e-10, max_rollbacks: 5)
        eng.run()
        """, name: "bilevel.dprm")
        XCTAssertTrue(try holds("len(eng.rollbacks) > 0"), printed.text)
        XCTAssertTrue(try holds("eng.iteration == 30"))
        XCTAssertTrue(try holds("eng.history.iteration == list(1..31)"))
        XCTAssertTrue(try holds("is_finite(w.item())"))
        XCTAssertTrue(printed.text.contains("warning: bilevel: "), printed.text)

        XCTAssertThrowsError(try interpreter.evaluate("coldstart(prm, b.train, iterations: 1, on_nonfinite: \"ignore\")")) { e in
            let text = (e as? DprmError)?.render() ?? "\(e)"
            XCTAssertTrue(text.contains("on_nonfinite must be \"stop\" or \"rollback\", got \"ignore\""), text)
        }
    }

    func testColdStartStopsOnANonFiniteLossAndKeepsItsCheckpoints() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-diverge-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let interpreter = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        _ = try interpreter.evaluate("""
        let b = benchmark(seed: 1, train_size: 32, coldstart_size: 0, meta: 2, test: 3)
        let prm = prm_new(preset: "tiny", corpus: [b.train, b.test])
        """, name: "setup.dprm")
        // lr 1e6 without clipping blows the weights up within a few steps.
        XCTAssertThrowsError(try interpreter.evaluate("coldstart(prm, b.train, lr: 1e6, gradient_clipping: 0, iterations: 40, batch_size: 4, scheduler: \"constant\", save_every: 1, out: \"\(out)\", progress: false)", name: "diverge.dprm")) { error in
            let text = (error as? DprmError)?.render() ?? "\(error)"
            XCTAssertTrue(text.contains("training diverged") && text.contains("at step "), text)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        XCTAssertFalse(names.contains("checkpoint-final"), "\(names)")
        // Every checkpoint that was written holds finite weights.
        for name in names where name.hasPrefix("checkpoint-") {
            let loaded = try ProcessRewardModel.load(from: out + "/" + name)
            XCTAssertTrue(loaded.parameters.allSatisfy { $0.value.toArray().allSatisfy(\.isFinite) }, name)
        }
        // The in-memory PRM diverged; when its weights are not finite, best_of_n refuses it.
        guard case .native(let p as PRMValue) = try interpreter.evaluate("prm") else { return XCTFail("prm") }
        if p.prm.parameters.allSatisfy({ $0.value.toArray().allSatisfy(\.isFinite) }) { return }
        XCTAssertThrowsError(try interpreter.evaluate("best_of_n(prm, b.test)", name: "score.dprm")) { error in
            let text = (error as? DprmError)?.render() ?? "\(error)"
            XCTAssertTrue(text.contains("not finite"), text)
        }
    }
}
