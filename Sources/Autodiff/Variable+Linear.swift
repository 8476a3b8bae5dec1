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

extension Variable {
    /// `self W^T + b` where W stacks the rows of `weights` ([out_i, in] each) and b concatenates
    /// `biases` (one per weight, or nil for none): several projections of the same input as one
    /// sgemm, the outputs side by side in [n, sum of out_i]. Weights that lie back to back in one
    /// buffer (`Tensor.adjacentRows`, as NN's colocated query/key/value) are read in place, others
    /// are stacked per call. The backward is one sgemm for dx and one for the stacked dW, whose
    /// row blocks (views) are the weights' gradients.
    public func linear(stackedWeights weights: [Variable], biases: [Variable]?) -> Variable {
        precondition(!weights.isEmpty && (biases.map { $0.count == weights.count } ?? true),
                     "linear(stackedWeights:): \(weights.count) weights and \(biases?.count ?? 0) biases")
        let x = value
        let w = Tensor.stackingRows(weights.map(\.value))
        let b = biases.map { Tensor.stackingRows($0.map(\.value)) }
        let out = x.linear(weight: w, bias: b)
        let rows = weights.map { $0.shape[0] }
        let parents = [self] + weights + (biases ?? [])
        return Variable.result(out, parents) { g in
            let r = Tensor.linearBackward(input: x, weight: w, outputGradient: g, needInput: self.requiresGrad,
                                          needWeight: weights.contains { $0.requiresGrad },
                                          needBias: biases?.contains { $0.requiresGrad } ?? false)
            var grads: [Tensor?] = [r.input]
            grads += r.weight.map { dw in dw.split(sizes: rows, axis: 0).map { Optional($0) } } ?? Array(repeating: nil, count: rows.count)
            if biases != nil {
                grads += r.bias.map { db in db.split(sizes: rows, axis: 0).map { Optional($0) } } ?? Array(repeating: nil, count: rows.count)
            }
            return grads
        }
    }
}
