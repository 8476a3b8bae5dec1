// Transformer benchmarks for scripts/bench (issue 2, performance items 1 and 3): a MiniLM-L6
// sized BERT-style classifier (word + position embeddings and LayerNorm, 6 post-norm layers,
// hidden 384, 12 heads, FFN 1536, GELU erf, vocab 30522, dropout 0), batch 8 x 128 tokens, a
// 2-way head on the [CLS] position, cross-entropy. Prints `RECORD {json}` lines:
//
//   sgemm_rate               raw cblas_sgemm on the FFN shape [1024x384]x[384x1536] (GFLOP/s field)
//   transformer_forward      forward only, no graph (noGrad), median of several runs after warmup
//   transformer_train_step   forward + backward + AdamW step, median after warmup
//   transformer_peak_rss     peak resident memory (VmHWM) of a process doing only training steps
//
// The peer timings come from transformer_peer.py (same model in PyTorch, 2 threads). The peak
// RSS is measured in a child process of this driver (`DPRM_TRANSFORMER_MODE=rss`), so the
// timing runs do not inflate it.
import CBLAS
import Foundation
import Support
import Tensors
import Autodiff
import NN

let batch = 8, tokens = 128, hidden = 384, layers = 6, heads = 12, ffn = 1536, vocab = 30522

/// The benchmark model: BERT embeddings (word + position, LayerNorm), the encoder, a 2-way head on [CLS].
final class Classifier: Module {
    let word: Embedding
    let position: Embedding
    let norm: LayerNorm
    let encoder: TransformerEncoder
    let head: Linear

    init(rng: inout RandomGenerator) {
        let config = TransformerConfig(hiddenSize: hidden, numHiddenLayers: layers, numAttentionHeads: heads,
                                       intermediateSize: ffn, hiddenAct: "gelu", hiddenDropoutProb: 0,
                                       attentionProbsDropoutProb: 0, layerNormEps: 1e-12)
        word = Embedding(vocab, hidden, initialization: .bert, rng: &rng)
        position = Embedding(512, hidden, initialization: .bert, rng: &rng)
        norm = LayerNorm(hidden, eps: 1e-12)
        encoder = TransformerEncoder(config: config, rng: &rng)
        head = Linear(hidden, 2, rng: &rng)
        super.init()
        child("word_embeddings", word)
        child("position_embeddings", position)
        child("LayerNorm", norm)
        child("encoder", encoder)
        child("head", head)
    }

    func callAsFunction(_ ids: [Int]) -> Variable {
        let w = word(ids, shape: [batch, tokens])
        let p = position(Array(0..<tokens), shape: [1, tokens])
        let h = encoder(norm(w + p))
        return head(h.selecting(axis: 1, index: 0))
    }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Peak resident set size of this process in bytes (VmHWM).
func peakRSS() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}

/// Matmul FLOPs of one forward pass (2 per multiply-add): the six projections per layer and the
/// two attention products; the head and elementwise work are not counted.
let forwardFlops: Double = {
    let n = Double(batch * tokens), c = Double(hidden), f = Double(ffn), t = Double(tokens)
    let perLayer = 2 * n * c * c * 4 + 2 * n * c * f * 2 + 2 * Double(batch) * t * t * c * 2
    return perLayer * Double(layers)
}()

func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print("RECORD " + String(decoding: data, as: UTF8.self))
}

