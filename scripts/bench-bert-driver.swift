// BERT forward throughput for scripts/bench-bert: loads the model (directory given as the first
// argument), runs batch 32 x 128 tokens under `noGrad` (fused inference path), prints one
// `RECORD {json}` line with the best time of several passes. The ids are the same formula as
// bench-bert-peer.py's, so both sides compute the same thing.
import Foundation
import Tensors
import Autodiff
import NN

@main
enum BertBench {
    static func main() throws {
        let args = CommandLine.arguments
        let dir = args.count > 1 ? args[1] : "minilm-l6-v2"
        let batch = 32, length = 128
        let rounds = Int(ProcessInfo.processInfo.environment["DPRM_BENCH_ROUNDS"] ?? "") ?? 7
        Tensor.setBLASThreads(2)
        let model = try BertModel.load(pathOrName: dir)
        var ids: [Int] = []
        for b in 0..<batch {
            for t in 0..<length { ids.append(t == 0 ? 101 : t == length - 1 ? 102 : 1000 + (t * 7919 + b * 104_729) % 20_000) }
        }
        let mask = [Int](repeating: 1, count: ids.count)
        var best = Double.infinity
        var checksum: Float = 0
        for round in 0..<(rounds + 2) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let h = noGrad { model(ids: ids, batch: batch, length: length, attentionMask: mask) }
            let s = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            checksum = h.value.storage.pointer[0] + h.value.storage.pointer[h.value.count - 1]
            if round >= 2 { best = Swift.min(best, s) }   // two warm-up passes
        }
        FileHandle.standardError.write("bench-bert: dprm best of \(rounds): \(best) s (\(Double(batch) / best) sentences/s), checksum \(checksum)\n".data(using: .utf8)!)
        print("RECORD {\"name\": \"bert_forward[32x128]\", \"dprm_s\": \(best)}")
    }
}
