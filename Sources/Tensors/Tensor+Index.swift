extension Tensor {
    /// Rows (slices along `axis`) picked by `indices`, in order; repeats allowed.
    /// With axis 0 on a `[vocab, dim]` table this is an embedding lookup.
    public func indexSelect(axis: Int, indices: [Int]) -> Tensor {
        let a = normalizedAxis(axis)
        let n = shape[a]
        for i in indices { precondition(i >= 0 && i < n, "index \(i) out of range for axis \(axis) of size \(n)") }
        let src = contiguous()
        var outShape = shape
        outShape[a] = indices.count
        let out = Tensor(uninitializedShape: outShape)
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        let s = src.basePointer, d = out.storage.pointer
        for o in 0..<outer {
            for (j, i) in indices.enumerated() {
                (d + (o * indices.count + j) * inner).update(from: s + (o * n + i) * inner, count: inner)
            }
        }
        return withExtendedLifetime(src) { out }
    }

    /// `out[..., j, ...] = self[..., index[..., j, ...], ...]` along `axis` (torch.gather);
    /// `index` holds integer values and has the result's shape, which may be smaller than this
    /// tensor's outside `axis` (as torch allows). Reads this tensor through its strides.
    public func gather(axis: Int, index: Tensor) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(index.rank == rank, "gather: index rank \(index.rank) differs from tensor rank \(rank)")
        for d in 0..<rank where d != a {
            precondition(index.shape[d] <= shape[d],
                         "gather: index shape \(Tensor.describe(index.shape)) exceeds \(Tensor.describe(shape)) outside axis \(axis)")
        }
        let idx = index.contiguous()
        let out = Tensor(uninitializedShape: index.shape)
        let n = out.count
        if n == 0 { return out }
        let s = storage.pointer, ip = idx.basePointer, d = out.storage.pointer
        let size = shape[a], axisStride = strides[a]
        // Odometer over the index positions; `base` is the source offset without the axis term.
        var position = [Int](repeating: 0, count: rank)
        var base = offset
        for pos in 0..<n {
            let i = Int(ip[pos])
            precondition(i >= 0 && i < size, "gather index \(i) out of range for axis \(axis) of size \(size)")
            d[pos] = s[base + i * axisStride]
            var dim = rank - 1
            while dim >= 0 {
                position[dim] += 1
                if dim != a { base += strides[dim] }
                if position[dim] < index.shape[dim] { break }
                if dim != a { base -= strides[dim] * index.shape[dim] }
                position[dim] = 0
                dim -= 1
            }
        }
        return withExtendedLifetime(idx) { out }
    }

    /// One-hot rows: `[indices.count, classes]`.
    public static func oneHot(_ indices: [Int], classes: Int) -> Tensor {
        let out = zeros([indices.count, classes])
        for (row, c) in indices.enumerated() {
            precondition(c >= 0 && c < classes, "one_hot: class \(c) out of range 0..<\(classes)")
            out.storage.pointer[row * classes + c] = 1
        }
        return out
    }
}
