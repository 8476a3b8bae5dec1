import Tensors
import Autodiff
import NN

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

    /// Weights [n] for per-instance losses [n]. The losses are inputs: the net's gradient reaches
    /// the classifier through them too, as in Meta-Weight-Net.
    public func callAsFunction(_ losses: Variable) -> Variable {
        network(losses.reshaped([-1, 1])).sigmoid().reshaped([-1])
    }
}
