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
    /// `index` holds integer values and has the result's shape.
    public func gather(axis: Int, index: Tensor) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(index.rank == rank, "gather: index rank \(index.rank) differs from tensor rank \(rank)")
        let src = contiguous(), idx = index.contiguous()
        let out = Tensor(uninitializedShape: index.shape)
        let outer = index.shape[..<a].reduce(1, *)
        let inner = index.shape[(a + 1)...].reduce(1, *)
        let srcInner = shape[(a + 1)...].reduce(1, *)
        let m = index.shape[a], n = shape[a]
        let s = src.basePointer, ip = idx.basePointer, d = out.storage.pointer
        for o in 0..<outer {
            for j in 0..<m {
                for k in 0..<inner {
                    let pos = (o * m + j) * inner + k
                    let i = Int(ip[pos])
                    precondition(i >= 0 && i < n, "gather index \(i) out of range for axis \(axis) of size \(n)")
                    d[pos] = s[(o * n + i) * srcInner + k]
                }
            }
        }
        return withExtendedLifetime((src, idx)) { out }
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
