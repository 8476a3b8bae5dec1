// Llama benchmark for scripts/bench (issue 16): one forward pass of a SmolLM2-135M-sized llama
// decoder (30 blocks, hidden 576, 9 query / 3 key-value heads, SwiGLU 1536, vocab 49152, tied
// head) at batch 8 x 256 tokens, logits for every position, no graph (noGrad). Weights are
// random (seeded): the time does not depend on their values, and the benchmark then needs no
// model file. Prints `RECORD {json}` lines:
//
//   llama_forward_8x256      median of several passes after a warm-up pass
//
// The peer timing comes from llama_peer.py (transformers' LlamaForCausalLM with the same config,
// float32, 2 threads, torch.no_grad).
import Foundation
import Tensors
import Autodiff
import NN
import Support

let batch = 8, tokens = 256

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

@main
enum LlamaBench {
    static func main() {
        let env = ProcessInfo.processInfo.environment
        let only = env["DPRM_BENCH_ONLY"]
        guard only.map({ "llama_forward_8x256".contains($0) }) ?? true else { return }
        let runs = Int(env["DPRM_LLAMA_RUNS"] ?? "") ?? 3
        let config = LlamaConfig(architecture: .llama, vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536,
                                 numHiddenLayers: 30, numAttentionHeads: 9, numKeyValueHeads: 3, rmsNormEps: 1e-5,
                                 ropeTheta: 100_000, maxPositionEmbeddings: 8192, tieWordEmbeddings: true)
        let model = LlamaModel(config: config, seed: 1)
        model.eval()
        var rng = RandomGenerator(seed: 2)
        let ids = (0..<(batch * tokens)).map { _ in rng.int(below: config.vocabSize) }
        func pass() -> (wall: Double, cpu: Double) {
            let (t0, c0) = (now(), cpuTime())
            let logits = noGrad { model.logits(ids: ids, batch: batch, length: tokens) }
            precondition(logits.shape == [batch, tokens, config.vocabSize])
            return (now() - t0, cpuTime() - c0)
        }
        _ = pass()
        var times: [Double] = [], cpu: [Double] = []
        for _ in 0..<runs { let p = pass(); times.append(p.wall); cpu.append(p.cpu) }
        print(String(format: "llama forward 8x256 (SmolLM2-135M sizes): median %.3f s of %d (%@); CPU time median %.3f s",
                     median(times), runs, times.map { String(format: "%.3f", $0) }.joined(separator: ", "), median(cpu)))
        emit(["name": "llama_forward_8x256", "dprm_s": median(times)])
    }
}
