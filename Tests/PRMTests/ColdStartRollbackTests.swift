import Foundation
import XCTest
import Tensors
import Datasets
@testable import PRM

/// `onNonFinite: .rollback` (issue 18, item 2): a NaN or infinite loss or gradient sends the cold
/// start back to its last good state with a lower rate instead of stopping it.
final class ColdStartRollbackTests: XCTestCase {
    func options(iterations: Int, lr: Double) -> ColdStartOptions {
        var o = ColdStartOptions()
        o.lr = lr
        o.iterations = iterations
        o.batchSize = 4
        o.progress = false
        o.gradientClipping = 0
        o.schedulerType = "constant"
        o.warmupRatio = 0
        return o
    }

    func allFinite(_ prm: ProcessRewardModel) -> Bool {
        prm.parameters.allSatisfy { $0.value.toArray().allSatisfy(\.isFinite) }
    }

    /// lr 1e6 without clipping is NaN within a few steps (the reproducer). With rollback
    /// the run finishes every step at a lowered rate; its losses, weights and checkpoints are finite.
    func testHugeLearningRateRollsBackLowersTheRateAndFinishes() throws {
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let prm = PRMFixture.tinyPRM(seed: 4)
        var o = options(iterations: 16, lr: 1e6)
        o.onNonFinite = .rollback(factor: 0.1, maxRollbacks: 10)
        o.saveEvery = 2
        o.checkpointDirectory = dir + "/run"
        var warned: [NonFiniteRollback] = []
        let r = try coldStart(prm, train: PRMFixture.benchmark.train, options: o, onRollback: { warned.append($0) })
        XCTAssertFalse(r.rollbacks.isEmpty, "lr 1e6 diverges: at least one rollback")
        XCTAssertEqual(warned, r.rollbacks, "each rollback is reported as it happens")
        XCTAssertEqual(r.stepsDone, 16)
        XCTAssertEqual(r.history.steps, Array(1...16), "the history is that of the run kept: no gap, no repeat")
        XCTAssertTrue(r.history.losses.allSatisfy(\.isFinite), "\(r.history.losses)")
        XCTAssertTrue(allFinite(prm))
        // Each rollback multiplies the rate by 0.1; steps after the last one run at that rate.
        for (k, rb) in r.rollbacks.enumerated() {
            XCTAssertEqual(rb.rateScale, pow(0.1, Double(k + 1)), accuracy: 1e-12)
            XCTAssertLessThan(rb.restoredTo, rb.step)
            XCTAssertTrue(rb.reason.hasPrefix("the loss is") || rb.reason.hasPrefix("the gradient norm is"), rb.reason)
        }
        let last = try XCTUnwrap(r.rollbacks.last)
        for record in r.history.records where record.step > last.step {
            XCTAssertEqual(record.lr, 1e6 * last.rateScale, accuracy: 1e6 * last.rateScale * 1e-9)
        }
        // Every checkpoint on disk is of the kept run and loads with finite weights; the history
        // file is that run's.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/run").sorted()
        XCTAssertEqual(names, ["checkpoint-10", "checkpoint-12", "checkpoint-14", "checkpoint-2", "checkpoint-4",
                               "checkpoint-6", "checkpoint-8", "checkpoint-final", "history.csv"])
        for name in names where name.hasPrefix("checkpoint-") {
            XCTAssertTrue(allFinite(try ProcessRewardModel.load(from: dir + "/run/" + name)), name)
        }
        XCTAssertEqual(try TrainingHistory.readCSV(from: dir + "/run/history.csv").steps, Array(1...16))
        // The trained PRM scores finitely.
        XCTAssertTrue(prm.candidateScores(PRMFixture.benchmark.test).joined().joined().allSatisfy { $0.isFinite })
    }

