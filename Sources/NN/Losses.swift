import Tensors
import Autodiff

/// How a loss combines its per-element terms (torch's `reduction`).
public enum Reduction: Sendable {
    /// Mean over the counted elements (for cross-entropy with hard labels: the non-ignored ones).
    case mean
    case sum
    /// One loss per element/row.
    case none
}

/// Losses as composites of autodiff primitives (no gradient rules of their own).
public enum Loss {
    /// Cross-entropy from `logits` [N, C] (or [..., C], flattened) and class `targets` (N ids).
    ///
    /// Targets equal to `ignoreIndex` (default -100, as torch) contribute nothing; `.mean`
    /// divides by the number of non-ignored targets, so with every target ignored the result is
    /// NaN, exactly as `torch.nn.functional.cross_entropy` (callers that want 0 check first).
    public static func crossEntropy(logits: Variable, targets: [Int], ignoreIndex: Int = -100,
                                    reduction: Reduction = .mean) -> Variable {
        let classes = logits.shape.last ?? 1
        let flat = logits.shape.count == 2 ? logits : logits.reshaped([-1, classes])
        let n = flat.shape[0]
        precondition(targets.count == n, "cross-entropy: \(targets.count) targets for \(n) rows of logits \(Tensor.describe(logits.shape))")
        var index = [Float](repeating: 0, count: n)
        var keep = [Float](repeating: 0, count: n)
        var counted = 0
        for (i, t) in targets.enumerated() where t != ignoreIndex {
            precondition(t >= 0 && t < classes, "cross-entropy: target \(t) at row \(i) out of range 0..<\(classes)")
            index[i] = Float(t)
            keep[i] = 1
            counted += 1
        }
        let picked = flat.logSoftmax().gather(axis: 1, index: Tensor(shape: [n, 1], scalars: index))
        let perRow = -(picked * Variable(Tensor(shape: [n, 1], scalars: keep))).reshaped([n])
        switch reduction {
        case .none: return perRow
        case .sum: return perRow.sum()
        case .mean: return perRow.sum() / Float(counted)
        }
    }

    /// Cross-entropy against soft targets: `probabilities` [N, C] (rows summing to 1), as torch
    /// with a floating target: loss_i = -sum_c p_ic log softmax(z_i)_c; `.mean` divides by N.
    public static func crossEntropy(logits: Variable, probabilities: Tensor, reduction: Reduction = .mean) -> Variable {
        precondition(logits.shape == probabilities.shape,
                     "cross-entropy: logits \(Tensor.describe(logits.shape)) and target probabilities \(Tensor.describe(probabilities.shape)) differ")
        let perRow = -(logits.logSoftmax() * Variable(probabilities)).sum(axes: [-1])
        return reduce(perRow, reduction)
    }

    /// Mean squared error (elementwise (x - y)^2); `target` broadcasts to `input`.
    public static func mse(_ input: Variable, _ target: Variable, reduction: Reduction = .mean) -> Variable {
        let d = input - target
        return reduce(d * d, reduction)
    }

    /// Binary cross-entropy on logits, stable form softplus(x) - x*y
    /// (= max(x, 0) - x*y + log(1 + exp(-|x|)); gradient sigmoid(x) - y), as
    /// `torch.nn.functional.binary_cross_entropy_with_logits`.
    public static func bceWithLogits(_ logits: Variable, _ target: Variable, reduction: Reduction = .mean) -> Variable {
        reduce(logits.softplus() - logits * target, reduction)
    }

    static func reduce(_ x: Variable, _ reduction: Reduction) -> Variable {
        switch reduction {
        case .none: return x
        case .sum: return x.sum()
        case .mean: return x.mean()
        }
    }
}
