import XCTest
import Tensors
import Autodiff
import PRM
@testable import Reweight

/// The order of operations per iteration and the counting rules of the reference engine.
final class EngineOrderTests: XCTestCase {
    func makeEngine(_ q: Quadratic, _ configure: (inout BilevelConfig) -> Void) throws -> (BilevelEngine<Float, Float>, [String]) {
        var config = BilevelConfig()
        config.saveEvery = 0
        configure(&config)
        let lowerOpt = TestSGD([q.theta], lr: 0.05), upperOpt = TestSGD([q.lambda], lr: 0.01)
        let engine = try BilevelEngine(
            config: config,
            lower: Level(parameters: [q.theta], optimizer: lowerOpt, scheduler: TestHalving(lowerOpt, every: 3)),
            upper: Level(parameters: [q.lambda], optimizer: upperOpt, scheduler: TestHalving(upperOpt, every: 3)),
            lowerData: BatchLoader([1, 2, 3, 4, 5], batchSize: 2, seed: 1),
            upperData: BatchLoader([1, 2], batchSize: 1, seed: 2),
            lowerLoss: q.lowerLoss, upperLoss: q.upperLoss)
        return (engine, [])
    }

    func record(_ engine: BilevelEngine<Float, Float>, iterations: Int) throws -> [String] {
        var events: [String] = []
        engine.hooks.trace = { events.append($0) }
        for _ in 0..<iterations { try engine.runIteration() }
        return events
    }

    func testUnrollOneAccumulationOneOrder() throws {
        let (engine, _) = try makeEngine(Quadratic(seed: 1)) { $0.iterations = 1 }
        XCTAssertEqual(try record(engine, iterations: 1), [
            "lower fwd/bwd", "lower opt step", "lower sched", "meta fwd",
            "lower fwd at theta+eps*v", "lower fwd at theta-eps*v", "upper opt step", "upper sched",
        ])
    }

    func testUnrollAndAccumulationCounting() throws {
        let (engine, _) = try makeEngine(Quadratic(seed: 1)) { $0.unrollSteps = 2; $0.gradientAccumulation = 2 }
        let events = try record(engine, iterations: 8)
        XCTAssertEqual(events.filter { $0 == "lower fwd/bwd" }.count, 8)
        XCTAssertEqual(events.filter { $0 == "lower opt step" }.count, 4, "optimizer steps every 2 micro-steps")
        XCTAssertEqual(events.filter { $0 == "lower sched" }.count, 8, "scheduler steps every micro-step")
        XCTAssertEqual(events.filter { $0 == "meta fwd" }.count, 2, "upper every unroll*accumulation = 4 micro-steps")
        // The upper step comes right after the 4th micro-step's scheduler step.
        let firstMeta = events.firstIndex(of: "meta fwd")!
        XCTAssertEqual(events[..<firstMeta].filter { $0 == "lower fwd/bwd" }.count, 4)
    }

    func testRollbackRestoresThenRetakesOneStep() throws {
        let (engine, _) = try makeEngine(Quadratic(seed: 1)) { $0.rollback = true; $0.unrollSteps = 2 }
        let events = try record(engine, iterations: 2)
        XCTAssertEqual(events, [
            "save lower state", "lower fwd/bwd", "lower opt step",
            "lower fwd/bwd", "lower opt step", "meta fwd",
            "lower fwd at theta+eps*v", "lower fwd at theta-eps*v", "upper opt step", "upper sched",
            "restore lower state", "lower fwd/bwd", "lower opt step", "lower sched",
        ])
    }

    func testLowerOnlyNeverTouchesWeights() throws {
        let q = Quadratic(seed: 2)
        let before = q.lambda.value.toArray()
        let (engine, _) = try makeEngine(q) { $0.lowerOnly = true; $0.iterations = 5 }
        try engine.run()
        XCTAssertEqual(q.lambda.value.toArray(), before)
        XCTAssertEqual(engine.iteration, 5)
    }

    func testResumeContinuesExactly() throws {
        // Uninterrupted run of 9 iterations.
        let full = Quadratic(seed: 9)
        let (engineA, _) = try makeEngine(full) { $0.iterations = 9 }
        try engineA.run()
        // The same run stopped after 4, saved, rebuilt from scratch and resumed.
        let first = Quadratic(seed: 9)
        let (engineB, _) = try makeEngine(first) { $0.iterations = 4 }
        try engineB.run()
        let savedTheta = first.theta.value.copy(), savedLambda = first.lambda.value.copy()
        let lowerState = engineB.lower.optimizer.stateSnapshot(), upperState = engineB.upper.optimizer.stateSnapshot()
        let counters = engineB.counters
        let second = Quadratic(seed: 9)
        second.theta.value = savedTheta
        second.lambda.value = savedLambda
        let (engineC, _) = try makeEngine(second) { $0.iterations = 9 }
        try engineC.lower.optimizer.restoreState(lowerState)
        try engineC.upper.optimizer.restoreState(upperState)
        try engineC.restoreCounters(counters)
        try engineC.run()
        // Exact: the resumed run does the same operations on the same values and shapes, in the
        // same order, as iterations 5-9 of the uninterrupted one.
        XCTAssertEqual(second.theta.value.toArray(), full.theta.value.toArray())
        XCTAssertEqual(second.lambda.value.toArray(), full.lambda.value.toArray())
    }

    func testInvalidConfigurationNamesTheFlag() {
        var config = BilevelConfig()
        config.unrollSteps = 0
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("unroll_steps")) }
    }

    func testStopHookInterruptsAtSafePoint() throws {
        let (engine, _) = try makeEngine(Quadratic(seed: 1)) { $0.iterations = 10 }
        engine.hooks.shouldStop = { engine.iteration >= 3 }
        XCTAssertThrowsError(try engine.run()) { XCTAssertTrue("\($0)".contains("interrupted at iteration 3")) }
    }
}
