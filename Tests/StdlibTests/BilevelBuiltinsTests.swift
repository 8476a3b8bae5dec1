import XCTest
import Lang
import Tensors
import Autodiff
import NN
import PRM
import Reweight
@testable import Stdlib

/// A bi-level loop written in .dprm gives the same numbers as the native engine on the same
/// problem, data order and seed.
final class BilevelBuiltinsTests: XCTestCase {
    static let script = """
    let w = param(tensor([0.5, -1.0, 2.0]))
    let lam = param(tensor([1.0, 0.0, -0.5]))
    let target = tensor([2.0, 1.0, 0.0])
    fn lower_loss(batch) {
      let d = w - lam
      (d * d).sum() * (sum(batch) / len(batch))
    }
    fn upper_loss(batch) {
      let d = w - target
      (d * d).sum()
    }
    let eng = bilevel(
      lower: {params: [w], optimizer: sgd([w], lr: 0.05, momentum: 0.9), loss: lower_loss},
      upper: {params: [lam], optimizer: adamw([lam], lr: 0.01), loss: upper_loss},
      lower_data: [1, 2, 3, 4, 5], upper_data: [1, 2], batch_size: 2, seed: 4,
      iteration_num: 6, unroll_steps: 2, gradiant_clipping: 5)
    eng.run()
    """

    func testHandWrittenLoopMatchesTheNativeEngine() throws {
        let interpreter = Stdlib.makeInterpreter(options: Interpreter.Options(output: { _ in }))
        _ = try interpreter.evaluate(Self.script, name: "bilevel.dprm")
        func tensorGlobal(_ name: String) throws -> [Float] {
            guard case .native(let t as TensorValue)? = interpreter.global(name) else { throw XCTSkip("no tensor \(name)") }
            return t.variable.value.toArray()
        }
        guard case .native(let engineValue as EngineValue)? = interpreter.global("eng") else { return XCTFail("no engine") }

        // The same problem, built in Swift.
        let w = Variable(Tensor([0.5, -1.0, 2.0]), requiresGrad: true)
        let lam = Variable(Tensor([1.0, 0.0, -0.5]), requiresGrad: true)
        let target = Variable(Tensor([2.0, 1.0, 0.0]))
        var config = BilevelConfig()
        config.iterations = 6
        config.unrollSteps = 2
        config.lowerClipping = 5
        config.upperClipping = 5
        config.saveEvery = 0
        var metas: [Float] = []
        let engine = try BilevelEngine(
            config: config,
            lower: Level(parameters: [w], optimizer: OptimizerLevel(SGD(parameters: [w], lr: 0.05, momentum: 0.9))),
            upper: Level(parameters: [lam], optimizer: OptimizerLevel(AdamW([("0", lam)], lr: 0.01))),
            lowerData: BatchLoader([1.0, 2, 3, 4, 5], batchSize: 2, seed: 4),
            upperData: BatchLoader([1.0, 2], batchSize: 1, seed: 5),
            lowerLoss: { batch in let d = w - lam; return (d * d).sum() * Float(batch.reduce(0, +) / Double(batch.count)) },
            upperLoss: { _ in let d = w - target; return (d * d).sum() })
        engine.hooks.afterUpperStep = { _, m in metas.append(m) }
        try engine.run()

        // Exact: both sides run the same Tensor/Autodiff operations, in the same order, on the same
        // 3-element vectors (no BLAS), so any difference is a difference in what they compute.
        XCTAssertEqual(try tensorGlobal("w"), w.value.toArray())
        XCTAssertEqual(try tensorGlobal("lam"), lam.value.toArray())
        XCTAssertEqual(engineValue.records.compactMap(\.meta), metas)
        XCTAssertEqual(metas.count, 3, "unroll 2 over 6 micro-steps")
        XCTAssertNotEqual(lam.value.toArray(), [1.0, 0.0, -0.5], "the upper level moved")
    }

    func testTraceFollowsTheReferenceOrder() throws {
        let interpreter = Stdlib.makeInterpreter(options: Interpreter.Options(output: { _ in }))
        _ = try interpreter.evaluate(Self.script.replacingOccurrences(of: "unroll_steps: 2", with: "unroll_steps: 1")
            .replacingOccurrences(of: "iteration_num: 6", with: "iteration_num: 1"), name: "bilevel.dprm")
        let trace = try interpreter.evaluate("eng.trace", name: "t")
        XCTAssertEqual(trace.description, #"["lower fwd/bwd", "lower opt step", "lower sched", "meta fwd", "lower fwd at theta+eps*v", "lower fwd at theta-eps*v", "upper opt step", "upper sched"]"#)
    }

    func testAnErrorInsideALossIsReportedWithItsLine() {
        let interpreter = Stdlib.makeInterpreter(options: Interpreter.Options(output: { _ in }))
        let bad = Self.script.replacingOccurrences(of: "(d * d).sum() * (sum(batch) / len(batch))", with: "(d * d).sum() * undefined_thing")
        XCTAssertThrowsError(try interpreter.evaluate(bad, name: "bilevel.dprm")) { error in
            let text = (error as? DprmError)?.render() ?? "\(error)"
            XCTAssertTrue(text.contains("undefined_thing"), text)
            XCTAssertTrue(text.contains("bilevel.dprm:6"), text)
        }
    }
}
