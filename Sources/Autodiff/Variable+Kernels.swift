import Tensors

extension Variable {
    /// Softmax over the last axis. Backward: y * (g - sum(g * y)).
    public func softmax() -> Variable {
        let y = value.softmax()
        return Variable.result(y, [self]) { g in [Tensor.softmaxBackward(output: y, outputGradient: g)] }
    }

    /// Log-softmax over the last axis. Backward: g - softmax * sum(g).
    public func logSoftmax() -> Variable {
        let y = value.logSoftmax()
        return Variable.result(y, [self]) { g in
            [g - y.exp() * g.sum(axes: [-1], keepDims: true)]
        }
    }

    /// Layer normalisation over the last axis with optional affine `weight` and `bias` (shape [n]).
    /// One fused forward (normalise, scale and shift per row); the fused backward recomputes the
    /// normalised values from the input and the saved per-row mean and 1/std.
    public func layerNorm(weight: Variable?, bias: Variable?, eps: Float = 1e-5) -> Variable {
        let n = shape.last ?? 1
        let x = value
        let (out, mean, inv) = x.layerNorm(weight: weight?.value, bias: bias?.value, eps: eps)
        precondition(weight.map { $0.shape == [n] } ?? true && bias.map { $0.shape == [n] } ?? true,
                     "layerNorm: weight and bias must have shape [\(n)]")
        let parents = [self] + [weight, bias].compactMap { $0 }
        let w = weight?.value
        return Variable.result(out, parents) { g in
            let r = Tensor.layerNormBackward(input: x, mean: mean, inverseStd: inv, weight: w, outputGradient: g,
                                             needWeight: weight?.requiresGrad ?? false, needBias: bias?.requiresGrad ?? false)
            var grads: [Tensor?] = [r.input]
            if weight != nil { grads.append(r.weight) }
            if bias != nil { grads.append(r.bias) }
            return grads
        }
    }

    /// RMS normalisation over the last axis with an optional `weight`.
    public func rmsNorm(weight: Variable?, eps: Float = 1e-6) -> Variable {
        let (xhat, inv) = value.rmsNormalized(eps: eps)
        let out = weight.map { xhat * $0.value } ?? xhat
        let parents = [self] + [weight].compactMap { $0 }
        return Variable.result(out, parents) { g in
            let n = Float(xhat.shape.last ?? 1)
            let gx = weight.map { g * $0.value } ?? g
            // dx = inv * (gx - xhat * mean(gx * xhat))
            let dx = inv * (gx - xhat * ((gx * xhat).sum(axes: [-1], keepDims: true) * (1 / n)))
            var grads: [Tensor?] = [dx]
            if let w = weight { grads.append((g * xhat).sumToShape(w.shape)) }
            return grads
        }
    }
}
