import Foundation
import XCTest
import Tensors
import Autodiff
@testable import NN
import Support

/// Timing of a MiniLM-L6-sized training step (6 layers, hidden 384, 12 heads, FFN 1536,
/// batch 8 x 128). A probe, not a timed test: it runs only with DPRM_NN_PERF=1 (use a release
/// build: `DPRM_NN_PERF=1 swift test -c release --filter PerformanceProbe`) and prints the figures.
final class PerformanceProbeTests: XCTestCase {
    func testMiniLMTrainingStepTiming() throws {
        guard ProcessInfo.processInfo.environment["DPRM_NN_PERF"] == "1" else {
            throw XCTSkip("set DPRM_NN_PERF=1 to run the MiniLM timing probe")
        }
        var rng = RandomGenerator(seed: 1)
        let config = TransformerConfig(hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536,
                                       hiddenDropoutProb: 0, attentionProbsDropoutProb: 0)
        let embed = Embedding(30522, 384, initialization: .bert, rng: &rng)
        let encoder = TransformerEncoder(config: config, rng: &rng)
        let head = Linear(384, 2, rng: &rng)
        let params = embed.namedParameters(prefix: "embeddings.") + encoder.namedParameters(prefix: "encoder.") + head.namedParameters(prefix: "head.")
        let opt = AdamW(params, lr: 1e-4)
        let ids = (0..<(8 * 128)).map { _ in rng.int(below: 30522) }
        let targets = (0..<(8 * 128)).map { _ in rng.int(below: 2) }
        func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        var forward: [Double] = [], step: [Double] = []
        for _ in 0..<3 {
            let t0 = clock()
            _ = noGrad { head(encoder(embed(ids, shape: [8, 128]))) }
            forward.append(clock() - t0)
            let t1 = clock()
            for (_, p) in params { p.grad = nil }
            let loss = Loss.crossEntropy(logits: head(encoder(embed(ids, shape: [8, 128]))), targets: targets)
            loss.backward()
            opt.step()
            step.append(clock() - t1)
        }
        print(String(format: "MiniLM probe: forward %.3f s, train step %.3f s (min of 3)", forward.min()!, step.min()!))
    }
}
