// Cold-start training step of a SmolLM2-135M-sized llama PRM backbone for scripts/bench
// (issue 16): batch 8 x 256 tokens, 8 label positions per row, the top 4 of 30 blocks, the final
// norm trainable (the head is tied to the frozen embeddings, so it stays frozen), AdamW. The loss
// is the PRM's: log-softmax over the whole vocabulary at the label positions only (the LM head is
// applied to those 64 rows, never to [8, 256, 49152]), cross-entropy of p(+) / p(-) against the
// labels (ProcessRewardModel.perInstanceLoss's arithmetic). Weights are random (seeded): the time
// does not depend on their values. Prints `RECORD {json}` lines:
//
//   llm_coldstart_step_top4            median step with the frozen-activation cache warm (the
//                                      frozen 26 blocks' outputs of the batch are read, not computed)
//   llm_coldstart_step_top4_uncached   median step computing the frozen blocks every time
//   llm_coldstart_step_top4_filecache  median step with the frozen outputs read from a warm
//                                      memory-mapped cache file (cache_path); also prints the
//                                      time of opening it (the frozen weights' fingerprint)
//   llm_coldstart_step_top4_peak_rss   peak resident memory (VmHWM) of a child process that builds
//                                      the model, resets the mark, then runs three cached steps
//                                      (bytes in *_s)
//   llm_lora_step_top4                 LoRA (rank 8, alpha 16, q/k/v/o/gate/up/down of the top 4
//                                      blocks, their base weights frozen), cached; no peer
//   llm_lora_step_top4_peak_rss        the same child-process memory figure for the LoRA step
//
// The peer timings come from llama_step_peer.py (transformers' LlamaModel with the same config,
// the bottom 26 blocks and the embeddings frozen with requires_grad False, same loss, 2 threads).
import Foundation
import Support
import Tensors
import Autodiff
import NN
import PRM

let batch = 8, tokens = 256, labelsPerRow = 8, trainable = 4
let plusID = 28, minusID = 29

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// CPU time of this process (all threads), seconds: on a machine shared with other jobs the wall
/// time varies with their load, the CPU time much less.
func cpuTime() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print("RECORD " + String(decoding: data, as: UTF8.self))
}

/// Peak resident set size of this process in bytes (VmHWM).
func peakRSS() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) * 1024
    }
    return 0
}

let config = LlamaConfig(architecture: .llama, vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536,
                         numHiddenLayers: 30, numAttentionHeads: 9, numKeyValueHeads: 3, rmsNormEps: 1e-5,
                         ropeTheta: 100_000, maxPositionEmbeddings: 8192, tieWordEmbeddings: true)

/// The backbone with the top blocks trainable (and LoRA adapters on them when `lora`), the
/// optimiser over what trains, and one step.
struct Setup {
    let backbone: LlamaPRMBackbone
    let optimizer: Adam
    let ids: [Int]
    let rows: [Int]
    let labels: [Float]

    /// Seconds `useFrozenCache` took (the fingerprint of the frozen weights, opening the file).
    let cacheOpenSeconds: Double

    init(cached: Bool, lora: Bool, cacheFile: String? = nil) throws {
        let model = LlamaModel(config: config, seed: 1)
        backbone = try LlamaPRMBackbone(copying: model, source: "random", maxLength: tokens, trainableLayers: trainable)
        let t0 = now()
        if cached { try backbone.useFrozenCache(limitBytes: 1 << 30, path: cacheFile) }
        cacheOpenSeconds = now() - t0
        var parameters = backbone.trainableNamedParameters
        if lora {
            let top = Array((config.numHiddenLayers - trainable)..<config.numHiddenLayers)
            try backbone.decoder.attachLoRA(rank: 8, alpha: 16, blocks: top, seed: 3)
            parameters = backbone.adapterParameters()
            for (_, p) in backbone.trainableNamedParameters where !parameters.contains(where: { $0.1 === p }) { p.requiresGrad = false }
        }
        backbone.train()
        optimizer = AdamW(parameters, lr: 1e-5)
        var rng = RandomGenerator(seed: 2)
        ids = (0..<(batch * tokens)).map { _ in rng.int(below: config.vocabSize) }
        rows = (0..<batch).flatMap { b in (0..<labelsPerRow).map { j in b * tokens + (j + 1) * (tokens / labelsPerRow) - 1 } }
        labels = rows.map { _ in rng.int(below: 2) == 0 ? 0 : 1 }
    }

