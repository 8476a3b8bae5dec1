import Foundation
import XCTest
import NN
import Datasets
import PRM
import Reweight
import Experiments

final class BuiltinBenchmarkTests: XCTestCase {
    /// The whole pipeline on a very small configuration: every row is there and consistent.
    func testSmallRunProducesAConsistentTable() throws {
        var options = BuiltinBenchmarkOptions(seed: 3)
        options.data = ArithmeticBenchmark.Config(trainSize: 20, coldStartSize: 12)
        options.data.metaCount = 4
        options.data.testQuestions = 3
        options.data.systemPrompt = "Check each step."
        options.preset = "tiny"
        options.coldStart.iterations = 3
        options.coldStart.batchSize = 2
        options.coldStart.progress = false
        options.printTable = false
        let r = try BuiltinBenchmark.run(options)
        XCTAssertEqual(r.bestOfN.map(\.aggregation), Aggregation.builtinNames)
        XCTAssertEqual(r.coldStart.stepsDone, 3)
        XCTAssertEqual(r.benchmark.train.count, 20)
        let table = r.table.description
        for name in Aggregation.builtinNames { XCTAssertTrue(table.contains("Vanilla PRM (\(name))"), table) }
        XCTAssertTrue(table.contains("Oracle"))
        for b in r.bestOfN {
            XCTAssertEqual(b.choices.count, 3)
            XCTAssertLessThanOrEqual(b.accuracy, r.baselines.oracle)
        }
        XCTAssertGreaterThan(r.totalSeconds, 0)
    }

