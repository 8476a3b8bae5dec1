import Tensors

extension Variable {
    public func reshaped(_ newShape: [Int]) -> Variable {
        let s = shape
        return Variable.result(value.reshaped(newShape), [self]) { g in [g.reshaped(s)] }
    }

    public func permuted(_ order: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: order.count)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return Variable.result(value.permuted(order), [self]) { g in [g.permuted(inverse)] }
    }

    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Variable {
        Variable.result(value.transposed(a, b), [self]) { g in [g.transposed(a, b)] }
    }

    public func unsqueezed(_ axis: Int) -> Variable {
        let s = shape
        return Variable.result(value.unsqueezed(axis), [self]) { g in [g.reshaped(s)] }
    }

    public func squeezed(_ axis: Int? = nil) -> Variable {
        let s = shape
        return Variable.result(value.squeezed(axis), [self]) { g in [g.reshaped(s)] }
    }

    public func expanded(to target: [Int]) -> Variable {
        let s = shape
        return Variable.result(value.expanded(to: target), [self]) { g in [g.sumToShape(s)] }
    }

    /// `[start, end)` with `step` along `axis`; the gradient is scattered back into zeros.
    public func sliced(axis: Int, start: Int, end: Int, step: Int = 1) -> Variable {
        let s = shape
        return Variable.result(value.sliced(axis: axis, start: start, end: end, step: step), [self]) { g in
            let full = Tensor.zeros(s)
            full.sliced(axis: axis, start: start, end: end, step: step).assign(g)
            return [full]
        }
    }

    /// One index along `axis`, removing that axis.
    public func selecting(axis: Int, index: Int) -> Variable {
        let s = shape
        return Variable.result(value.selecting(axis: axis, index: index), [self]) { g in
            let full = Tensor.zeros(s)
            full.selecting(axis: axis, index: index).assign(g)
            return [full]
        }
    }

    public static func concat(_ parts: [Variable], axis: Int) -> Variable {
        let sizes = parts.map { $0.shape[$0.value.normalizedAxis(axis)] }
        return result(Tensor.concat(parts.map(\.value), axis: axis), parts) { g in g.split(sizes: sizes, axis: axis) }
    }

    public static func stack(_ parts: [Variable], axis: Int = 0) -> Variable {
        let a = axis < 0 ? axis + parts[0].shape.count + 1 : axis
        return concat(parts.map { $0.unsqueezed(a) }, axis: a)
    }

    public func split(sizes: [Int], axis: Int) -> [Variable] {
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(axis: axis, start: start, end: start + size)
        }
    }

    /// Rows picked along `axis` (an embedding lookup with axis 0); the gradient scatter-adds.
    public func indexSelect(axis: Int, indices: [Int]) -> Variable {
        let s = shape
        return Variable.result(value.indexSelect(axis: axis, indices: indices), [self]) { g in
            [Tensor.indexAdd(shape: s, axis: axis, indices: indices, source: g)]
        }
    }

    /// torch.gather along `axis`; the gradient scatter-adds.
    public func gather(axis: Int, index: Tensor) -> Variable {
        let s = shape
        return Variable.result(value.gather(axis: axis, index: index), [self]) { g in
            [Tensor.scatterAdd(shape: s, axis: axis, index: index, source: g)]
        }
    }
}
