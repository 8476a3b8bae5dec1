import XCTest
import Foundation
import Tensors
import Autodiff
import Datasets
import PRM
@testable import Reweight
import Support

/// The reweighting pipeline end to end on the built-in benchmark with the tiny preset.
final class ReweightingRunTests: XCTestCase {
    static let bench: ArithmeticBenchmark = {
        var config = ArithmeticBenchmark.Config(seed: 5, trainSize: 24, noiseRate: 0.5, coldStartSize: 0)
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

        // Exact: weights and optimizer state are restored bit for bit and the data order is the
        // same, so the resumed iterations compute the same products of the same shapes.
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

    func testStepLabelMetaLossesSeparateFlippedLabels() throws {
        // Steps that say whether they are right: "fine" is `+`, "oops" is `-`. The training set
        // holds every solution twice, once labelled by that rule and once with every label flipped.
        // The PRM is cold-started on other rule-following solutions, so that it reads the steps
        // (the first-order hypergradient can only see what the PRM's gradients can tell apart:
        // an untrained PRM's are dominated by how many `+` labels an instance holds). The meta set
        // follows the rule with as many `+` as `-` labels. With the step loss as meta loss the
        // darts hypergradient of a table row (minus the alignment of the instance's gradient with
        // the meta gradient) must raise every rule-following copy and lower every flipped one,
        // with the step loss (`steps`) and with the step ranking loss (`step_rank`) as meta loss.
        let system = Self.bench.config.systemPrompt
        var rng = RandomGenerator(seed: 11)
        func solution(_ id: String) -> PRMInstance {
            let ok = (0..<3).map { _ in rng.uniform() < 0.5 }
            return PRMInstance(id: id, systemPrompt: system, question: "Is every step fine?", steps: ok.map { $0 ? "fine" : "oops" },
                               labels: ok.map { $0 ? 1 : 0 })
        }
        func swapped(_ x: PRMInstance) -> PRMInstance {
            PRMInstance(id: x.id + "-swapped", systemPrompt: system, question: x.question,
                        steps: x.steps.map { $0 == "fine" ? "oops" : "fine" }, labels: x.labels.map { 1 - $0 })
        }
        let good = (0..<8).map { solution("good-\($0)") }
        let bad = good.map { x -> PRMInstance in var y = x; y.id = "bad" + x.id.dropFirst(4); y.labels = x.labels.map { 1 - $0 }; return y }
        let half = (0..<4).map { solution("meta-\($0)") }
        let meta = (half + half.map(swapped)).map(MetaInstance.init(stepLabelled:))
        let train = good + bad
        var cold = ColdStartOptions()
        cold.iterations = 30
        cold.lr = 1e-2
        cold.batchSize = 16
        cold.progress = false
        let coldData = (0..<16).map { solution("cold-\($0)") }

        for target in [LossTarget.steps, .stepRank] {
            let prm = try ProcessRewardModel(preset: "tiny", tokenizer: Self.bench.makeTokenizer(), seed: 3)
            _ = try coldStart(prm, train: coldData, options: cold)
            let table = try InstanceTable(instances: train, activation: .none, initialization: 1)
            var options = ReweightOptions()
            options.iterations = 6
            options.lr = 1e-3
            options.metaLr = 0.05
            options.metaWeightDecay = 0
            options.batchSize = train.count
            options.metaBatchSize = meta.count
            options.saveEvery = 0
            options.lossTarget = target
            let run = try ReweightRun(prm: prm, weighting: table, train: train, meta: meta, options: options)

            if target == .steps {
                // The meta loss is the unweighted mean step loss of the meta instances.
                let templated = meta.map { prm.template($0.stepLabelled!) }
                let f = prm.forward(templated, languageModel: false)
                let expected = Variable.stack(prm.perInstanceLoss(templated, stacked: f.logits, counts: f.counts)).mean().value.item
                XCTAssertEqual(run.upperLoss(Array(meta.indices)).value.item, expected, accuracy: 1e-6)
            }

            try run.run()
            let w = run.weights(of: Array(train.indices))
            let goodWeights = w.prefix(good.count), badWeights = w.suffix(bad.count)
            XCTAssertGreaterThan(goodWeights.min()!, 1, "\(target): rule-following copies: \(goodWeights)")
            XCTAssertLessThan(badWeights.max()!, 1, "\(target): flipped copies: \(badWeights)")

            // Meta instances without step labels (as read from a file) are refused, naming one.
            let bare = meta.map { m -> MetaInstance in var x = m; x.stepLabels = nil; return x }
            XCTAssertThrowsError(try ReweightRun(prm: prm, weighting: table, train: train, meta: bare, options: options)) {
                XCTAssertTrue("\($0)".contains("loss_target '\(target.rawValue)'") && "\($0)".contains("'meta-0'"), "\($0)")
            }
        }
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

    /// A diverging meta level (meta_lr 1e30) stops the run with an error naming the iteration.
    func testDivergedRunStops() throws {
        let run = try makeRun("table", iterations: 20) { $0.metaLr = 1e30 }
        XCTAssertThrowsError(try run.run()) { error in
            XCTAssertTrue("\(error)".contains("diverged") && "\(error)".contains("at iteration"), "\(error)")
        }
        XCTAssertLessThan(run.history.count, 20)
    }

    /// A run with a checkpoint folder that is interrupted saves what it did, marked as interrupted,
    /// and a resumed run continues from it.
    func testInterruptSavesAMarkedCheckpoint() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-interrupted-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try makeRun("table", iterations: 6) { $0.checkpointDirectory = dir }
        XCTAssertThrowsError(try run.run(shouldStop: { run.history.count >= 3 }))
        let config = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("\"interrupted\"") && config.contains("true"), config)
        let resumed = try makeRun("table", iterations: 6) { $0.checkpointDirectory = dir }
        try resumed.loadCheckpoint(from: dir)
        XCTAssertEqual(resumed.history.count, 3)
        try resumed.run()
        XCTAssertEqual(resumed.history.count, 6)
        XCTAssertFalse(try String(contentsOfFile: dir + "/config.json", encoding: .utf8).contains("true"), "the finished run's checkpoint is not marked")
    }

