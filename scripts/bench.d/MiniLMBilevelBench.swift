// Bi-level iteration on a MiniLM-sized PRM for scripts/bench (issue 17, section 3), against Betty +
// PyTorch on the same model (scripts/bench.d/minilm_bilevel_peer.py, run by scripts/bench in the
// same invocation). The PRM is dprm's BERT-backbone PRM on all-MiniLM-L6-v2 (6 layers, hidden
// 384, 12 heads, FFN 1536, vocabulary 30,522; causal mask, tied head + vocabulary bias, the
// full-vocabulary softmax at the label positions; dropout 0.1 in training mode), every parameter
// trained. One iteration is ReweightRun's: an Instance Table (Clip) with darts, AdamW on both
// levels (transformers' variant, eps 1e-6), gradient clipping 1.0 on both, lower batch 8 and
// meta batch 8, every conversation templated to exactly 128 tokens with LABELS steps (so the
// batch is 8 x 128 with 8 x LABELS label positions, as the peer's). The meta loss is the
// reference's `both` with mean aggregation.
//
// Records (median of MEASURED iterations after WARMUP; dprm_cpu_s is the process CPU time of the
// same iterations, all threads):
//   bilevel_iteration_minilm  dprm bi-level iteration (peer: Betty's, from the peer script)
//   plain_iteration_minilm    dprm lower-only iteration (ReweightRun baseline: the same lower
//                             step without the upper level; peer: the same torch step)
// Prints a note and no record when the model is not found (scripts/fetch-models minilm-l6-v2,
// or ../shared/models).
import Foundation
import Support
import Tensors
import Datasets
import PRM
import Reweight

@main
struct MiniLMBilevelBench {
    static let tokens = 128, labels = 4, batch = 8, warmup = 2, measured = 5

    static func main() throws {
        let only = ProcessInfo.processInfo.environment["DPRM_BENCH_ONLY"]
        let names = ["bilevel_iteration_minilm", "plain_iteration_minilm"]
        if let only, !only.isEmpty, !names.contains(where: { $0.contains(only) }) { return }
        let model: PretrainedModel
        do {
            model = try loadModel(path: "minilm-l6-v2")
        } catch {
            print("bench: note: bilevel_iteration_minilm skipped: \(error)")
            return
        }
        let prm = try ProcessRewardModel(pretrained: model, seed: 0, maxLength: tokens)
        // Training mode, as the peer's model (`PRM().train()`): dropout 0.1 on the hidden states
        // and the attention probabilities in every forward of the iteration. (A PRM starts in eval
        // mode and ReweightRun leaves the mode as it finds it, so without this the dprm side ran
        // without dropout while Betty's ran with it.) The copies below keep the mode.
        prm.network.train()
        let train = try instances(prm, count: 64)
        let meta = train.enumerated().map { k, x -> MetaInstance in
            var m = MetaInstance(stepLabelled: x)
            m.label = k % 2 == 0
            m.stepLabels = nil
            return m
        }
        for m in meta.prefix(4) {
            let t = prm.template(m)
            precondition(t.tokens.count == tokens && t.labelPositions.count == labels, "meta instance templated to \(t.tokens.count) tokens")
        }

        /// Median seconds per iteration of `warmup + measured` iterations, on a fresh copy of the PRM.
        func secondsPerIteration(baseline: Bool) throws -> (wall: Double, cpu: Double) {
            var options = ReweightOptions()
            options.iterations = warmup + measured
            options.batchSize = batch
            options.metaBatchSize = batch
            options.baseline = baseline
            options.snapshotEvery = options.iterations
            let run = try ReweightRun(prm: try prm.copy(), weighting: try InstanceTable(instances: train), train: train,
                                      meta: meta, options: options)
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

        let plain = try secondsPerIteration(baseline: true)
        let bilevel = try secondsPerIteration(baseline: false)
        for (name, seconds) in [("plain_iteration_minilm", plain), ("bilevel_iteration_minilm", bilevel)] {
            let record: [String: Any] = ["name": name, "dprm_s": seconds.wall, "dprm_cpu_s": seconds.cpu]
            print("RECORD " + String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
        }
        print("bench: dprm MiniLM PRM: plain iteration \(String(format: "%.3f", plain.wall)) s (CPU \(String(format: "%.3f", plain.cpu)) s), bi-level \(String(format: "%.3f", bilevel.wall)) s (CPU \(String(format: "%.3f", bilevel.cpu)) s)")
    }

    /// `count` training instances, each templated to exactly `tokens` tokens with `labels` steps:
    /// short steps, then the question padded with words until the length is reached (a word is
    /// one or more WordPiece tokens, so the last words are chosen to land on it exactly).
    static func instances(_ prm: ProcessRewardModel, count: Int) throws -> [PRMInstance] {
        let words = ["the", "sum", "of", "two", "and", "three", "is", "five", "so", "we", "add", "one", "more", "then", "check"]
        return try (0..<count).map { k in
            let steps = (0..<labels).map { j in "step \(j + 1): \(words[(k + j) % words.count]) \(k + j)" }
            let labelValues: [Float] = (0..<labels).map { j in (k + j) % 3 == 0 ? 0 : 1 }
            var question = "question \(k):"
            func length(_ q: String) -> Int {
                prm.template(PRMInstance(id: "i\(k)", systemPrompt: "Check each step.", question: q, steps: steps, labels: labelValues)).tokens.count
            }
            var w = 0
            while length(question) < tokens {
                let next = question + " " + words[(k + w) % words.count]
                if length(next) > tokens {
                    // The word would overshoot: pad with "a" (one token) instead.
                    question += " a"
                } else {
                    question = next
                }
                w += 1
            }
            let x = PRMInstance(id: "i\(k)", systemPrompt: "Check each step.", question: question, steps: steps, labels: labelValues)
            let t = prm.template(x)
            guard t.tokens.count == tokens, t.labelPositions.count == labels else {
                throw PRMError.invalidOption("bench instance \(k) templated to \(t.tokens.count) tokens and \(t.labelPositions.count) labels")
            }
            return x
        }
    }
}

/// User + system CPU seconds of this process, all threads: on a shared machine the wall time
/// mostly measures the other jobs, the CPU time much less so (records carry both).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)  // Glibc imports the constant as an enum
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
