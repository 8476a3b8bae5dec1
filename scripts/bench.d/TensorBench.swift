// Tensor-kernel benchmarks for scripts/bench: times dprm's Tensor ops on MiniLM-sized
// workloads and prints one `RECORD {json}` line per measurement (scripts/bench joins them with
// the peer timings of tensor_peer.py and computes the ratios). Also measures 1024x1024 sgemm
// through `Tensor.matmul` against raw `cblas_sgemm` in the same process.
import CBLAS
import Foundation
import Support
import Tensors

/// Seconds per call: the best of `rounds` rounds, each the mean over enough calls to last ~`target` s.
func measure(rounds: Int = 9, target: Double = 0.02, _ body: () -> Void) -> Double {
    body(); body()
    var calls = 1
    var t0 = DispatchTime.now().uptimeNanoseconds
    body()
    var once = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
    if once <= 0 { once = 1e-7 }
    calls = Swift.max(1, Swift.min(10_000, Int(target / once)))
    var best = Double.infinity
    for _ in 0..<rounds {
        t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { body() }
        let t = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 / Double(calls)
        best = Swift.min(best, t)
    }
    return best
}

func record(_ name: String, _ seconds: Double, peer: String? = nil, peerSeconds: Double? = nil) {
    var fields = ["\"name\": \"\(name)\"", "\"dprm_s\": \(seconds)"]
    if let peer, let peerSeconds {
        fields += ["\"peer\": \"\(peer)\"", "\"peer_s\": \(peerSeconds)", "\"ratio\": \(seconds / peerSeconds)"]
    }
    print("RECORD {\(fields.joined(separator: ", "))}")
}

let only = ProcessInfo.processInfo.environment["DPRM_BENCH_ONLY"]
func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

@inline(never) func keep(_ t: Tensor) { if t.count < 0 { print(t) } }

@main
enum TensorBench {
    static func main() {
        var rng = RandomGenerator(seed: 1)

        // 1. sgemm 1024^3: Tensor.matmul against the raw BLAS call on the same buffers.
        if wanted("sgemm") {
            let n = 1024
            let a = Tensor.randn([n, n], rng: &rng), b = Tensor.randn([n, n], rng: &rng)
            let c = Tensor(uninitializedShape: [n, n])
            // Single calls, alternating, best of many: robust to other load on the machine.
            func time(_ body: () -> Void) -> Double {
                let t0 = DispatchTime.now().uptimeNanoseconds
                body()
                return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            }
            var raw = Double.infinity, api = Double.infinity
            for _ in 0..<25 {
                raw = Swift.min(raw, time {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                                a.basePointer, Int32(n), b.basePointer, Int32(n), 0, c.basePointer, Int32(n))
                })
                api = Swift.min(api, time { keep(a.matmul(b)) })
            }
            let flops = 2 * pow(Double(n), 3)
            print(String(format: "sgemm 1024: Tensor.matmul %.2f ms (%.1f GFLOP/s), cblas_sgemm %.2f ms (%.1f GFLOP/s); throughput ratio %.3f, time ratio %.3f",
                         api * 1e3, flops / api * 1e-9, raw * 1e3, flops / raw * 1e-9, raw / api, api / raw))
            record("sgemm_1024.tensor_vs_cblas", api, peer: "cblas_sgemm", peerSeconds: raw)
            let tb = b.transposed().contiguous()
            record("sgemm_1024.transposed_rhs", measure(rounds: 3, target: 0.3) { keep(a.matmul(tb.transposed())) })
        }

        // 2. Kernels at MiniLM sizes: 8 x 128 tokens, hidden 384, FFN 1536, 12 heads of 32.
        let tokens = 8 * 128
        let hidden = Tensor.randn([tokens, 384], rng: &rng)
        let ffn = Tensor.randn([tokens, 1536], rng: &rng)
        let ffn2 = Tensor.randn([tokens, 1536], rng: &rng)
        let bias = Tensor.randn([1536], rng: &rng)
        let perRow = Tensor.randn([tokens, 1], rng: &rng)
        let scores = Tensor.randn([8, 12, 128, 128], rng: &rng)
        let heads = Tensor.randn([8, 128, 12, 32], rng: &rng)
        let q = Tensor.randn([8, 12, 128, 32], rng: &rng)
        let weight = Tensor.randn([1536, 384], rng: &rng)

        let kernels: [(String, () -> Tensor)] = [
            ("add_same[1024x1536]", { ffn + ffn2 }),
            ("add_bias[1024x1536]", { ffn + bias }),
            ("mul_rows[1024x1536]", { ffn * perRow }),
            ("mul_scalar[1024x1536]", { ffn * 0.5 }),
            ("exp[1024x1536]", { ffn.exp() }),
            ("gelu[1024x1536]", { ffn.gelu() }),
            ("softmax[8x12x128x128]", { scores.softmax() }),
            ("log_softmax[1024x1536]", { ffn.logSoftmax() }),
            ("layer_norm[1024x384]", { hidden.layerNormalized(eps: 1e-12).normalized }),
            ("sum_last[1024x1536]", { ffn.sum(axes: [-1]) }),
            ("sum_batch[1024x1536]", { ffn.sum(axes: [0]) }),
            ("sum_to_bias[8x128x1536]", { ffn.reshaped([8, 128, 1536]).sumToShape([1536]) }),
            ("max_last[1024x1536]", { ffn.max(axes: [-1]) }),
            ("permute_copy[8x128x12x32]", { heads.permuted([0, 2, 1, 3]).contiguous() }),
            ("transpose_copy[1024x1536]", { ffn.transposed().contiguous() }),
            ("bmm_scores[8x12x128x32]", { q.matmul(q.transposed()) }),
            ("linear[1024x384]x[1536x384]^T", { hidden.matmul(weight.transposed()) }),
            ("linear_grad_w[1024x1536]^Tx[1024x384]", { ffn.transposed().matmul(hidden) }),
        ]
        // Filtered by the record's full name, so DPRM_BENCH_ONLY=tensor selects them all.
        for (name, op) in kernels where wanted("tensor.\(name)") {
            record("tensor.\(name)", measure { keep(op()) })
        }
    }
}
