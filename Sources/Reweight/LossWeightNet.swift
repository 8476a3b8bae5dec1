import Tensors
import Autodiff
import NN
import Support

/// Meta-Weight-Net (Shu et al., 2019): an MLP from an instance's loss to its weight,
/// Linear(1, hidden) + ReLU + Linear(hidden, 1) + sigmoid. The natural Instance Net for
/// classification, where there are no [p(+), p(-)] pairs to read.
public final class LossWeightNet {
    public let network: MLP

    public init(hiddenDim: Int = 100, seed: UInt64 = 0) {
        var rng = RandomGenerator(seed: seed)
        network = MLP(sizes: [1, hiddenDim, 1], activation: .relu, rng: &rng)
    }

    public var parameters: [Variable] { network.parameters() }
    public var namedParameters: [(String, Variable)] { network.namedParameters(prefix: "loss_weight_net") }

    /// Weights [n] for per-instance losses [n]. The losses are inputs: unless the caller passes
    /// them detached, the net's gradient reaches the classifier through them too. With
    /// `normalize`, the weights are rescaled within the batch as Meta-Weight-Net does
    /// (see `normalized(_:)`).
    public func callAsFunction(_ losses: Variable, normalize: Bool = false) -> Variable {
        let w = network(losses.reshaped([-1, 1])).sigmoid().reshaped([-1])
        return normalize ? LossWeightNet.normalized(w) : w
    }

    /// Meta-Weight-Net's batch normalisation of weights [n]: w_i / sum_j w_j * n, so the weights
    /// average 1 and only their ratios matter (the loss scale, hence the effective learning rate,
    /// stays fixed). Differentiable through the sum. Weights summing to 0 are left as they are
    /// (the reference's `if norm_c != 0`).
    public static func normalized(_ weights: Variable) -> Variable {
        let n = Float(weights.value.count)
        let total = weights.value.sum().item
        guard total != 0, n > 0 else { return weights }
        return weights / weights.sum() * n
    }
}
