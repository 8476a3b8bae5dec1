/// An n-dimensional array of `Float32` with NumPy-style shape and strides.
///
/// A `Tensor` is a value: operations return new tensors, and views (`transposed`, `permuted`,
/// `sliced`, `expanded`, a `reshaped` contiguous tensor) share storage with their source without
/// copying. Code that writes in place (optimizers, kernels) does so explicitly through
/// `withMutablePointer` on a tensor it owns.
public struct Tensor {
    /// The shared buffer. (A `var` only so `accumulate` can ask whether it is uniquely owned.)
    public internal(set) var storage: TensorStorage
    /// Size of each dimension; `[]` is a scalar.
    public let shape: [Int]
    /// Elements to step in `storage` for one step along each dimension (0 for broadcast dims).
    public let strides: [Int]
    /// Index in `storage` of the element at all-zero indices.
    public let offset: Int

    /// Wraps existing storage. `strides` defaults to the contiguous row-major strides.
    public init(storage: TensorStorage, shape: [Int], strides: [Int]? = nil, offset: Int = 0) {
        self.storage = storage
        self.shape = shape
        self.strides = strides ?? Tensor.contiguousStrides(for: shape)
        self.offset = offset
    }

    /// A new contiguous tensor whose elements are not yet written (for kernels that fill every element).
    public init(uninitializedShape shape: [Int]) {
        self.init(storage: TensorStorage(uninitializedCount: Tensor.count(of: shape)), shape: shape)
    }

    /// A new contiguous tensor from row-major `scalars`. The count must match the shape.
    public init(shape: [Int], scalars: [Float]) {
        precondition(Tensor.count(of: shape) == scalars.count,
                     "shape \(Tensor.describe(shape)) needs \(Tensor.count(of: shape)) values, got \(scalars.count)")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { src in
            storage.pointer.update(from: src.baseAddress!, count: scalars.count)
        }
    }

    /// A 0-d tensor holding `value`.
    public init(_ value: Float) {
        self.init(shape: [], scalars: [value])
    }

    /// A 1-d tensor of `values`.
    public init(_ values: [Float]) {
        self.init(shape: [values.count], scalars: values)
    }

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { Tensor.count(of: shape) }

