extension Tensor {
    /// The NumPy broadcast of two shapes, or a `TensorError.shapeMismatch` naming both.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let r = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
                throw TensorError.shapeMismatch("cannot broadcast \(describe(a)) with \(describe(b))")
            }
        }
        return out
    }

    /// A view of this tensor with `shape` (a broadcast of its own): new leading dims and size-1
    /// dims get stride 0. No copy.
    public func expanded(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(target.count >= rank, "cannot expand \(Tensor.describe(shape)) to \(Tensor.describe(target))")
        var newStrides = [Int](repeating: 0, count: target.count)
        let lead = target.count - rank
        for i in 0..<rank {
            if shape[i] == target[lead + i] {
                newStrides[lead + i] = strides[i]
            } else {
                precondition(shape[i] == 1, "cannot expand \(Tensor.describe(shape)) to \(Tensor.describe(target))")
                newStrides[lead + i] = 0
            }
        }
        return Tensor(storage: storage, shape: target, strides: newStrides, offset: offset)
    }

    /// Sums a gradient of a broadcast result back to `shape` (the reverse of `expanded(to:)`).
    public func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        var axes: [Int] = Array(0..<lead)
        for i in 0..<target.count where target[i] == 1 && shape[lead + i] != 1 {
            axes.append(lead + i)
        }
        var reduced = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        if lead > 0 { reduced = reduced.reshaped(target) } else if reduced.shape != target { reduced = reduced.reshaped(target) }
        return reduced
    }
}
