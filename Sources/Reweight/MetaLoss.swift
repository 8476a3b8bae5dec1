import Tensors
import Autodiff

/// What the meta loss compares (the reference's `loss_target`).
public enum LossTarget: String, CaseIterable {
    /// MSE(aggregate p(+), label).
    case plus = "+"
    /// p(+) for correct solutions, p(-) for wrong ones, MSE against 1 (the reference default).
    case both = "both"

    /// Parses `+` or `both`; the error lists the valid names.
    public init(name: String) throws {
        guard let t = LossTarget(rawValue: name.lowercased()) else {
            throw BilevelError.invalidConfiguration("unknown loss_target '\(name)'; choose '+' or 'both'")
        }
        self = t
    }
}

/// The upper-level loss on meta instances, which have whole-solution labels only.
///
/// Full softmax over the vocabulary at each label position; the step probabilities of one
/// solution are aggregated by `aggregate` ([k] -> scalar, differentiable); the loss is the mean
/// over the batch of the squared error. Solutions without a label position contribute nothing.
public func metaLoss(labelLogits: [Variable], labels: [Bool], plusID: Int, minusID: Int,
                     target: LossTarget, aggregate: (Variable) -> Variable) -> Variable {
    precondition(labelLogits.count == labels.count, "meta loss: \(labelLogits.count) logit sets for \(labels.count) labels")
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