    /// The measurement of the report: set DPRM_BENCH=1 (and DPRM_BENCH_SEEDS=0,1,2) and run in
    /// release: `DPRM_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter testMeasure`.
    func testMeasure() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["DPRM_BENCH"] == "1" else { throw XCTSkip("set DPRM_BENCH=1 to run the built-in benchmark measurement") }
        let seeds = (env["DPRM_BENCH_SEEDS"] ?? "0").split(separator: ",").compactMap { UInt64($0) }
        for seed in seeds {
            var options = BuiltinBenchmarkOptions(seed: seed)
            if let p = env["DPRM_BENCH_PRESET"] { options.preset = p }
            if let d = env["DPRM_BENCH_DOMAINS"] { let keep = Set(d.split(separator: ",").map(String.init)); options.data.domains.removeAll { !keep.contains($0.name) } }
            if env["DPRM_BENCH_NUMBERS"] == "1" { var c = try PRMConfig.preset(options.preset); c.numberFeatures = true; options.modelConfig = c }
            if let p = env["DPRM_BENCH_POSITIONS"] { options.positionEmbeddingType = PositionEmbeddingType(rawValue: p) }
            if let s = env["DPRM_BENCH_ITERS"], let n = Int(s) { options.coldStart.iterations = n }
            if let s = env["DPRM_BENCH_LR"], let x = Double(s) { options.coldStart.lr = x }
            if let s = env["DPRM_BENCH_SCHEDULER"] { options.coldStart.schedulerType = s }
            if let s = env["DPRM_BENCH_BATCH"], let n = Int(s) { options.coldStart.batchSize = n }
            if let s = env["DPRM_BENCH_OPERAND"], let n = Int(s) {
                options.data.testMaxOperand = n
                for k in options.data.domains.indices where options.data.domains[k].maxOperand > n { options.data.domains[k].maxOperand = n }
            }
            if let s = env["DPRM_BENCH_PER_DOMAIN"], let n = Int(s) { for k in options.data.domains.indices { options.data.domains[k].count = n } }
            if let s = env["DPRM_BENCH_TRAP"] {
                // factor,consistency[,near miss]
                let f = s.split(separator: ",").compactMap { Double($0) }
                options.data.solver.trapFactor = f[0]; options.data.solver.trapConsistency = f[1]
                if f.count > 2 { options.data.solver.nearMiss = f[2] }
            }
            if let s = env["DPRM_BENCH_ERROR"], let x = Double(s) { options.data.solverErrorRate = x }
            if let s = env["DPRM_BENCH_MAX_VALUE"], let n = Int(s) { options.data.maxValue = n }
            if let s = env["DPRM_BENCH_COUNTS"] {
                for (k, n) in s.split(separator: ",").compactMap({ Int($0) }).enumerated() where k < options.data.domains.count { options.data.domains[k].count = n }
            }
            if let s = env["DPRM_BENCH_TRAIN_ERROR"], let x = Double(s) { options.data.trainSolverErrorRate = x }
            // Model sizes: DPRM_BENCH_MODEL=hidden,layers,heads,ffn[,rope_theta] replaces the preset.
            if let s = env["DPRM_BENCH_MODEL"] {
                let f = s.split(separator: ",").compactMap { Double($0) }
                var c = PRMConfig(hiddenSize: Int(f[0]), numLayers: Int(f[1]), numHeads: Int(f[2]), intermediateSize: Int(f[3]),
                                  maxLength: 256, positionEmbeddingType: .rotary)
                if f.count > 4 { c.ropeTheta = Float(f[4]) }
                if f.count > 5 { c.numberFeatures = f[5] != 0 }
                options.modelConfig = c
            }
            if let s = env["DPRM_BENCH_LABEL_INPUTS"], let inputs = ChatTemplate.LabelInputs(rawValue: s) {
                var c = try options.modelConfig ?? PRMConfig.preset(options.preset)
                c.labelInputs = inputs
                options.modelConfig = c
            }
            if let s = env["DPRM_BENCH_LM"], let x = Float(s) { options.coldStart.languageModelWeight = x }
            let r = try BuiltinBenchmark.run(options)
            // Mean p(+) of test steps by kind (correct, the first wrong one, later wrong ones),
            // in all and per step index.
            var buckets: [String: [Float]] = [:]
            for (q, set) in r.benchmark.test.enumerated() {
                guard let flags = set.metadata["step_correct"]?.arrayValue else { continue }
                for (c, f) in flags.enumerated() {
                    let correct = f.arrayValue!.map { $0.boolValue! }
                    for (k, ok) in correct.enumerated() {
                        let kind = ok ? "correct" : (k == correct.firstIndex(of: false) ? "first-error" : "after-error")
                        let score = r.bestOfN[0].stepScores[q][c][k]
                        buckets[kind, default: []].append(score)
                        buckets["\(kind)@\(k)", default: []].append(score)
                    }
                }
            }
            // Step AUROC (steps up to and including the first error, exact labels) on the training
            // instances against the test candidates: a gap means memorising, not checking.
            let prm = r.prm
            let trainSample = Array(r.benchmark.train.filter { $0.domain == "clean" }.prefix(600))
            let trainScores = prm.stepScores(trainSample.map { prm.template($0) })
            var trainPairs: [(Float, Bool)] = []
            for (inst, scores) in zip(trainSample, trainScores) {
                let clean = inst.metadata["clean_labels"]!.arrayValue!.map { $0.numberValue! > 0.5 }
                for (k, ok) in clean.enumerated() { trainPairs.append((scores[k], ok)); if !ok { break } }
            }
            var testPairs: [(Float, Bool)] = []
            for (q, set) in r.benchmark.test.enumerated() {
                for (c, f) in (set.metadata["step_correct"]?.arrayValue ?? []).enumerated() {
                    for (k, ok) in f.arrayValue!.map({ $0.boolValue! }).enumerated() {
                        testPairs.append((r.bestOfN[0].stepScores[q][c][k], ok)); if !ok { break }
                    }
                }
            }
            print(String(format: "step AUROC up to the first error: clean train %.3f, test %.3f",
                         auroc(trainPairs.map(\.0), trainPairs.map(\.1)) ?? .nan, auroc(testPairs.map(\.0), testPairs.map(\.1)) ?? .nan))
            for (k, v) in buckets.sorted(by: { $0.key < $1.key }) { print(String(format: "mean p(+) %@: %.3f over %d", k, v.reduce(0, +) / Float(v.count), v.count)) }
            print("cold start loss: first 20 \(r.coldStart.history.meanLoss(first: 20)), last 20 \(r.coldStart.history.meanLoss(last: 20))")
            let losses = r.coldStart.history.losses
            let window = max(1, losses.count / 20)
            print("cold start loss per \(window) steps: " + stride(from: 0, to: losses.count, by: window).map {
                String(format: "%.3f", losses[$0..<min(losses.count, $0 + window)].reduce(0, +) / Float(min(window, losses.count - $0)))
            }.joined(separator: " "))
            // Within one question: how often a correct candidate outscores a wrong one (what
            // best-of-N needs; the pooled AUROC below also compares across questions).
            for b in r.bestOfN {
                var wins = 0.0, pairs = 0.0
                for (q, set) in r.benchmark.test.enumerated() {
                    for i in set.candidates.indices where set.correct[i] {
                        for j in set.candidates.indices where !set.correct[j] {
                            pairs += 1
                            wins += b.scores[q][i] > b.scores[q][j] ? 1 : (b.scores[q][i] == b.scores[q][j] ? 0.5 : 0)
                        }
                    }
                }
                print(String(format: "within-question pairwise AUROC %@: %.3f", b.aggregation, wins / pairs))
            }
            for b in r.bestOfN { print("auroc \(b.aggregation): \(b.auroc.map { String(format: "%.3f", $0) } ?? "-")") }
        }
    }
}
