import Foundation
import XCTest
import NN
import Datasets
import Reweight

final class BuiltinBenchmarkTests: XCTestCase {
    /// The whole pipeline on a very small configuration: every row is there and consistent.
    func testSmallRunProducesAConsistentTable() throws {
        var options = BuiltinBenchmarkOptions(seed: 3)
        options.data = ArithmeticBenchmark.Config(trainPerDomain: 5)
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
            if let p = env["DPRM_BENCH_POSITIONS"] { options.positionEmbeddingType = PositionEmbeddingType(rawValue: p) }
            if let s = env["DPRM_BENCH_ITERS"], let n = Int(s) { options.coldStart.iterations = n }
            if let s = env["DPRM_BENCH_LR"], let x = Double(s) { options.coldStart.lr = x }
            if let s = env["DPRM_BENCH_BATCH"], let n = Int(s) { options.coldStart.batchSize = n }
            if let s = env["DPRM_BENCH_OPERAND"], let n = Int(s) {
                options.data.testMaxOperand = n
                for k in options.data.domains.indices where options.data.domains[k].maxOperand > n { options.data.domains[k].maxOperand = n }
            }
            if let s = env["DPRM_BENCH_PER_DOMAIN"], let n = Int(s) { for k in options.data.domains.indices { options.data.domains[k].count = n } }
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
            for (k, v) in buckets.sorted(by: { $0.key < $1.key }) { print(String(format: "mean p(+) %@: %.3f over %d", k, v.reduce(0, +) / Float(v.count), v.count)) }
            print("cold start loss: first 20 \(r.coldStart.history.meanLoss(first: 20)), last 20 \(r.coldStart.history.meanLoss(last: 20))")
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