    /// True when the elements lie in `storage` in row-major order without gaps
    /// (size-1 dimensions may carry any stride).
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// This tensor, or a contiguous copy when it is a non-contiguous view.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = Tensor(uninitializedShape: shape)
        copyStrided(to: out.storage.pointer)
        return out
    }

    /// A contiguous copy that shares nothing with this tensor.
    public func copy() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        copyStrided(to: out.storage.pointer)
        return out
    }

    /// Pointer to the first element of a contiguous tensor.
    /// Traps on a non-contiguous view; call `contiguous()` first.
    @inlinable public var basePointer: UnsafeMutablePointer<Float> {
        storage.pointer + offset
    }

    /// Calls `body` with a pointer to contiguous elements (copying a view first when needed).
    public func withContiguousPointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        let c = contiguous()
        return try withExtendedLifetime(c) { try body(UnsafePointer(c.basePointer)) }
    }

    /// In-place access to the elements of a contiguous tensor whose storage the caller owns.
    public func withMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        precondition(isContiguous, "in-place write needs a contiguous tensor")
        return try withExtendedLifetime(self) { try body(basePointer) }
    }

    /// The elements in row-major order.
    public func toArray() -> [Float] {
        let n = count
        return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            copyStrided(to: buffer.baseAddress!)
            initialized = n
        }
    }

    /// The value of a tensor with one element.
    public var item: Float {
        precondition(count == 1, "item needs a tensor with one element, got shape \(Tensor.describe(shape))")
        return storage.pointer[offset]
    }

    /// The element at `indices` (one per dimension; negative counts from the end).
    public subscript(element indices: Int...) -> Float {
        precondition(indices.count == rank, "need \(rank) indices, got \(indices.count)")
        var position = offset
        for (axis, index) in indices.enumerated() {
            let i = index < 0 ? index + shape[axis] : index
            precondition(i >= 0 && i < shape[axis], "index \(index) out of range for axis \(axis) of size \(shape[axis])")
            position += i * strides[axis]
        }
        return storage.pointer[position]
    }

    // MARK: shape helpers

    /// Product of the dimensions.
    @inlinable public static func count(of shape: [Int]) -> Int {
        var n = 1
        for d in shape { n *= d }
        return n
    }

    /// Row-major strides.
    public static func contiguousStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// `[3x4]`-style text for a shape, as used in error messages.
    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: "x") + "]"
    }

    /// Normalises a possibly negative axis; traps with a clear message when out of range.
    public func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < Swift.max(rank, 1), "axis \(axis) out of range for a tensor of shape \(Tensor.describe(shape))")
        return a
    }

    /// Copies the (possibly strided) elements into `dst` in row-major order.
    func copyStrided(to dst: UnsafeMutablePointer<Float>) {
        let src = storage.pointer
        if isContiguous {
            dst.update(from: src + offset, count: count)
            return
        }
        let n = count
        if n == 0 { return }
        let r = rank
        let inner = shape[r - 1]
        let innerStride = strides[r - 1]
        if innerStride != 1 && inner > 1, let p = (0..<(r - 1)).last(where: { strides[$0] == 1 && shape[$0] > 1 }) {
            copyTransposed(to: dst, unitAxis: p)
            return
        }
        if r >= 2 {
            copyRowGroups(to: dst)
            return
        }
        var written = 0
        forEachPosition { position in
            dst[written] = src[position]
            written += 1
        }
    }

    /// Row-major copy of a view of rank >= 2, by groups of rows: the rows along the second-to-last
    /// axis lie a fixed stride apart, so the index walker steps once per group (not per row) and
    /// each row is a short plain loop. Large copies split the groups across the cores.
    func copyRowGroups(to dst: UnsafeMutablePointer<Float>) {
        let r = rank, src = storage.pointer
        let inner = shape[r - 1], innerStride = strides[r - 1]
        let groupRows = shape[r - 2], rowStride = strides[r - 2]
        let groupSize = inner * groupRows
        if groupSize == 0 { return }
        let groupShape = Array(shape.dropLast()), groupStrides = Array(strides.dropLast())
        parallelChunks(count / groupSize, minimumPerChunk: Swift.max(1, (1 << 15) / groupSize)) { range in
            var walker = RowWalker(shape: groupShape, strides: [groupStrides], offsets: [offset], firstRow: range.lowerBound)
            for group in range {
                var from = src + walker.positions[0], to = dst + group * groupSize
                for _ in 0..<groupRows {
                    if innerStride == 1 {
                        for j in 0..<inner { to[j] = from[j] }
                    } else {
                        for j in 0..<inner { to[j] = from[j * innerStride] }
                    }
                    from += rowStride
                    to += inner
                }
                walker.advance()
            }
        }
    }

    /// Row-major copy of a view whose last axis is strided while axis `unitAxis` has stride 1
    /// (a transpose): 32x32 tiles, so reads and writes both stay within a few cache lines;
    /// tiles split across the cores.
    func copyTransposed(to dst: UnsafeMutablePointer<Float>, unitAxis p: Int) {
        let r = rank, src = storage.pointer
        let rows = shape[p], cols = shape[r - 1], colStride = strides[r - 1]
        let dstStrides = Tensor.contiguousStrides(for: shape)
        let rowStride = dstStrides[p]
        let outerAxes = (0..<(r - 1)).filter { $0 != p }
        let outer = outerAxes.reduce(1) { $0 * shape[$1] }
        let tile = 32
        let rowTiles = (rows + tile - 1) / tile
        parallelChunks(outer * rowTiles, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(tile * cols, 1))) { units in
            for unit in units {
                var rest = unit / rowTiles
                let i0 = (unit % rowTiles) * tile
                var sBase = offset, dBase = 0
                for axis in outerAxes.reversed() {
                    let i = rest % shape[axis]
                    rest /= shape[axis]
                    sBase += i * strides[axis]
                    dBase += i * dstStrides[axis]
                }
                let i1 = Swift.min(rows, i0 + tile)
                var j0 = 0
                while j0 < cols {
                    let j1 = Swift.min(cols, j0 + tile)
                    for i in i0..<i1 {
                        let from = src + sBase + i, to = dst + dBase + i * rowStride
                        for j in j0..<j1 { to[j] = from[j * colStride] }
                    }
                    j0 = j1
                }
            }
        }
    }
}
