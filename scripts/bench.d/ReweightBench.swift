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
        func secondsPerIteration(baseline: Bool) throws -> (wall: Double, cpu: Double) {
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
            var times: [Double] = [], cpu: [Double] = []
            var last = Date(), lastCPU = processCPUSeconds()
            try run.run(progress: { _ in
                let now = Date(), nowCPU = processCPUSeconds()
                times.append(now.timeIntervalSince(last))
                cpu.append(nowCPU - lastCPU)
                last = now
                lastCPU = nowCPU
            })
            let steady = times.dropFirst(warmup).sorted(), steadyCPU = cpu.dropFirst(warmup).sorted()
            return (steady[steady.count / 2], steadyCPU[steadyCPU.count / 2])
        }

        let coldStart = try secondsPerIteration(baseline: true)
        let bilevel = try secondsPerIteration(baseline: false)
        let record: [String: Any] = ["name": "reweight_iteration_vs_coldstart", "dprm_s": bilevel.wall,
                                     "peer": "dprm cold-start iteration (\(preset) PRM, batch \(batchSize))", "peer_s": coldStart.wall,
                                     "ratio": bilevel.wall / coldStart.wall,
                                     "dprm_cpu_s": bilevel.cpu, "peer_cpu_s": coldStart.cpu, "cpu_ratio": bilevel.cpu / coldStart.cpu]
        print("RECORD " + String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
    }
}

/// User + system CPU seconds of this process, all threads: on a shared machine the wall time
/// mostly measures the other jobs, the CPU time much less so (records carry both).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)  // Glibc imports the constant as an enum
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
