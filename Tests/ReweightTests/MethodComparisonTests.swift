import Foundation
import XCTest
import Datasets
@testable import Reweight

final class MethodComparisonTests: XCTestCase {
    /// The comparison on a very small configuration: every method runs, rows and weights are there.
    func testTinyComparison() throws {
        var options = ComparisonOptions(seed: 2)
        options.data = ArithmeticBenchmark.Config(trainPerDomain: 4)
        options.data.metaCount = 4
        options.data.testQuestions = 3
        options.preset = "tiny"
        options.coldStart.iterations = 2
        options.coldStart.batchSize = 2
        options.coldStart.progress = false
        options.reweight.iterations = 2
        options.reweight.batchSize = 2
        options.reweight.metaBatchSize = 2
        options.netHiddenDim = 4
        options.printReport = false
        let r = try BuiltinBenchmark.compare(options)
        XCTAssertEqual(r.methods.map(\.method), ["Vanilla PRM", "+Instance Table", "+Instance Net"])
        XCTAssertNil(r.methods[0].domainWeights)
        for m in r.methods.dropFirst() {
            XCTAssertEqual(Set(m.domainWeights!.map(\.domain)), ["clean", "noisy", "easy", "shifted"])
            XCTAssertNotNil(m.noisyToClean)
        }
        for m in r.methods { XCTAssertEqual(m.bestOfN.choices.count, 3); XCTAssertLessThanOrEqual(m.bestOfN.accuracy, r.baselines.oracle) }
        let report = r.report
        for row in ["No selection (first)", "Self-consistency", "Vanilla PRM (min)", "+Instance Table (min)", "+Instance Net (min)", "Oracle", "wall time"] {
            XCTAssertTrue(report.contains(row), report)
        }
    }

    /// The measurement of the report (release): `DPRM_CMP=1 DPRM_CMP_SEEDS=0,1,2 swift test -c release
    /// -Xswiftc -enable-testing --filter testCompareMeasure`. Knobs below, for tuning.
    func testCompareMeasure() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["DPRM_CMP"] == "1" else { throw XCTSkip("set DPRM_CMP=1 to run the method comparison") }
        func d(_ k: String) -> Double? { env[k].flatMap(Double.init) }
        func i(_ k: String) -> Int? { env[k].flatMap(Int.init) }
        let seeds = (env["DPRM_CMP_SEEDS"] ?? "0").split(separator: ",").compactMap { UInt64($0) }
        var rows: [String: [Double]] = [:]
        var ratios: [String: [Float]] = [:]
        var times: [Double] = []
        for seed in seeds {
            var o = ComparisonOptions(seed: seed)
            o.coldStart.progress = false
            if let p = env["DPRM_CMP_PRESET"] { o.preset = p }
            if let x = i("DPRM_CMP_CS_ITERS") { o.coldStart.iterations = x }
            if let x = d("DPRM_CMP_CS_LR") { o.coldStart.lr = x }
            if let x = i("DPRM_CMP_CS_BATCH") { o.coldStart.batchSize = x }
            if let x = i("DPRM_CMP_ITERS") { o.reweight.iterations = x }
            if let x = d("DPRM_CMP_LR") { o.reweight.lr = x }
            if let x = i("DPRM_CMP_BATCH") { o.reweight.batchSize = x }
            if let x = i("DPRM_CMP_META_BATCH") { o.reweight.metaBatchSize = x }
            if let x = d("DPRM_CMP_TABLE_META_LR") { o.tableMetaLr = x }
            if let x = d("DPRM_CMP_NET_META_LR") { o.netMetaLr = x }
            if let x = d("DPRM_CMP_SOLVER") { o.data.solverErrorRate = x }
            if let x = i("DPRM_CMP_MAXVALUE") { o.data.maxValue = x }
            if let s = env["DPRM_CMP_AGG"] { o.aggregation = try Aggregation(name: s) }
            if let s = env["DPRM_CMP_COUNTS"] {  // clean,noisy,easy,shifted
                let c = s.split(separator: ",").compactMap { Int($0) }
                for k in o.data.domains.indices where k < c.count { o.data.domains[k].count = c[k] }
            }
            o.runTable = env["DPRM_CMP_NO_TABLE"] == nil
            o.runNet = env["DPRM_CMP_NO_NET"] == nil
            let r = try BuiltinBenchmark.compare(o)
            rows["No selection", default: []].append(r.baselines.first)
            rows["Self-consistency", default: []].append(r.baselines.selfConsistency)
            rows["Cold start", default: []].append(r.coldStart.bestOfN.accuracy)
            for m in r.methods {
                rows[m.method, default: []].append(m.bestOfN.accuracy)
                if let x = m.noisyToClean { ratios[m.method + " noisy/clean", default: []].append(x) }
                if let x = m.weightRatio("shifted", to: "clean") { ratios[m.method + " shifted/clean", default: []].append(x) }
            }
            rows["Oracle", default: []].append(r.baselines.oracle)
            times.append(r.totalSeconds)
        }
        print("=== \(seeds.count) seeds ===")
        for (k, v) in rows.sorted(by: { $0.key < $1.key }) {
            let mean = v.reduce(0, +) / Double(v.count)
            print(String(format: "%-20@ mean %.2f  min %.2f  max %.2f  %@", k as NSString, mean * 100, v.min()! * 100, v.max()! * 100,
                         v.map { String(format: "%.1f", $0 * 100) }.joined(separator: " ")))
        }
        for (k, v) in ratios.sorted(by: { $0.key < $1.key }) { print("\(k): \(v.map { String(format: "%.3f", $0) })") }
        print("wall times: \(times.map { String(format: "%.0f s", $0) })")
    }
}
