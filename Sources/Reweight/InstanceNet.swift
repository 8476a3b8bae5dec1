import Tensors
import Autodiff
import NN
import Datasets
import Support

/// DreamPRM-1.5's Instance Net: a small MLP applied at each label position to [p(+), p(-)]
/// (softmax over the two logits z(+), z(-)), averaged over positions, then an activation.
/// Its parameter count does not grow with the data.
///
/// With `readsLabels` the MLP also gets the instance's own step label at each position,
/// [p(+), p(-), y] (not in the reference, whose net sees the PRM's predictions only). Without
/// it the net cannot tell a corrupted label from a clean one: both come with the same
/// predictions, so it can only weigh instances by what the PRM predicts (docs/prm.md, issue 17);
/// with it, it can learn to weigh by how the label agrees with the PRM, as Meta-Weight-Net does
/// by reading each instance's loss.
public final class InstanceNet: InstanceWeighting {
    public let kind = "instance_net"
    public let layers: [Linear]
    public let activation: WeightActivation
    /// Detach the [p(+), p(-)] input from the PRM. The reference does NOT detach, so the PRM
    /// also gets a gradient through the weight; default false to match it.
    public let detachInput: Bool
    /// Append each position's step label (1 for `+`, soft labels as they are) to the MLP's input.
    public let readsLabels: Bool

    /// Linear(2, hidden) (Linear(3, hidden) with `readsLabels`) + LeakyReLU, `extraHiddenLayers` x
    /// (Linear(hidden, hidden) + LeakyReLU), Linear(hidden, 1).
    public init(hiddenDim: Int = 10, extraHiddenLayers: Int = 0, activation: WeightActivation = .sigmoid,
                detachInput: Bool = false, readsLabels: Bool = false, seed: UInt64 = 0) {
        var rng = RandomGenerator(seed: seed)
        var layers = [Linear(readsLabels ? 3 : 2, hiddenDim, rng: &rng)]
        for _ in 0..<extraHiddenLayers { layers.append(Linear(hiddenDim, hiddenDim, rng: &rng)) }
        layers.append(Linear(hiddenDim, 1, rng: &rng))
        self.layers = layers
        self.activation = activation
        self.detachInput = detachInput
        self.readsLabels = readsLabels
    }

    public var namedParameters: [(String, Variable)] {
        layers.enumerated().flatMap { i, layer in layer.namedParameters(prefix: "instance_net.\(i)") }
    }
    public var parameters: [Variable] { namedParameters.map(\.1) }
    public var readsLogits: Bool { true }

    /// The weight from one instance's input rows ([k, 2], or [k, 3] with `readsLabels`) -> scalar.
    public func weight(pairs: Variable) -> Variable {
        var h = pairs
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = h.leakyRelu(slope: 0.01) }
        }
        return activation(h.mean())
    }

    public func weights(for instances: [PRMInstance], labelLogits: [Variable], plusID: Int, minusID: Int) -> Variable {
        precondition(!readsLabels || instances.count == labelLogits.count,
                     "instance net: \(labelLogits.count) logit sets for \(instances.count) instances")
        let ws = labelLogits.enumerated().map { n, logits -> Variable in
            let k = logits.shape[0]
            if k == 0 { return activation(Variable(Tensor(0))) }
            let pair = Variable.concat([logits.sliced(axis: 1, start: plusID, end: plusID + 1),
                                        logits.sliced(axis: 1, start: minusID, end: minusID + 1)], axis: 1)
            let probs = detachInput ? pair.softmax().detached() : pair.softmax()
            guard readsLabels else { return weight(pairs: probs) }
            // The label positions come from the labels (a solution cut at max_length keeps a
            // prefix), so k <= labels.count; 0.5 (no information) only guards a mismatch.
            let labels = instances[n].labels
            let y = (0..<k).map { $0 < labels.count ? labels[$0] : 0.5 }
            return weight(pairs: Variable.concat([probs, Variable(Tensor(shape: [k, 1], scalars: y))], axis: 1))
        }
        return Variable.stack(ws)
    }
}
