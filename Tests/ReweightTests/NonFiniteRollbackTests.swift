import XCTest
import Foundation
import Tensors
import Autodiff
import PRM
@testable import Reweight

/// Non-finite values in the bi-level engine (issue 18, item 2): the default stops before the
/// weights change; `onNonFinite: .rollback` goes back to the last good state of both levels and
/// lowers the rates of the level at fault.
final class NonFiniteRollbackTests: XCTestCase {
    /// The quadratic problem of the order tests, whose lower loss is NaN at the iterations
    /// `poison` returns true for (asked once per iteration, at its first lower forward).
    final class Poisoned {
        let q = Quadratic(seed: 3)
        var engine: BilevelEngine<Float, Float>!
        var poison: (Int) -> Bool = { _ in false }
        private var asked = Set<Int>()

        /// SGD whose step overflows (sets the parameters to infinity) while its rate is above
        /// `limit`: an upper rate too large for its level.
        final class Overflowing: LevelOptimizer {
            let inner: TestSGD, limit: Float
            init(_ inner: TestSGD, limit: Float) { self.inner = inner; self.limit = limit }
            var learningRate: Float { get { inner.learningRate } set { inner.learningRate = newValue } }
            func step() {
                inner.step()
                if learningRate > limit { for p in inner.parameters { p.value = Tensor.full(p.value.shape, .infinity) } }
            }
            func stateSnapshot() -> [String: Tensor] { inner.stateSnapshot() }
            func restoreState(_ state: [String: Tensor]) throws { try inner.restoreState(state) }
        }

        init(upperLimit: Float? = nil, _ configure: (inout BilevelConfig) -> Void) throws {
            var config = BilevelConfig()
            config.saveEvery = 0
            config.gradientAccumulation = 2
            configure(&config)
            let q = q
            let lowerOpt = TestSGD([q.theta], lr: 0.05)
            let upperOpt: LevelOptimizer = upperLimit.map { Overflowing(TestSGD([q.lambda], lr: 0.02), limit: $0) } ?? TestSGD([q.lambda], lr: 0.02)
            engine = try BilevelEngine(
                config: config,
                lower: Level(parameters: [q.theta], optimizer: lowerOpt, scheduler: TestHalving(lowerOpt, every: 3)),
                upper: Level(parameters: [q.lambda], optimizer: upperOpt, scheduler: TestHalving(upperOpt, every: 4)),
                lowerData: BatchLoader([1, 2, 3, 4, 5], batchSize: 2, seed: 1),
                upperData: BatchLoader([1, 2], batchSize: 1, seed: 2),
                lowerLoss: { [unowned self] batch in
                    let loss = q.lowerLoss(batch)
                    let i = engine.iteration
                    guard !asked.contains(i) else { return loss }
                    asked.insert(i)
                    return poison(i) ? loss * Float.nan : loss
                },
                upperLoss: q.upperLoss)
        }

        var values: [[Float]] { [q.theta.value.toArray(), q.lambda.value.toArray()] }
    }

    /// NaN at iteration 7 (the first micro-step of the window 7-8): the last verified state is
    /// the one before the lower step of iteration 6, i.e. after iteration 4 (accumulation 2).
    /// The run from there at half the rates equals a clean run that halves both rates after
    /// iteration 4.
    func testRollbackEqualsACleanRunWithTheRatesLoweredFromThatPoint() throws {
        let a = try Poisoned { $0.onNonFinite = .rollback(factor: 0.5, maxRollbacks: 3) }
        a.poison = { $0 == 7 }
        var events: [NonFiniteRollback] = []
        a.engine.hooks.afterRollback = { events.append($0) }
        while a.engine.iteration < 12 { try a.engine.runIteration() }
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(events.first?.step, 7)
        XCTAssertEqual(events.first?.restoredTo, 4)
        XCTAssertTrue(events.first?.reason.hasPrefix("the lower loss is") == true, "\(events)")
        XCTAssertEqual(events.first?.rateScale, 0.5)
        XCTAssertEqual(events.first?.upperRateScale, 0.5, "the lower loss depends on both levels: both rates are lowered")
        XCTAssertEqual(a.engine.rollbacks, events)

        let b = try Poisoned { $0.onNonFinite = .rollback(factor: 0.5, maxRollbacks: 3) }
        for _ in 0..<4 { try b.engine.runIteration() }
        b.engine.restoreRateScales(lower: 0.5, upper: 0.5)
        while b.engine.iteration < 12 { try b.engine.runIteration() }
        // Exact: the same operations on the same values in the same order; any state the
        // rollback failed to put back (moments, schedule, batch order, counters) changes them.
        XCTAssertEqual(a.values, b.values)
        XCTAssertEqual(a.engine.counters, b.engine.counters)
        XCTAssertEqual(a.engine.lower.optimizer.learningRate, b.engine.lower.optimizer.learningRate)
    }