    /// The state put back is exactly the one before the last good step: weights poisoned after
    /// step 5 make step 6's loss NaN; the run returns to the weights after step 4 (step 5's own
    /// weights gave a finite loss and gradient, but its update is what the poison stands for).
    func testRollbackPutsBackTheWeightsOfTheLastGoodStep() throws {
        let prm = PRMFixture.tinyPRM(seed: 5)
        var o = options(iterations: 10, lr: 1e-3)
        o.schedulerType = "cosine_warmup"
        o.onNonFinite = .rollback(factor: 0.5, maxRollbacks: 3)
        var afterStep4: [[Float]] = []
        var poisoned = false
        var restoredWeights: [[Float]] = []
        let r = try coldStart(prm, train: PRMFixture.benchmark.train, options: o, onStep: { record in
            if record.step == 4 && afterStep4.isEmpty { afterStep4 = prm.parameters.map { $0.value.toArray() } }
            if record.step == 5 && !poisoned {
                poisoned = true
                let p = prm.parameters[0]
                var v = p.value.toArray()
                v[0] = .nan
                p.value = Tensor(shape: p.value.shape, scalars: v)
            }
        }, onRollback: { _ in restoredWeights = prm.parameters.map { $0.value.toArray() } })
        XCTAssertEqual(r.rollbacks.count, 1)
        let rb = try XCTUnwrap(r.rollbacks.first)
        XCTAssertEqual(rb.step, 6)
        XCTAssertEqual(rb.restoredTo, 4)
        XCTAssertTrue(rb.reason.hasPrefix("the loss is"), rb.reason)
        XCTAssertEqual(rb.rateScale, 0.5)
        // Exact: the kept state is a copy of the float32 weights, put back as they were.
        XCTAssertEqual(restoredWeights, afterStep4)
        XCTAssertEqual(r.history.steps, Array(1...10))
        // Steps 5... run again at half the schedule's rate (the schedule itself is unchanged).
        let schedule = try o.schedule()
        for record in r.history.records {
            let scheduled = o.lr * schedule.multiplier(at: record.step - 1)
            XCTAssertEqual(record.lr, record.step > 4 ? scheduled * 0.5 : scheduled, accuracy: 1e-12, "step \(record.step)")
        }
        XCTAssertTrue(allFinite(prm))
    }

    /// The default stops at the first non-finite value; a rollback budget that runs out stops the
    /// same way, saying how many rollbacks were made.
    func testStopIsTheDefaultAndTheRollbackBudgetIsBounded() throws {
        XCTAssertEqual(ColdStartOptions().onNonFinite, .stop)
        XCTAssertThrowsError(try coldStart(PRMFixture.tinyPRM(seed: 4), train: PRMFixture.benchmark.train,
                                           options: options(iterations: 16, lr: 1e6))) { e in
            XCTAssertTrue("\(e)".contains("training diverged") && "\(e)".contains("at step "), "\(e)")
            XCTAssertFalse("\(e)".contains("rollback"), "\(e)")
        }
        var o = options(iterations: 16, lr: 1e6)
        o.onNonFinite = .rollback(factor: 0.9, maxRollbacks: 1)
        var rollbacks = 0
        XCTAssertThrowsError(try coldStart(PRMFixture.tinyPRM(seed: 4), train: PRMFixture.benchmark.train, options: o,
                                           onRollback: { _ in rollbacks += 1 })) { e in
            XCTAssertTrue("\(e)".contains("(after 1 rollback, each lowering the learning rate 0.9x, the limit max_rollbacks 1)"), "\(e)")
        }
        XCTAssertEqual(rollbacks, 1)
    }

    func testPolicyNamesAndRanges() throws {
        XCTAssertEqual(try NonFinitePolicy(name: "stop"), .stop)
        XCTAssertEqual(try NonFinitePolicy(name: "rollback"), .rollback(factor: 0.1, maxRollbacks: 5))
        XCTAssertThrowsError(try NonFinitePolicy(name: "retry")) { e in
            XCTAssertEqual("\(e)", "on_nonfinite must be \"stop\" or \"rollback\", got \"retry\"")
        }
        XCTAssertThrowsError(try NonFinitePolicy(name: "rollback", factor: 1)) { e in
            XCTAssertEqual("\(e)", "rollback_factor must be between 0 and 1 (exclusive), got 1.0")
        }
        XCTAssertThrowsError(try NonFinitePolicy(name: "rollback", factor: .nan))
        XCTAssertThrowsError(try NonFinitePolicy(name: "rollback", maxRollbacks: 0)) { e in
            XCTAssertEqual("\(e)", "max_rollbacks must be between 1 and 1000, got 0")
        }
    }
}
