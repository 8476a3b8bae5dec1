extension Tensor {
    /// Same elements with a new shape; one dimension may be -1. A view when contiguous.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let resolved: [Int]
        do { resolved = try resolveReshape(newShape) } catch { preconditionFailure("\(error)") }
        let c = contiguous()
        return Tensor(storage: c.storage, shape: resolved, offset: c.offset)
    }

    /// Checks a reshape and resolves a -1 dimension.
    public func resolveReshape(_ newShape: [Int]) throws -> [Int] {
        var shape = newShape
        let unknown = shape.indices.filter { shape[$0] == -1 }
        if unknown.count > 1 { throw TensorError.invalidArgument("reshape: only one dimension may be -1") }
        if let u = unknown.first {
            let known = shape.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
            if known == 0 || count % known != 0 {
                throw TensorError.shapeMismatch("cannot reshape \(Tensor.describe(self.shape)) to \(Tensor.describe(newShape))")
            }
            shape[u] = count / known
        }
        if Tensor.count(of: shape) != count || shape.contains(where: { $0 < 0 }) {
            throw TensorError.shapeMismatch("cannot reshape \(Tensor.describe(self.shape)) (\(count) elements) to \(Tensor.describe(newShape))")
        }
        return shape
    }

    /// Dimensions reordered: result dim i is source dim `order[i]`. A view.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.count == rank && Set(order) == Set(0..<rank),
                     "permute order \(order) is not a permutation of \(rank) axes")
        return Tensor(storage: storage, shape: order.map { shape[$0] }, strides: order.map { strides[$0] }, offset: offset)
    }

    /// Two axes swapped (default: the last two). A view.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizedAxis(a), normalizedAxis(b))
        return permuted(order)
    }

    /// `[start, end)` with `step` along `axis` (negative bounds count from the end). A view.
    public func sliced(axis: Int, start: Int, end: Int, step: Int = 1) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(step > 0, "slice step must be positive")
        let n = shape[a]
        let s = Swift.min(Swift.max(start < 0 ? start + n : start, 0), n)
        let e = Swift.min(Swift.max(end < 0 ? end + n : end, s), n)
        var newShape = shape, newStrides = strides
        newShape[a] = (e - s + step - 1) / step
        newStrides[a] = strides[a] * step
        return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset + s * strides[a])
    }

    /// Index `index` along `axis`, removing that axis. A view.
    public func selecting(axis: Int, index: Int) -> Tensor {
        let a = normalizedAxis(axis)
        let i = index < 0 ? index + shape[a] : index
        precondition(i >= 0 && i < shape[a], "index \(index) out of range for axis \(axis) of size \(shape[a])")
        var newShape = shape, newStrides = strides
        newShape.remove(at: a); newStrides.remove(at: a)
        return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset + i * strides[a])
    }

    /// A size-1 axis inserted at `axis`. A view.
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze axis \(axis) out of range")
        var newShape = shape, newStrides = strides
        newShape.insert(1, at: a)
        newStrides.insert(a < rank ? strides[a] * shape[a] : 1, at: a)
        return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
    }

    /// Size-1 axes removed (all of them, or only `axis`). A view.
    public func squeezed(_ axis: Int? = nil) -> Tensor {
        var keep = [Int]()
        for i in 0..<rank where !(shape[i] == 1 && (axis == nil || normalizedAxis(axis!) == i)) { keep.append(i) }
        return Tensor(storage: storage, shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
    }

    /// Tensors joined along an existing axis. Other dimensions must agree.
    /// `tensors` (equal shapes after the first axis) stacked along axis 0: a view when they lie
    /// back to back (`adjacentRows`), else a copy (`concat`).
    public static func stackingRows(_ tensors: [Tensor]) -> Tensor {
        adjacentRows(tensors) ?? concat(tensors, axis: 0)
    }

    /// `tensors` as one [sum of first dims, ...] view when they are contiguous and lie back to
    /// back, in order, in one storage (parameters moved into one buffer, such as NN's colocated
    /// query/key/value projections); else nil.
    public static func adjacentRows(_ tensors: [Tensor]) -> Tensor? {
        guard let first = tensors.first else { return nil }
        guard tensors.allSatisfy({ $0.isContiguous && $0.storage === first.storage && $0.rank == first.rank && $0.rank >= 1 }),
              tensors.allSatisfy({ Array($0.shape.dropFirst()) == Array(first.shape.dropFirst()) }) else { return nil }
        var next = first.offset
        for t in tensors {
            guard t.offset == next else { return nil }
            next += t.count
        }
        let rows = tensors.reduce(0) { $0 + $1.shape[0] }
        return Tensor(storage: first.storage, shape: [rows] + Array(first.shape.dropFirst()), offset: first.offset)
    }

    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat needs at least one tensor")
        let first = tensors[0]
        let a = first.normalizedAxis(axis)
        for t in tensors {
            precondition(t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "concat: shapes \(tensors.map { describe($0.shape) }.joined(separator: ", ")) differ outside axis \(axis)")
        }
        var outShape = first.shape
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let out = Tensor(uninitializedShape: outShape)
        let outer = first.shape[..<a].reduce(1, *)
        let innerOut = outShape[a...].reduce(1, *)
        var column = 0
        for t in tensors {
            let c = t.contiguous()
            let block = t.shape[a...].reduce(1, *)
            let src = c.basePointer, dst = out.storage.pointer
            for o in 0..<outer {
                (dst + o * innerOut + column).update(from: src + o * block, count: block)
            }
            column += block
            withExtendedLifetime(c) {}
        }
        return out
    }

    /// Tensors of one shape joined along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack needs at least one tensor")
        precondition(tensors.allSatisfy { $0.shape == tensors[0].shape },
                     "stack: shapes differ: \(tensors.map { describe($0.shape) }.joined(separator: ", "))")
        let a = axis < 0 ? axis + tensors[0].rank + 1 : axis
        return concat(tensors.map { $0.unsqueezed(a) }, axis: a)
    }

    /// Splits along `axis` into pieces of the given sizes. Views.
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = normalizedAxis(axis)
        precondition(sizes.reduce(0, +) == shape[a], "split sizes \(sizes) do not add up to \(shape[a])")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(axis: a, start: start, end: start + size)
        }
    }
}