    /// The default: the iteration throws `nonFinite` naming it, and the weights are those before it.
    func testStopLeavesTheWeightsOfTheLastStep() throws {
        let p = try Poisoned { _ in }
        p.poison = { $0 == 5 }
        for _ in 0..<4 { try p.engine.runIteration() }
        let before = p.values
        XCTAssertThrowsError(try p.engine.runIteration()) { e in
            guard case BilevelError.nonFinite(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.hasPrefix("the lower loss is") && m.contains("at iteration 5") && m.hasSuffix("the run diverged and stopped"), m)
        }
        XCTAssertEqual(p.values, before)  // exact: nothing was stepped
        XCTAssertTrue(p.engine.rollbacks.isEmpty)
    }

    /// NaN at every iteration from 5 on: the rollbacks run out and the run stops, saying so.
    func testRollbacksAreBounded() throws {
        let p = try Poisoned { $0.onNonFinite = .rollback(factor: 0.5, maxRollbacks: 2) }
        var seen = 0
        p.poison = { i in
            guard i >= 5 else { return false }
            seen += 1
            return true
        }
        XCTAssertThrowsError(try { while p.engine.iteration < 20 { try p.engine.runIteration() } }()) { e in
            XCTAssertTrue("\(e)".contains("(after 2 rollbacks, each lowering the learning rate 0.5x, the limit max_rollbacks 2)"), "\(e)")
        }
        XCTAssertEqual(p.engine.rollbacks.count, 2)
        XCTAssertTrue(p.values.joined().allSatisfy(\.isFinite))
    }

    /// An upper step that overflows (its rate too large for it) is put back and only the upper
    /// rate is lowered; the run then finishes with finite values.
    func testUpperOverflowLowersOnlyTheUpperRate() throws {
        let p = try Poisoned(upperLimit: 0.01) { $0.onNonFinite = .rollback(factor: 0.1, maxRollbacks: 3); $0.gradientAccumulation = 1 }
        while p.engine.iteration < 10 { try p.engine.runIteration() }
        XCTAssertEqual(p.engine.rollbacks.count, 1)
        let first = try XCTUnwrap(p.engine.rollbacks.first)
        XCTAssertEqual(first.step, 1)
        XCTAssertEqual(first.restoredTo, 0)
        XCTAssertTrue(first.reason.hasPrefix("the upper-level parameters are not finite"), first.reason)
        XCTAssertEqual(first.rateScale, 1, "the lower rate is not the cause")
        XCTAssertEqual(first.upperRateScale, 0.1)
        XCTAssertEqual(p.engine.lower.optimizer.learningRate, 0.05 * 0.125, accuracy: 1e-9, "the lower schedule alone: halved every 3 steps")
        XCTAssertTrue(p.values.joined().allSatisfy(\.isFinite), "\(p.values)")
    }
}

/// The same through a reweighting run on the tiny PRM, with the reproducer (lr 1e6).
extension ReweightingRunTests {
    func testHugeLearningRateRollsBackAndFinishesFinite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-rollback-\(getpid())-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let make: () throws -> ReweightRun = {
            try self.makeRun("table", iterations: 12) {
                $0.lr = 1e6
                $0.gradientClipping = 0
                $0.schedulerType = "constant"
                $0.warmupRatio = 0
                $0.checkpointDirectory = dir
                $0.onNonFinite = .rollback(factor: 0.1, maxRollbacks: 10)
            }
        }
        let run = try make()
        var warned = 0
        run.onRollback = { _ in warned += 1 }
        try run.run()
        XCTAssertFalse(run.rollbacks.isEmpty, "lr 1e6 diverges: at least one rollback")
        XCTAssertEqual(warned, run.rollbacks.count)
        XCTAssertEqual(run.history.map(\.iteration), Array(1...12), "the history is that of the run kept")
        XCTAssertTrue(run.history.allSatisfy { $0.weightedLoss.isFinite && ($0.metaLoss?.isFinite ?? true) })
        let last = try XCTUnwrap(run.rollbacks.last)
        for r in run.history where r.iteration > last.step {
            XCTAssertEqual(Double(r.lr), 1e6 * last.rateScale, accuracy: 1e6 * last.rateScale * 1e-6)
        }
        XCTAssertTrue(run.prm.parameters.allSatisfy { ParameterSet.isFinite($0.value) })
        XCTAssertTrue(run.allWeights().allSatisfy(\.isFinite))
        // The checkpoint keeps the rates' factors: a resumed run goes on at the lowered rates.
        let resumed = try make()
        try resumed.loadCheckpoint(from: dir)
        XCTAssertEqual(resumed.engine.rateScales.lower, run.engine.rateScales.lower)
        XCTAssertEqual(resumed.engine.rateScales.upper, run.engine.rateScales.upper)
        XCTAssertEqual(resumed.engine.lower.optimizer.learningRate, run.engine.lower.optimizer.learningRate)
    }
}
