import XCTest
import Foundation
import Tensors
import Autodiff
import Datasets
@testable import PRM

/// The auxiliary language-model loss of `ProcessRewardModel.forward` and the cold start (its use
/// in a reweighting run's lower level: `ReweightingRunTests`).
final class LanguageModelLossTests: XCTestCase {
    /// Three training instances of different lengths (so the batch is padded).
    func batch(_ prm: ProcessRewardModel) -> [TemplatedInstance] {
        let train = PRMFixture.benchmark.train
        let sorted = train.sorted { $0.steps.count < $1.steps.count }
        return [sorted.first!, sorted[sorted.count / 2], sorted.last!].map { prm.template($0) }
    }

    /// The batched loss equals the mean over every text position of every instance of
    /// -log softmax(logits)[next token], computed one unpadded instance at a time in Double.
    func testLossIsTheMeanNextTokenCrossEntropyOverTextPositions() throws {
        let prm = PRMFixture.tinyPRM(seed: 4)
        let templated = batch(prm)
        XCTAssertNotEqual(Set(templated.map(\.tokens.count)).count, 1, "instances of different lengths")
        let f = noGrad { prm.forward(templated, languageModel: true) }
        var total = 0.0, rows = 0
        for inst in templated {
            let n = inst.tokens.count
            let logits = noGrad {
                prm.network.stepLogits(prm.network.hidden(ids: inst.tokens, batch: 1, length: n, lengths: [n])
                    .reshaped([n, prm.network.hiddenSize])).value.toArray()
            }
            let v = prm.vocabularySize
            for t in 0..<(n - 1) where !inst.labelPositions.contains(t) {
                let row = logits[(t * v)..<((t + 1) * v)].map(Double.init)
                let m = row.max()!
                let logSum = m + log(row.reduce(0) { $0 + exp($1 - m) })
                total -= row[inst.tokens[t + 1]] - logSum
                rows += 1
            }
        }
        let expected = total / Double(rows)
        let got = try XCTUnwrap(f.languageModelLoss).value.item
        XCTAssertEqual(Double(got), expected, accuracy: 1e-4 * expected)
        // A fresh model predicts roughly uniformly over the vocabulary.
        XCTAssertEqual(expected, log(Double(prm.vocabularySize)), accuracy: 0.5)
        // The label logits are those of the forward without the loss (exact: the same hidden
        // states and the same label-row product; the language-model term only adds other rows).
        let plain = noGrad { prm.stackedLabelLogits(templated) }
        XCTAssertEqual(plain.counts, f.counts)
        XCTAssertEqual(plain.logits.value.toArray(), f.logits.value.toArray())
        XCTAssertNil(noGrad { prm.forward(templated, languageModel: false) }.languageModelLoss)
    }

    /// `meanLoss` adds the weighted term; its gradient matches a finite difference along the
    /// gradient direction of one parameter.
    func testMeanLossAddsWeightedTermAndGradientMatchesFiniteDifference() throws {
        let prm = PRMFixture.tinyPRM(seed: 5)
        let templated = batch(prm)
        let lm = noGrad { prm.forward(templated, languageModel: true).languageModelLoss!.value.item }
        let plain = noGrad { prm.meanLoss(templated).value.item }
        let combined = noGrad { prm.meanLoss(templated, languageModelWeight: 0.5).value.item }
        XCTAssertEqual(combined, plain + 0.5 * lm, accuracy: 1e-5)

        // d/dθ of the LM loss for one entry of the number projection and one of the head.
        let loss = prm.forward(templated, languageModel: true).languageModelLoss!
        let named = Dictionary(uniqueKeysWithValues: prm.namedParameters)
        for name in ["lm_head.weight", "embed_tokens.weight"] {
            let p = try XCTUnwrap(named[name])
            let grads = gradients(of: loss, wrt: [p])[0].toArray()
            let k = grads.indices.max { abs(grads[$0]) < abs(grads[$1]) }!
            let eps: Float = 1e-2
            let original = p.value
            func value(shift: Float) -> Float {
                var scalars = original.toArray()
                scalars[k] += shift
                p.value = Tensor(shape: original.shape, scalars: scalars)
                defer { p.value = original }
                return noGrad { prm.forward(templated, languageModel: true).languageModelLoss!.value.item }
            }
            let numeric = (value(shift: eps) - value(shift: -eps)) / (2 * eps)
            XCTAssertEqual(grads[k], numeric, accuracy: 0.05 * abs(numeric) + 1e-4, name)
        }
    }

    /// A short cold start with the loss lowers it; a negative weight is rejected by name.
    func testColdStartLowersTheLanguageModelLoss() throws {
        let prm = PRMFixture.tinyPRM(seed: 6)
        let train = PRMFixture.benchmark.train
        let templated = train.map { prm.template($0) }
        let before = noGrad { prm.forward(templated, languageModel: true).languageModelLoss!.value.item }
        var o = ColdStartOptions()
        o.lr = 1e-2
        o.iterations = 20
        o.batchSize = 4
        o.progress = false
        o.languageModelWeight = 1
        let r = try coldStart(prm, train: train, options: o)
        let after = noGrad { prm.forward(templated, languageModel: true).languageModelLoss!.value.item }
        XCTAssertLessThan(after, before * 0.7, "language-model loss \(before) -> \(after)")
        XCTAssertLessThan(r.history.meanLoss(last: 3), r.history.meanLoss(first: 3))
        o.languageModelWeight = -1
        XCTAssertThrowsError(try coldStart(prm, train: train, options: o)) {
            XCTAssertTrue("\($0)".contains("lm_loss_weight"), "\($0)")
        }
    }
}