    func testSnapshotFileKeepsIDsWithCommasQuotesAndLineBreaks() throws {
        // Instance ids are free text; the weights file is RFC 4180 so such ids do not shift or
        // split rows (the old writer left line breaks unquoted and the reader split on ",").
        let text = CSV.text([["iteration", "a,b", "line\nbreak", "say \"q\""], ["3", "0.5", "1.5", "2.0"], ["6", "0.25", "1.0", "0.75"]])
        let rows = try ReweightRun.parseSnapshots(text, path: "weights.csv")
        XCTAssertEqual(rows.map(\.iteration), [3, 6])
        XCTAssertEqual(rows.map(\.weights), [[0.5, 1.5, 2], [0.25, 1, 0.75]])
        XCTAssertThrowsError(try ReweightRun.parseSnapshots("iteration,a\n3,heavy\n", path: "weights.csv")) { error in
            XCTAssertTrue("\(error)".contains("weights.csv: row 2: bad weight 'heavy'"), "\(error)")
        }
    }

    /// The lower loss of a reweighting run is the weighted step loss plus the unweighted
    /// language-model term: changing the instance weights leaves the added term alone.
    func testReweightLowerLossAddsTheUnweightedTerm() throws {
        let bench = Self.bench
        let prm = try ProcessRewardModel(preset: "tiny", tokenizer: bench.makeTokenizer(), seed: 3)
        let table = try InstanceTable(instances: bench.train, activation: .clip, initialization: 0.5)
        var options = ReweightOptions()
        options.batchSize = 4
        options.languageModelWeight = 2
        let run = try ReweightRun(prm: prm, weighting: table, train: bench.train, meta: bench.meta, options: options)
        let indices = [0, 3, 5, 7]
        let total = noGrad { run.lowerLoss(indices).value.item }
        let templated = indices.map { prm.template(bench.train[$0]) }
        let f = noGrad { prm.forward(templated, languageModel: true) }
        let ce = noGrad { prm.perInstanceLoss(templated, stacked: f.logits, counts: f.counts).map { $0.value.item } }
        let expected = 0.5 * ce.reduce(0, +) / Float(ce.count) + 2 * f.languageModelLoss!.value.item
        XCTAssertEqual(total, expected, accuracy: 1e-5)
    }
}
