extension Tensor {
    /// Writes `source` (broadcast to this view's shape) into this view's elements, in place.
    /// The view must not overlap itself (no stride-0 dims); used to scatter gradients of slices.
    public func assign(_ source: Tensor) {
        let values = source.expanded(to: shape).contiguous()
        let src = values.basePointer, dst = storage.pointer
        var i = 0
        forEachPosition { position in
            dst[position] = src[i]
            i += 1
        }
        withExtendedLifetime(values) {}
    }

    /// Calls `body` with the storage index of every element in row-major order (an odometer
    /// over the outer axes, a strided run along the last one).
    @inline(__always)
    func forEachPosition(_ body: (Int) -> Void) {
        let n = count
        if n == 0 { return }
        if rank == 0 { body(offset); return }
        var index = [Int](repeating: 0, count: rank)
        var position = offset
        let inner = shape[rank - 1], innerStride = strides[rank - 1]
        var visited = 0
        while visited < n {
            var p = position
            for _ in 0..<inner { body(p); p += innerStride }
            visited += inner
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                position += strides[axis]
                if index[axis] < shape[axis] { break }
                position -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Zeros of `shape` with the slices of `source` along `axis` added at `indices`
    /// (the adjoint of `indexSelect`; repeated indices accumulate).
    public static func indexAdd(shape: [Int], axis: Int, indices: [Int], source: Tensor) -> Tensor {
        let out = zeros(shape)
        let a = axis < 0 ? axis + shape.count : axis
        let src = source.contiguous()
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *), n = shape[a]
        let s = src.basePointer, d = out.storage.pointer
        for o in 0..<outer {
            for (j, i) in indices.enumerated() {
                let from = s + (o * indices.count + j) * inner, to = d + (o * n + i) * inner
                for k in 0..<inner { to[k] += from[k] }
            }
        }
        return withExtendedLifetime(src) { out }
    }

    /// Zeros of `shape` with `source` added at the positions `index` names along `axis`
    /// (the adjoint of `gather`; `index` may be smaller than `shape` outside `axis`).
    public static func scatterAdd(shape: [Int], axis: Int, index: Tensor, source: Tensor) -> Tensor {
        let out = zeros(shape)
        let rank = shape.count
        let a = axis < 0 ? axis + rank : axis
        precondition(index.shape == source.shape && index.rank == rank,
                     "scatterAdd: index \(describe(index.shape)) and source \(describe(source.shape)) must agree with rank \(rank)")
        let src = source.contiguous(), idx = index.contiguous()
        let n = idx.count
        if n == 0 { return out }
        let strides = contiguousStrides(for: shape)
        let s = src.basePointer, ip = idx.basePointer, d = out.storage.pointer
        var position = [Int](repeating: 0, count: rank)
        var base = 0
        for pos in 0..<n {
            let i = Int(ip[pos])
            precondition(i >= 0 && i < shape[a], "scatterAdd index \(i) out of range for axis \(axis) of size \(shape[a])")
            d[base + i * strides[a]] += s[pos]
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
        return withExtendedLifetime((src, idx)) { out }
    }
}
