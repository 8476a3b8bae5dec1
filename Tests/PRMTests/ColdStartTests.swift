import Foundation
import XCTest
import Datasets
@testable import PRM

final class ColdStartTests: XCTestCase {
    func options(iterations: Int, lr: Double = 3e-3) -> ColdStartOptions {
        var o = ColdStartOptions()
        o.lr = lr
        o.iterations = iterations
        o.batchSize = 4
        o.progress = false
        return o
    }

    /// A few steps on the tiny preset reduce the loss on the training set.
    func testColdStartReducesLoss() throws {
        let prm = PRMFixture.tinyPRM(seed: 7)
        let train = PRMFixture.benchmark.train
        let templated = train.map { prm.template($0) }
        let before = prm.meanLoss(templated).value.item
        let r = try coldStart(prm, train: train, options: options(iterations: 20, lr: 1e-2))
        let after = prm.meanLoss(templated).value.item
        XCTAssertEqual(r.stepsDone, 20)
        XCTAssertFalse(r.stopped)
        XCTAssertEqual(r.history.steps, Array(1...20))
        XCTAssertLessThan(after, before * 0.6, "loss \(before) -> \(after)")
        XCTAssertLessThan(r.history.meanLoss(last: 3), r.history.meanLoss(first: 3))
        // Cosine with 5% warmup: round(1.0) = 1 warmup step, lr 0 at step 1, the peak at step 2.
        XCTAssertEqual(r.history.records[0].lr, 0)
        XCTAssertEqual(r.history.records[1].lr, 1e-2, accuracy: 1e-12)
        XCTAssertLessThan(r.history.records[19].lr, 1e-3)
    }

    /// Same seed, same run.
    func testDeterministic() throws {
        let a = PRMFixture.tinyPRM(seed: 1), b = PRMFixture.tinyPRM(seed: 1)
        let train = Array(PRMFixture.benchmark.train.prefix(8))
        var o = options(iterations: 3)
        o.gradientAccumulation = 2
        o.schedulerType = "constant"
        o.warmupRatio = 0
        let ra = try coldStart(a, train: train, options: o)
        let rb = try coldStart(b, train: train, options: o)
        XCTAssertEqual(ra.history.losses, rb.history.losses)
        XCTAssertEqual(a.parameters[5].value.toArray(), b.parameters[5].value.toArray())
        XCTAssertEqual(ra.history.learningRates, [3e-3, 3e-3, 3e-3])
    }

    func testCheckpointsHistoryAndStop() throws {
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let prm = PRMFixture.tinyPRM(seed: 2)
        var o = options(iterations: 10)
        o.batchSize = 2
        o.saveEvery = 2
        o.checkpointDirectory = dir + "/run"
        var calls = 0
        // Stop before the 6th step, as Ctrl-C would.
        let r = try coldStart(prm, train: PRMFixture.benchmark.train, options: o, shouldStop: {
            calls += 1
            return calls > 5
        })
        XCTAssertTrue(r.stopped)
        XCTAssertEqual(r.stepsDone, 5)
        XCTAssertEqual(r.checkpoints.map { ($0 as NSString).lastPathComponent },
                       ["checkpoint-2", "checkpoint-4", "checkpoint-5-interrupted"], "a stopped run never writes checkpoint-final")
        let history = try TrainingHistory.readCSV(from: dir + "/run/history.csv")
        XCTAssertEqual(history.steps, [1, 2, 3, 4, 5])
        XCTAssertEqual(history.losses, r.history.losses)  // exact: the CSV writes round-tripping decimals
        let csv = try String(contentsOfFile: dir + "/run/history.csv", encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("step,loss,lr,seconds\n1,"), csv)
        // The interrupted checkpoint is the stopped model.
        let loaded = try ProcessRewardModel.load(from: dir + "/run/checkpoint-5-interrupted")
        let probe = PRMFixture.benchmark.test
        // Exact: the checkpoint holds the float32 weights bit for bit; same batches, same shapes.
        XCTAssertEqual(loaded.candidateScores(probe), prm.candidateScores(probe))
    }