    func step() -> Float {
        optimizer.zeroGrad()
        let h = backbone.hidden(ids: ids, batch: batch, length: tokens, lengths: Array(repeating: tokens, count: batch))
            .reshaped([batch * tokens, config.hiddenSize])
        let logits = backbone.stepLogits(h.indexSelect(axis: 0, indices: rows))            // [64, vocab]
        let logp = logits.logSoftmax().indexSelect(axis: 1, indices: [plusID, minusID])   // [64, 2]
        let n = Float(rows.count)
        let coefficients = labels.flatMap { y in [-y / n, -(1 - y) / n] }
        let loss = (logp * Variable(Tensor(shape: [rows.count, 2], scalars: coefficients))).sum()
        loss.backward()
        optimizer.step()
        return loss.value.item
    }
}

@main
enum LlamaStepBench {
    static func main() throws {
        let env = ProcessInfo.processInfo.environment
        let runs = Int(env["DPRM_LLAMA_RUNS"] ?? "") ?? 3
        if let mode = env["DPRM_LLAMA_STEP_MODE"] {
            // Child process for the memory figure: build, run a few steps, report the peak.
            let setup = try Setup(cached: true, lora: mode == "rss_lora")
            // Reset the high-water mark once the model is built: building it briefly holds two
            // copies of the weights (the random model and the backbone's own copy), which is not
            // the step's memory; malloc_trim first hands the freed copy back to the system (the
            // allocator would otherwise keep its pages resident for reuse). Writing 5 to
            // clear_refs resets VmHWM (Linux 4.0 and later).
            typealias MallocTrim = @convention(c) (Int) -> Int32
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
                _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
            }
            try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
            for _ in 0..<3 { _ = setup.step() }
            print("PEAK_RSS \(peakRSS())")
            return
        }
        let only = env["DPRM_BENCH_ONLY"]
        func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

        func timeSteps(_ name: String, cached: Bool, lora: Bool, cacheFile: String? = nil) throws {
            guard wanted(name) else { return }
            let setup = try Setup(cached: cached, lora: lora, cacheFile: cacheFile)
            if cached { print(String(format: "%@: opening the frozen-output cache took %.3f s", name, setup.cacheOpenSeconds)) }
            let first = setup.step()   // warm-up (and, cached, the visit that fills the cache)
            var times: [Double] = [], cpu: [Double] = []
            var loss: Float = first
            for _ in 0..<runs {
                let (t0, c0) = (now(), cpuTime())
                loss = setup.step()
                times.append(now() - t0)
                cpu.append(cpuTime() - c0)
            }
            print(String(format: "%@: median %.3f s of %d (%@); CPU time median %.3f s; loss %.4f -> %.4f", name, median(times), runs,
                         times.map { String(format: "%.3f", $0) }.joined(separator: ", "), median(cpu), first, loss))
            emit(["name": name, "dprm_s": median(times), "dprm_cpu_s": median(cpu)])
        }
        try timeSteps("llm_coldstart_step_top4", cached: true, lora: false)
        try timeSteps("llm_coldstart_step_top4_uncached", cached: false, lora: false)
        try timeSteps("llm_lora_step_top4", cached: true, lora: true)
        let cacheFile = NSTemporaryDirectory() + "dprm-bench-frozen-\(getpid()).cache"
        defer { unlink(cacheFile) }
        try timeSteps("llm_coldstart_step_top4_filecache", cached: true, lora: false, cacheFile: cacheFile)

        for (name, mode) in [("llm_coldstart_step_top4_peak_rss", "rss"), ("llm_lora_step_top4_peak_rss", "rss_lora")] where wanted(name) {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            var childEnv = env
            childEnv["DPRM_LLAMA_STEP_MODE"] = mode
            child.environment = childEnv
            let pipe = Pipe()
            child.standardOutput = pipe
            try child.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("PEAK_RSS ") }),
               let bytes = Double(line.dropFirst("PEAK_RSS ".count)) {
                print(String(format: "%@: %.0f MB", name, bytes / 1e6))
                emit(["name": name, "dprm_s": bytes, "unit": "bytes"])
            }
        }
    }
}