@main
enum TransformerBench {
    static func main() {
        let env = ProcessInfo.processInfo.environment
        let runs = Int(env["DPRM_TRANSFORMER_RUNS"] ?? "") ?? 7
        var rng = RandomGenerator(seed: 1)
        let model = Classifier(rng: &rng)
        let optimizer = AdamW(model.namedParameters(), lr: 1e-4)
        let ids = (0..<(batch * tokens)).map { i in i % tokens == 0 ? 101 : rng.int(below: vocab) }
        let targets = (0..<batch).map { _ in rng.int(below: 2) }

        func trainStep() -> Float {
            optimizer.zeroGrad()
            let loss = Loss.crossEntropy(logits: model(ids), targets: targets)
            loss.backward()
            optimizer.step()
            return loss.value.item
        }

        if env["DPRM_TRANSFORMER_MODE"] == "rss" {
            for _ in 0..<3 { _ = trainStep() }
            print("PEAK_RSS \(peakRSS())")
            return
        }
        if env["DPRM_TRANSFORMER_MODE"] == "phases" {
            // Diagnostics: the training step split into forward (recording), backward and AdamW.
            var f: [Double] = [], b: [Double] = [], o: [Double] = []
            for _ in 0..<(runs + 1) {
                optimizer.zeroGrad()
                let t0 = now()
                let loss = Loss.crossEntropy(logits: model(ids), targets: targets)
                let t1 = now()
                loss.backward()
                let t2 = now()
                optimizer.step()
                let t3 = now()
                f.append(t1 - t0); b.append(t2 - t1); o.append(t3 - t2)
            }
            print(String(format: "phases (median): forward %.1f ms, backward %.1f ms, AdamW %.1f ms",
                         median(f) * 1e3, median(b) * 1e3, median(o) * 1e3))
            return
        }
        let only = env["DPRM_BENCH_ONLY"]
        func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

        // Raw sgemm rate on the FFN product shape, best of several calls.
        var sgemmRate = 0.0
        do {
            let m = batch * tokens, k = hidden, n = ffn
            let a = Tensor.randn([m, k], rng: &rng), b = Tensor.randn([k, n], rng: &rng)
            let c = Tensor(uninitializedShape: [m, n])
            var best = Double.infinity
            for _ in 0..<30 {
                let t0 = now()
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                            a.basePointer, Int32(k), b.basePointer, Int32(n), 0, c.basePointer, Int32(n))
                best = Swift.min(best, now() - t0)
            }
            sgemmRate = 2 * Double(m * n * k) / best * 1e-9
            print(String(format: "sgemm [%dx%d]x[%dx%d]: %.1f GFLOP/s", m, k, k, n, sgemmRate))
            emit(["name": "sgemm_rate", "dprm_s": best, "gflops": sgemmRate])
        }

        if wanted("transformer_forward") {
            var times: [Double] = []
            for i in 0..<(runs + 2) {
                let t0 = now()
                let logits = noGrad { model(ids) }
                let t = now() - t0
                if logits.value.count < 0 { print(logits.value) }
                if i >= 2 { times.append(t) }
            }
            let t = median(times)
            let rate = forwardFlops / t * 1e-9
            print(String(format: "transformer forward: %.1f ms, %.1f GFLOP/s (%.0f%% of sgemm)", t * 1e3, rate, 100 * rate / sgemmRate))
            emit(["name": "transformer_forward", "dprm_s": t, "gflops": rate, "sgemm_gflops": sgemmRate,
                  "fraction_of_sgemm": rate / sgemmRate])
        }

        if wanted("transformer_train_step") {
            var times: [Double] = []
            var loss: Float = 0
            for i in 0..<(runs + 2) {
                let t0 = now()
                loss = trainStep()
                let t = now() - t0
                if i >= 2 { times.append(t) }
            }
            let t = median(times)
            let rate = 3 * forwardFlops / t * 1e-9
            print(String(format: "transformer train step: %.1f ms, %.1f GFLOP/s (%.0f%% of sgemm), loss %.4f", t * 1e3, rate, 100 * rate / sgemmRate, loss))
            emit(["name": "transformer_train_step", "dprm_s": t, "gflops": rate, "sgemm_gflops": sgemmRate,
                  "fraction_of_sgemm": rate / sgemmRate])
        }

        if wanted("transformer_peak_rss") {
            // A fresh process doing only training steps, so the figure is the training step's own.
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            var childEnv = env
            childEnv["DPRM_TRANSFORMER_MODE"] = "rss"
            child.environment = childEnv
            let pipe = Pipe()
            child.standardOutput = pipe
            do {
                try child.run()
                let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                child.waitUntilExit()
                if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("PEAK_RSS ") }),
                   let bytes = Double(line.dropFirst("PEAK_RSS ".count)) {
                    print(String(format: "transformer training peak RSS: %.0f MB", bytes / 1e6))
                    // Bytes in the *_s fields, so the joined ratio is dprm/peer memory.
                    emit(["name": "transformer_peak_rss", "dprm_s": bytes, "unit": "bytes"])
                }
            } catch {
                print("transformer_peak_rss: cannot run \(CommandLine.arguments[0]): \(error)")
            }
        }
    }
}
