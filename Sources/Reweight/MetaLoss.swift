import Tensors
import PRM
import Autodiff

/// What the meta loss compares (the reference's `loss_target`).
public enum LossTarget: String, CaseIterable {
    /// MSE(aggregate p(+), label).
    case plus = "+"
    /// p(+) for correct solutions, p(-) for wrong ones, MSE against 1 (the reference default).
    case both = "both"
    /// dprm's own, not in the reference: a pairwise ranking loss on the aggregated logit margin
    /// z(+) - z(-) (see `metaLoss`).
    case rank = "rank"
    /// dprm's own, not in the reference: the unweighted step cross-entropy of the lower level on
    /// meta instances with exact step labels (`MetaInstance.stepLabels`), the meta loss of
    /// Meta-Weight-Net. Needs a step-labelled meta set, which the reference's data lacks.
    case steps = "steps"
    /// dprm's own, not in the reference: `rank` over steps instead of solutions, on exact step
    /// labels: the mean over every (`+` step, `-` step) pair of the meta batch of
    /// softplus(margin(-) - margin(+)), with margin = z(+) - z(-) (see `stepRankingMetaLoss`).
    case stepRank = "step_rank"

    /// Whether the target reads the meta instances' exact step labels.
    public var needsStepLabels: Bool { self == .steps || self == .stepRank }

    /// Aggregations that commute with adding a constant to every step (what `rank` needs).
    public static let shiftEquivariant: [Aggregation.Kind] = [.mean, .min, .max, .last]

    /// Parses `+`, `both`, `rank`, `steps` or `step_rank`; the error lists the valid names.
    public init(name: String) throws {
        guard let t = LossTarget(rawValue: name.lowercased()) else {
            throw BilevelError.invalidConfiguration("unknown loss_target '\(name)'; choose '+', 'both', 'rank', 'steps' or 'step_rank'")
        }
        self = t
    }
}

/// The upper-level loss on meta instances, which have whole-solution labels only.
///
/// Full softmax over the vocabulary at each label position; the step probabilities of one
/// solution are aggregated by `aggregate` ([k] -> scalar, differentiable); the loss is the mean
/// over the batch of the squared error. Solutions without a label position contribute nothing.
///
/// With `.rank` a solution's score is the aggregate of its steps' logit margins z(+) - z(-)
/// (= log p(+) - log p(-) under the full softmax) and the loss is the mean over every (correct,
/// wrong) pair of the batch of softplus(score(wrong) - score(correct)); a batch without such a
/// pair gives a constant 0. Best-of-N only ranks, and the two MSE targets also reward moving
/// every step's prior towards one label, which an Instance Table then learns as a preference for
/// instances by how many `+` or `-` labels they hold (docs/prm.md). Adding the same constant to
/// every margin leaves the ranking loss unchanged when `aggregate` commutes with it
/// (`LossTarget.shiftEquivariant`), so that preference has no gradient left.
public func metaLoss(labelLogits: [Variable], labels: [Bool], plusID: Int, minusID: Int,
                     target: LossTarget, aggregate: (Variable) -> Variable) -> Variable {
    precondition(labelLogits.count == labels.count, "meta loss: \(labelLogits.count) logit sets for \(labels.count) labels")
    precondition(!target.needsStepLabels, "meta loss: the '\(target.rawValue)' target reads step labels (stepRankingMetaLoss, ReweightRun.upperLoss)")
    if target == .rank { return rankingMetaLoss(labelLogits: labelLogits, labels: labels, plusID: plusID, minusID: minusID, aggregate: aggregate) }
    var terms: [Variable] = []
    for (logits, label) in zip(labelLogits, labels) where logits.shape[0] > 0 {
        let probs = logits.softmax()
        let readMinus = target == .both && !label
        let tokenProbs = probs.selecting(axis: 1, index: readMinus ? minusID : plusID)
        let prediction = aggregate(tokenProbs)
        let goal: Float = target == .both ? 1 : (label ? 1 : 0)
        let diff = prediction - goal
        terms.append(diff * diff)
    }
    if terms.isEmpty { return Variable(Tensor(0)) }
    return Variable.stack(terms).mean()
}

/// The `.rank` meta loss (see `metaLoss`).
private func rankingMetaLoss(labelLogits: [Variable], labels: [Bool], plusID: Int, minusID: Int,
                             aggregate: (Variable) -> Variable) -> Variable {
    var scores: [Variable] = []
    var correct: [Int] = [], wrong: [Int] = []
    for (logits, label) in zip(labelLogits, labels) where logits.shape[0] > 0 {
        let margins = logits.selecting(axis: 1, index: plusID) - logits.selecting(axis: 1, index: minusID)
        if label { correct.append(scores.count) } else { wrong.append(scores.count) }
        scores.append(aggregate(margins))
    }
    if correct.isEmpty || wrong.isEmpty { return Variable(Tensor(0)) }
    return meanPairwiseSoftplus(Variable.stack(scores), better: correct, worse: wrong)
}

/// The mean over every pair (b, w) of softplus(scores[w] - scores[b]).
private func meanPairwiseSoftplus(_ scores: Variable, better: [Int], worse: [Int]) -> Variable {
    let pairs = better.flatMap { b in worse.map { w in (b, w) } }
    let gaps = scores.indexSelect(axis: 0, indices: pairs.map(\.1)) - scores.indexSelect(axis: 0, indices: pairs.map(\.0))
    return gaps.softplus().mean()
}

/// The `.stepRank` meta loss: every step's margin z(+) - z(-) at its label position; the mean over
/// every pair of a `+`-labelled and a `-`-labelled step of the batch (labels at least / below 0.5)
/// of softplus(margin(-) - margin(+)); 0 without such a pair. Like `rank`, adding a constant to
/// every margin leaves it unchanged, so the meta gradient has no part that only moves the label
/// prior, and a table row's hypergradient no part that only counts its `+` labels; unlike `rank`
/// it compares steps by their exact labels, not solutions by their outcome.
public func stepRankingMetaLoss(labelLogits: [Variable], stepLabels: [[Float]], plusID: Int, minusID: Int) -> Variable {
    precondition(labelLogits.count == stepLabels.count, "meta loss: \(labelLogits.count) logit sets for \(stepLabels.count) label lists")
    var margins: [Variable] = []
    var plus: [Int] = [], minus: [Int] = []
    var position = 0
    for (logits, labels) in zip(labelLogits, stepLabels) where logits.shape[0] > 0 {
        // A solution cut at the PRM's max_length has fewer label positions than labels.
        for y in labels.prefix(logits.shape[0]) {
            if y >= 0.5 { plus.append(position) } else { minus.append(position) }
            position += 1
        }
        margins.append(logits.selecting(axis: 1, index: plusID) - logits.selecting(axis: 1, index: minusID))
    }
    if plus.isEmpty || minus.isEmpty { return Variable(Tensor(0)) }
    return meanPairwiseSoftplus(Variable.concat(margins, axis: 0), better: plus, worse: minus)
}