    /// A rerun into a folder holding a run used to mix the two (issue 18, item 9): the new
    /// history beside the old run's checkpoint-4 and checkpoint-final. Now it is refused before
    /// the first step unless `overwrite`, which removes the old run; `.tmp-` litter of a killed
    /// write is cleaned; a file in place of the folder and a read-only folder are clear errors.
    func testRerunIntoAnExistingFolderNeverMixesTwoRuns() throws {
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = options(iterations: 4)
        o.batchSize = 2
        o.saveEvery = 2
        o.checkpointDirectory = dir + "/missing/parents/run"
        _ = try coldStart(PRMFixture.tinyPRM(seed: 2), train: PRMFixture.benchmark.train, options: o)
        let run = dir + "/missing/parents/run"
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run).sorted(), ["checkpoint-2", "checkpoint-final", "history.csv"])
        var steps = 0
        o.iterations = 2
        XCTAssertThrowsError(try coldStart(PRMFixture.tinyPRM(seed: 3), train: PRMFixture.benchmark.train, options: o, onStep: { _ in steps += 1 })) { e in
            XCTAssertEqual("\(e)", "\(run): holds a previous run (checkpoint-2, checkpoint-final, history.csv): pass overwrite: true to replace it, or choose another folder (two runs are never mixed)")
        }
        XCTAssertEqual(steps, 0, "refused before the first step")
        try FileManager.default.createDirectory(atPath: run + "/.checkpoint-9.tmp-AbC123", withIntermediateDirectories: false)
        o.overwrite = true
        o.saveEvery = 0
        _ = try coldStart(PRMFixture.tinyPRM(seed: 3), train: PRMFixture.benchmark.train, options: o)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run).sorted(), ["checkpoint-final", "history.csv"], "nothing of the first run, no litter")
        XCTAssertEqual(try TrainingHistory.readCSV(from: run + "/history.csv").steps, [1, 2])
        // A file in place of the folder.
        FileManager.default.createFile(atPath: dir + "/file", contents: Data("x".utf8))
        o.checkpointDirectory = dir + "/file"
        XCTAssertThrowsError(try coldStart(PRMFixture.tinyPRM(), train: PRMFixture.benchmark.train, options: o)) { e in
            XCTAssertEqual("\(e)", "\(dir)/file: is a file, not a folder: choose another output folder")
        }
        o.checkpointDirectory = dir + "/file/run"
        XCTAssertThrowsError(try coldStart(PRMFixture.tinyPRM(), train: PRMFixture.benchmark.train, options: o)) { e in
            XCTAssertTrue("\(e)".contains("cannot create the folder: '\(dir)/file' is a file"), "\(e)")
        }
        // A read-only folder fails before training (root ignores permissions: skip the check then).
        if getuid() != 0 {
            try FileManager.default.createDirectory(atPath: dir + "/ro", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o555])
            o.checkpointDirectory = dir + "/ro"
            XCTAssertThrowsError(try coldStart(PRMFixture.tinyPRM(), train: PRMFixture.benchmark.train, options: o)) { e in
                XCTAssertTrue("\(e)".contains("is not writable"), "\(e)")
            }
        }
    }

    func testBadOptions() {
        let prm = PRMFixture.tinyPRM()
        var o = options(iterations: 1)
        o.schedulerType = "exponential"
        XCTAssertThrowsError(try coldStart(prm, train: PRMFixture.benchmark.train, options: o)) { e in
            XCTAssertEqual("\(e)", "coldstart: unknown scheduler_type 'exponential'; choose cosine_warmup, linear, step or constant")
        }
        o = options(iterations: 1)
        o.batchSize = 0
        XCTAssertThrowsError(try coldStart(prm, train: PRMFixture.benchmark.train, options: o))
        XCTAssertThrowsError(try coldStart(prm, train: [], options: options(iterations: 1)))
    }

    func testProgressBarLine() {
        let bar = ProgressBar(total: 100, label: "coldstart", enabled: false)
        XCTAssertEqual(bar.line(done: 25, losses: [("loss", 0.5)], elapsed: 10),
                       "coldstart [######..................] 25/100 loss 0.5000 2.50 it/s ETA 30s")
        // A reweighting bar names both levels' losses; a step without a meta loss keeps the last one.
        let run = ProgressBar(total: 10, label: "reweight instance_table", enabled: false)
        run.update(done: 1, losses: [("lower loss", 0.75), ("meta loss", 0.5)])
        run.update(done: 2, losses: [("lower loss", 0.25), ("meta loss", nil)])
        XCTAssertEqual(run.line(done: 2, losses: run.lastLosses, elapsed: 4),
                       "reweight instance_table [####....................] 2/10 lower loss 0.2500 meta loss 0.5000 0.50 it/s ETA 16s")
        // The final line replaces the ETA with the total time, and says where a run stopped early.
        XCTAssertEqual(run.finalLine(elapsed: 75), "reweight instance_table [####....................] 2/10 lower loss 0.2500 meta loss 0.5000 0.03 it/s stopped at 2/10 after 1m15s")
        run.update(done: 10, losses: [("lower loss", 0.125), ("meta loss", 0.5)])
        XCTAssertTrue(run.finalLine(elapsed: 20).hasSuffix("10/10 lower loss 0.1250 meta loss 0.5000 0.50 it/s done in 20s"), run.finalLine(elapsed: 20))
        XCTAssertEqual(ProgressBar.duration(275), "4m35s")
        XCTAssertEqual(ProgressBar.duration(3720), "1h02m")
    }
}
