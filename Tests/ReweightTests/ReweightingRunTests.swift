import XCTest
import Foundation
import Tensors
import Autodiff
import Datasets
@testable import Reweight

/// The reweighting pipeline end to end on the built-in benchmark with the tiny preset.
final class ReweightingRunTests: XCTestCase {
    static let bench: ArithmeticBenchmark = {
        var config = ArithmeticBenchmark.Config(seed: 5, trainSize: 24, noiseRate: 0.35)
        config.metaCount = 8
        config.testQuestions = 4
        return ArithmeticBenchmark(config: config)
    }()

    func makeRun(_ kind: String, iterations: Int, configure: (inout ReweightOptions) -> Void = { _ in }) throws -> ReweightRun {
        let bench = Self.bench
        let prm = try ProcessRewardModel(preset: "tiny", tokenizer: bench.makeTokenizer(), seed: 3)
        let weighting: InstanceWeighting
        switch kind {
        case "net": weighting = InstanceNet(hiddenDim: 4, seed: 2)
        case "domain": weighting = try DomainTable(instances: bench.train)
        default: weighting = try InstanceTable(instances: bench.train, activation: .clip, initialization: 1)
        }
        var options = ReweightOptions()
        options.iterations = iterations
        options.lr = 1e-3
        options.metaLr = 0.05
        options.saveEvery = 0
        options.snapshotEvery = 2
        configure(&options)
        return try ReweightRun(prm: prm, weighting: weighting, train: bench.train, meta: bench.meta, options: options)
    }

    func testInstanceTableRunRecordsHistoryAndMovesWeights() throws {
        // No meta weight decay: then only instances that were in a lower batch can move
        // (AdamW's decoupled decay would shrink every raw weight a little each step).
        let run = try makeRun("table", iterations: 6) { $0.metaWeightDecay = 0 }
        try run.run()
        XCTAssertEqual(run.history.map(\.iteration), Array(1...6))
        XCTAssertTrue(run.history.allSatisfy { $0.metaLoss != nil }, "unroll 1: an upper step every iteration")
        XCTAssertEqual(run.snapshots.map(\.iteration), [0, 2, 4, 6])
        XCTAssertEqual(run.snapshots[0].weights, Array(repeating: 1, count: run.train.count))
        XCTAssertNotEqual(run.snapshots.last!.weights, run.snapshots[0].weights, "meta steps move the weights")
        // Only instances that were in a lower batch can have moved (darts uses the last lower batch).
        let table = run.weighting as! InstanceTable
        XCTAssertLessThanOrEqual(table.currentWeights().filter { $0 != 1 }.count, 6)
        let csv = run.snapshotsCSV().split(separator: "\n")
        XCTAssertEqual(csv.count, 5)
        XCTAssertTrue(csv[0].hasPrefix("iteration,"))
        XCTAssertEqual(run.historyCSV().split(separator: "\n").count, 7)
        let domains = run.meanWeightByDomain()
        XCTAssertEqual(Set(domains.map(\.domain)), Set(run.train.compactMap(\.domain)))
        let (heavy, light) = run.extremes(2)
        XCTAssertGreaterThanOrEqual(heavy[0].1, light[0].1)
    }

    func testInstanceNetAndDomainTableRun() throws {
        for kind in ["net", "domain"] {
            let run = try makeRun(kind, iterations: 3)
            let before = run.weighting.parameters.map { $0.value.toArray() }
            try run.run()
            XCTAssertEqual(run.history.count, 3, kind)
            XCTAssertNotEqual(run.weighting.parameters.map { $0.value.toArray() }, before, "\(kind): the upper level learns")
            XCTAssertEqual(run.allWeights().count, run.train.count)
        }
    }

    func testBaselineKeepsWeightsAndTrainsThePRM() throws {
        let run = try makeRun("table", iterations: 4) { $0.baseline = true }
        let prmBefore = run.prm.parameters[0].value.toArray()
        try run.run()
        XCTAssertTrue(run.history.allSatisfy { $0.metaLoss == nil })
        XCTAssertEqual((run.weighting as! InstanceTable).currentWeights(), Array(repeating: 1, count: run.train.count))
        XCTAssertNotEqual(run.prm.parameters[0].value.toArray(), prmBefore)
        XCTAssertEqual(run.history[0].lowerLoss, run.history[0].weightedLoss, accuracy: 1e-6)
    }

    func testResumeFromCheckpointContinuesExactly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-resume-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let straight = try makeRun("table", iterations: 6)
        try straight.run()

        // Stopped after 3 of 6 iterations (as by Ctrl-C), saved, rebuilt from scratch, resumed.
        let first = try makeRun("table", iterations: 6)
        XCTAssertThrowsError(try first.run(shouldStop: { first.history.count == 3 }))
        try first.saveCheckpoint(to: dir)
        let resumed = try makeRun("table", iterations: 6)
        try resumed.loadCheckpoint(from: dir)
        try resumed.run()

        XCTAssertEqual(resumed.history.map(\.weightedLoss), straight.history.map(\.weightedLoss))
        XCTAssertEqual(resumed.history.map(\.metaLoss), straight.history.map(\.metaLoss))
        XCTAssertEqual(resumed.allWeights(), straight.allWeights())
        for (a, b) in zip(resumed.prm.parameters, straight.prm.parameters) { XCTAssertEqual(a.value.toArray(), b.value.toArray()) }
    }

    func testCheckpointOfAnotherKindIsRejected() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-kind-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let table = try makeRun("table", iterations: 1)
        try table.saveCheckpoint(to: dir)
        let net = try makeRun("net", iterations: 1)
        XCTAssertThrowsError(try net.loadCheckpoint(from: dir)) { XCTAssertTrue("\($0)".contains("holds a instance_table")) }
    }

    func testBadFlagsAreNamed() {
        XCTAssertThrowsError(try makeRun("table", iterations: 1) { $0.precision = "bf16" }) { XCTAssertTrue("\($0)".contains("precision 'bf16'")) }
        XCTAssertThrowsError(try makeRun("table", iterations: 1) { $0.schedulerType = "poly" }) { XCTAssertTrue("\($0)".contains("scheduler_type 'poly'")) }
        XCTAssertThrowsError(try makeRun("table", iterations: 1) { $0.batchSize = 0 }) { XCTAssertTrue("\($0)".contains("batch_size")) }
    }

    func testInterruptStopsAtSafePoint() throws {
        let run = try makeRun("table", iterations: 10)
        XCTAssertThrowsError(try run.run(shouldStop: { run.history.count >= 2 })) {
            XCTAssertTrue("\($0)".contains("interrupted at iteration 2"))
        }
        XCTAssertEqual(run.history.count, 2)
    }
}
