// Bi-level cost for scripts/bench (issue 5, evidence item 3): one bi-level iteration with an
// Instance Table and darts (lower forward/backward/AdamW, meta forward/backward, two forward-only
// probes, upper AdamW) against one plain cold-start iteration (lower forward/backward/AdamW) on
// the same PRM preset, batch size and data. Both run through ReweightRun (the cold-start
// iteration is its lower-only `baseline` mode), so nothing but the upper level differs.
// Prints `RECORD {json}` with name `reweight_iteration_vs_coldstart`: dprm_s is the bi-level
// iteration, peer_s the cold-start iteration (ratio target <= 2.7).
import Foundation
import Support
import Tensors
import Datasets
import PRM
import Reweight

@main
struct ReweightBench {
    static func main() throws {
        let preset = ProcessInfo.processInfo.environment["DPRM_BENCH_PRESET"] ?? "small"
        let batchSize = 16, warmup = 3, measured = 20

        var config = ArithmeticBenchmark.Config(seed: 0, trainSize: 800)
        config.metaCount = 64
        config.testQuestions = 4
        let bench = ArithmeticBenchmark(config: config)
        let tokenizer = bench.makeTokenizer()

        /// Median seconds per iteration of a run of `warmup + measured` iterations.
        func secondsPerIteration(baseline: Bool) throws -> Double {
            let prm = try ProcessRewardModel(preset: preset, tokenizer: tokenizer, seed: 0)
            var options = ReweightOptions()
            options.iterations = warmup + measured
            options.batchSize = batchSize
            options.metaBatchSize = batchSize
            options.lr = 1e-3
            options.baseline = baseline
            options.snapshotEvery = options.iterations
            let run = try ReweightRun(prm: prm, weighting: try InstanceTable(instances: bench.train), train: bench.train,
                                      meta: bench.meta, options: options)
            var times: [Double] = []
            var last = Date()
            try run.run(progress: { _ in
                let now = Date()
                times.append(now.timeIntervalSince(last))
                last = now
            })
            let steady = times.dropFirst(warmup).sorted()
            return steady[steady.count / 2]
        }

        let coldStart = try secondsPerIteration(baseline: true)
        let bilevel = try secondsPerIteration(baseline: false)
        let record: [String: Any] = ["name": "reweight_iteration_vs_coldstart", "dprm_s": bilevel,
                                     "peer": "dprm cold-start iteration (\(preset) PRM, batch \(batchSize))", "peer_s": coldStart,
                                     "ratio": bilevel / coldStart]
        print("RECORD " + String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
    }
}
