import Foundation
import XCTest
import NN
import Tensors
import Datasets
import PRM
import Reweight
import Experiments
import Support

/// A measurement, not a check (skipped unless DPRM_PROBE=1; run in release): can the PRM learn to
/// check ONE arithmetic step? Instances are "Compute a+b." with the single step "a+b=c", where c
/// is right or a near miss (off by 1 or 2) with probability 1/2 each, labelled by correctness.
/// Prints the step AUROC on the training instances and on 500 fresh ones. Knobs:
/// DPRM_PROBE_POSITIONS (absolute | rotary), _ITERS, _BATCH, _N (training instances), _LR, and
/// DPRM_PROBE_SECOND_STEP=1 (correct instances get a second, correct step "c+d=e", as in the
/// multi-step benchmark; wrong ones stop at their first step). Results: docs/prm.md.
///
///     DPRM_PROBE=1 DPRM_TEST_TARGETS=ExperimentsTests swift test -c release -Xswiftc -enable-testing --filter testMeasureOneStepLearnability
final class LearnabilityProbeTests: XCTestCase {
    func testMeasureOneStepLearnability() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["DPRM_PROBE"] == "1" else { throw XCTSkip("set DPRM_PROBE=1 to run the one-step learnability measurement") }
        func knob(_ name: String, _ fallback: Int) -> Int { env["DPRM_PROBE_" + name].flatMap(Int.init) ?? fallback }
        let secondStep = env["DPRM_PROBE_SECOND_STEP"] == "1"
        var rng = RandomGenerator(seed: 7)
        func instances(_ count: Int) -> [PRMInstance] {
            (0..<count).map { k in
                var a = 0, b = 0, c = 0, op = "+"
                repeat {
                    a = Int(rng.next() % 10)
                    op = ["+", "-", "*"][Int(rng.next() % 3)]
                    b = op == "*" ? 2 + Int(rng.next() % 2) : 1 + Int(rng.next() % 9)
                    c = op == "+" ? a + b : (op == "-" ? a - b : a * b)
                } while c < 0 || c > 20
                let correct = rng.next() % 2 == 0
                var shown = c
                if !correct { repeat { shown = c + [-2, -1, 1, 2][Int(rng.next() % 4)] } while shown < 0 || shown > 20 }
                var steps = ["\(a)\(op)\(b)=\(shown)"], labels: [Float] = [correct ? 1 : 0]
                if secondStep && correct {
                    let d = 1 + Int(rng.next() % 3)
                    steps.append("\(c)+\(d)=\(c + d)")
                    labels.append(1)
                }
                return PRMInstance(id: "probe-\(k)", systemPrompt: "Check each step.", question: "Compute \(a)\(op)\(b).",
                                   steps: steps, labels: labels)
            }
        }
        let train = instances(knob("N", 8000)), held = instances(500)
        let corpus = (train + held).flatMap { [$0.question, $0.systemPrompt] + $0.steps } + ["system\n", "user\n", "assistant\n", "+", "-"]
        let tokenizer = WordTokenizer.train(corpus: corpus, maxVocabulary: 512, minFrequency: 1)
        var config = try PRMConfig.preset("small")
        if let p = env["DPRM_PROBE_POSITIONS"] { config.positionEmbeddingType = try XCTUnwrap(PositionEmbeddingType(rawValue: p)) }
        let prm = ProcessRewardModel(config: config, tokenizer: tokenizer, seed: 1)
        var options = BuiltinBenchmark.defaultColdStart
        options.iterations = knob("ITERS", 1000)
        options.batchSize = knob("BATCH", 64)
        if let lr = env["DPRM_PROBE_LR"].flatMap(Double.init) { options.lr = lr }
        options.progress = false
        let start = Date()
        let result = try coldStart(prm, train: train, options: options)
        func firstStepAUROC(_ set: [PRMInstance]) -> Double {
            let scores = prm.stepScores(set.map { prm.template($0) }).map { $0[0] }
            return auroc(scores, set.map { $0.labels[0] > 0.5 }) ?? .nan
        }
        print(String(format: "one-step probe: positions %@, %d steps x batch %d, second step %@: train AUROC %.3f, held-out AUROC %.3f, last-50 loss %.3f, %.0f s",
                     config.positionEmbeddingType.rawValue, options.iterations, options.batchSize, secondStep ? "yes" : "no",
                     firstStepAUROC(Array(train.prefix(500))), firstStepAUROC(held), result.history.meanLoss(last: 50),
                     Date().timeIntervalSince(start)))
    }
}
