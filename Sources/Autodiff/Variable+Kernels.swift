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

    /// RMS normalisation over the last axis with an optional `weight` ([n]): one fused forward
    /// (normalise and scale per row); the fused backward recomputes the normalised values from
    /// the input and the saved per-row 1/rms.
    public func rmsNorm(weight: Variable?, eps: Float = 1e-6) -> Variable {
        let x = value
        let (out, inv) = x.rmsNorm(weight: weight?.value, eps: eps)
        let parents = [self] + [weight].compactMap { $0 }
        let w = weight?.value
        return Variable.result(out, parents) { g in
            let r = Tensor.rmsNormBackward(input: x, inverseRMS: inv, weight: w, outputGradient: g,
                                           needWeight: weight?.requiresGrad ?? false)
            return weight == nil ? [r.input] : [r.input, r.weight]
        }
    }

    /// softmax(self + mask) over the last axis with a constant additive `mask` that broadcasts
    /// to this shape (attention masks), in one pass. Backward: that of softmax (the mask is constant).
    public func softmax(addingMask mask: Tensor) -> Variable {
        let y = value.softmax(addingMask: mask)
        return Variable.result(y, [self]) { g in [Tensor.softmaxBackward(output: y, outputGradient: g)] }
    }

    /// SwiGLU, silu(gate) * up, as one primitive (one pass forward, one backward).
    public static func swiglu(gate: Variable, up: Variable) -> Variable {
        let (a, b) = (gate.value, up.value)
        return result(Tensor.swiglu(gate: a, up: b), [gate, up]) { g in
            let r = Tensor.swigluBackward(gate: a, up: b, outputGradient: g, needGate: gate.requiresGrad, needUp: up.requiresGrad)
            return [r.gate, r.up]
        }
    }

    /// SwiGLU of a packed [..., 2I] gate | up projection (`Tensor.swiglu(packed:)`), one
    /// primitive; its backward is the packed input's gradient in one buffer.
    public static func swiglu(packed: Variable) -> Variable {
        let x = packed.value
        return result(Tensor.swiglu(packed: x), [packed]) { g in [Tensor.swigluBackward(packed: x, outputGradient: g)] }
    }

    /// Rotary position embedding of [..., T, D] with tables [T, D] (Hugging Face's
    /// `rotate_half` layout), times `scale`, as one primitive; the result is contiguous.
    public func rotaryEmbedding(cos c: Tensor, sin s: Tensor, scale: Float = 1) -> Variable {
        let out = value.rotaryEmbedding(cos: c, sin: s, scale: scale)
        return Variable.result(out, [self]) { g in [Tensor.rotaryEmbeddingBackward(outputGradient: g, cos: c, sin: s, scale: scale)] }
    }
}
