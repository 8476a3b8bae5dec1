import Tensors
import Autodiff
import NN
import Datasets
import Support

/// DreamPRM-1.5's Instance Net: a small MLP applied at each label position to [p(+), p(-)]
/// (softmax over the two logits z(+), z(-)), averaged over positions, then an activation.
/// Its parameter count does not grow with the data.
public final class InstanceNet: InstanceWeighting {
    public let kind = "instance_net"
    public let layers: [Linear]
    public let activation: WeightActivation
    /// Detach the [p(+), p(-)] input from the PRM. The reference does NOT detach, so the PRM
    /// also gets a gradient through the weight; default false to match it.
    public let detachInput: Bool

    /// Linear(2, hidden) + LeakyReLU, `extraHiddenLayers` x (Linear(hidden, hidden) + LeakyReLU), Linear(hidden, 1).
    public init(hiddenDim: Int = 10, extraHiddenLayers: Int = 0, activation: WeightActivation = .sigmoid,
                detachInput: Bool = false, seed: UInt64 = 0) {
        var rng = RandomGenerator(seed: seed)
        var layers = [Linear(2, hiddenDim, rng: &rng)]
        for _ in 0..<extraHiddenLayers { layers.append(Linear(hiddenDim, hiddenDim, rng: &rng)) }
        layers.append(Linear(hiddenDim, 1, rng: &rng))
        self.layers = layers
        self.activation = activation
        self.detachInput = detachInput
    }

    public var namedParameters: [(String, Variable)] {
        layers.enumerated().flatMap { i, layer in layer.namedParameters(prefix: "instance_net.\(i)") }
    }
    public var parameters: [Variable] { namedParameters.map(\.1) }
    public var readsLogits: Bool { true }

    /// The weight from one input row set [k, 2] -> scalar.
    public func weight(pairs: Variable) -> Variable {
        var h = pairs
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = h.leakyRelu(slope: 0.01) }
        }
        return activation(h.mean())
    }

    public func weights(for instances: [PRMInstance], labelLogits: [Variable], plusID: Int, minusID: Int) -> Variable {
        let ws = labelLogits.map { logits -> Variable in
            let k = logits.shape[0]
            if k == 0 { return activation(Variable(Tensor(0))) }
            let pair = Variable.concat([logits.sliced(axis: 1, start: plusID, end: plusID + 1),
                                        logits.sliced(axis: 1, start: minusID, end: minusID + 1)], axis: 1)
            let probs = pair.softmax()
            return weight(pairs: detachInput ? probs.detached() : probs)
        }
        return Variable.stack(ws)
    }
}
