import Tensors

extension Variable {
    /// Shape of a reduction's result with the reduced axes kept as 1, for broadcasting gradients back.
    func keptShape(_ axes: [Int]?) -> [Int] {
        var s = shape
        for a in axes ?? Array(0..<shape.count) { s[value.normalizedAxis(a)] = 1 }
        return s
    }

    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let (inShape, kept) = (shape, keptShape(axes))
        return Variable.result(value.sum(axes: axes, keepDims: keepDims), [self]) { g in
            [g.reshaped(kept).expanded(to: inShape).contiguous()]
        }
    }

    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let n = (axes ?? Array(0..<shape.count)).reduce(1) { $0 * shape[value.normalizedAxis($1)] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Max over axes; the gradient is shared equally among tied maxima.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Variable { extreme(.max, axes: axes, keepDims: keepDims) }
    /// Min over axes; the gradient is shared equally among tied minima.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Variable { extreme(.min, axes: axes, keepDims: keepDims) }

    func extreme(_ op: ReduceOp, axes: [Int]?, keepDims: Bool) -> Variable {
        let v = value, kept = keptShape(axes)
        let out = v.reduce(op, axes: axes, keepDims: true)
        return Variable.result(keepDims ? out : out.reshaped(v.reduce(op, axes: axes).shape), [self]) { g in
            let mask = v.binary(.equal, out)
            let ties = mask.sum(axes: axes, keepDims: true)
            return [mask * (g.reshaped(kept) / ties)]
        }
    }

    /// Variance (biased by default, as NumPy; `unbiased` as torch.var).
    public func variance(axes: [Int]? = nil, keepDims: Bool = false, unbiased: Bool = false) -> Variable {
        let n = (axes ?? Array(0..<shape.count)).reduce(1) { $0 * shape[value.normalizedAxis($1)] }
        let centered = self - mean(axes: axes, keepDims: true)
        return (centered * centered).sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(unbiased ? n - 1 : n, 1)))
    }

    /// log(sum(exp)) over axes; gradient softmax(x) * g.
    public func logsumexp(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let v = value, kept = keptShape(axes)
        let out = v.logsumexp(axes: axes, keepDims: true)
        return Variable.result(keepDims ? out : v.logsumexp(axes: axes), [self]) { g in
            [(v - out).exp() * g.reshaped(kept)]
        }
    }
}
