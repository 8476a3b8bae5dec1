import Tensors

extension Variable {
    /// Softmax over the last axis. Backward: y * (g - sum(g * y)).
    public func softmax() -> Variable {
        let y = value.softmax()
        return Variable.result(y, [self]) { g in
            let gy = g * y
            return [gy - y * gy.sum(axes: [-1], keepDims: true)]
        }
    }

    /// Log-softmax over the last axis. Backward: g - softmax * sum(g).
    public func logSoftmax() -> Variable {
        let y = value.logSoftmax()
        return Variable.result(y, [self]) { g in
            [g - y.exp() * g.sum(axes: [-1], keepDims: true)]
        }
    }

    /// Layer normalisation over the last axis with optional affine `weight` and `bias` (shape [n]).
    /// One fused forward; the backward uses the saved normalised values and 1/std.
    public func layerNorm(weight: Variable?, bias: Variable?, eps: Float = 1e-5) -> Variable {
        let (xhat, inv) = value.layerNormalized(eps: eps)
        var out = xhat
        if let w = weight { out = out * w.value }
        if let b = bias { out = out + b.value }
        let parents = [self] + [weight, bias].compactMap { $0 }
        return Variable.result(out, parents) { g in
            let n = Float(xhat.shape.last ?? 1)
            let gx = weight.map { g * $0.value } ?? g
            // dx = inv/n * (n*gx - sum(gx) - xhat * sum(gx * xhat))
            let sumG = gx.sum(axes: [-1], keepDims: true)
            let sumGX = (gx * xhat).sum(axes: [-1], keepDims: true)
            let dx = (inv * (1 / n)) * (gx * n - sumG - xhat * sumGX)
            var grads: [Tensor?] = [dx]
            if let w = weight { grads.append((g * xhat).sumToShape(w.shape)) }
            if let b = bias { grads.append(g.sumToShape(b.shape)) }
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
