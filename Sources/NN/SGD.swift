import Tensors
import Autodiff

/// Stochastic gradient descent with torch's semantics (`torch.optim.SGD`):
///
///     d = g + weight_decay * p
///     if momentum != 0:
///         buf = d                                   (first step)
///         buf = momentum * buf + (1 - dampening) * d (later steps)
///         d = nesterov ? d + momentum * buf : buf
///     p -= lr * d
///
/// One fused loop per parameter, in place; the only allocation is the momentum buffer on the
/// first step.
public final class SGD: Optimizer {
    public var learningRate: Double
    public var momentum: Float
    public var dampening: Float
    public var weightDecay: Float
    public var nesterov: Bool
    public let namedParameters: [(String, Variable)]
    var states: ParameterStates

    public init(_ namedParameters: [(String, Variable)], lr: Double, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: nesterov needs momentum > 0 and dampening 0")
        self.namedParameters = namedParameters
        self.learningRate = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        states = ParameterStates(names: namedParameters.map(\.0), bufferNames: momentum != 0 ? ["momentum_buffer"] : [])
    }

    /// Unnamed parameters are named "0", "1", ... in the state.
    public convenience init(parameters: [Variable], lr: Double, momentum: Float = 0, dampening: Float = 0,
                            weightDecay: Float = 0, nesterov: Bool = false) {
        self.init(indexNames(parameters), lr: lr, momentum: momentum, dampening: dampening,
                  weightDecay: weightDecay, nesterov: nesterov)
    }

    public func step() {
        let lr = Float(learningRate), wd = weightDecay, mu = momentum, damp = 1 - dampening, nest = nesterov
        for (i, (_, p)) in namedParameters.enumerated() {
            guard let grad = p.grad else { continue }
            p.ensureWritableValue()
            let first = states.buffers[i] == nil
            if first { states.buffers[i] = mu != 0 ? [Tensor.zeros(p.value.shape)] : [] }
            states.steps[i] += 1
            let n = p.value.count
            grad.withContiguousPointer { g in
                p.value.withMutablePointer { w in
                    if mu == 0 {
                        parallelChunks(n) { r in for j in r { w[j] -= lr * (g[j] + wd * w[j]) } }
                        return
                    }
                    states.buffers[i]![0].withMutablePointer { b in
                        parallelChunks(n) { r in
                            for j in r {
                                let d = g[j] + wd * w[j]
                                let buf = first ? d : mu * b[j] + damp * d
                                b[j] = buf
                                w[j] -= lr * (nest ? d + mu * buf : buf)
                            }
                        }
                    }
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] { states.stateDict() }

    public func load(stateDict: [String: Tensor]) throws {
        try states.load(stateDict, shapes: namedParameters.map(\.1.value.shape))
    }
}
