import Tensors

extension Variable {
    /// `self W^T + b` for `self` [n, in], `weight` [out, in], `bias` [out] (torch's Linear) as one
    /// primitive: the forward is one sgemm onto bias-filled rows; the backward is one sgemm for
    /// each of dx and dW (the weight gradient lands in [out, in] directly, no transpose copy)
    /// and a column sum for db.
    public func linear(weight: Variable, bias: Variable?) -> Variable {
        let (x, w) = (value, weight.value)
        let out = x.linear(weight: w, bias: bias?.value)
        let parents = [self, weight] + [bias].compactMap { $0 }
        return Variable.result(out, parents) { g in
            let r = Tensor.linearBackward(input: x, weight: w, outputGradient: g,
                                          needInput: self.requiresGrad, needWeight: weight.requiresGrad,
                                          needBias: bias?.requiresGrad ?? false)
            var grads: [Tensor?] = [r.input, r.weight]
            if bias != nil { grads.append(r.bias) }
            return grads
        }
    }
}
