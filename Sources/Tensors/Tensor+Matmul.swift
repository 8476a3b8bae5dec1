import CBLAS
import Dispatch

extension Tensor {
    /// Checks that `a @ b` is defined and returns the result shape, or an error naming both shapes.
    public static func matmulShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        guard a.count >= 1, b.count >= 1 else {
            throw TensorError.shapeMismatch("cannot matmul \(describe(a)) by \(describe(b)): both need at least one dimension")
        }
        let a2 = a.count == 1 ? [1, a[0]] : a
        let b2 = b.count == 1 ? [b[0], 1] : b
        guard a2[a2.count - 1] == b2[b2.count - 2] else {
            throw TensorError.shapeMismatch("cannot matmul \(describe(a)) by \(describe(b))")
        }
        let batch = try broadcastShape(Array(a2.dropLast(2)), Array(b2.dropLast(2)))
        var out = batch + [a2[a2.count - 2], b2[b2.count - 1]]
        if b.count == 1 { out.removeLast() }
        if a.count == 1 { out.remove(at: out.count - (b.count == 1 ? 1 : 2)) }
        return out
    }

    /// How BLAS can read the last two dims of `t` without a copy: the transpose flag and the
    /// leading dimension, or nil when the layout needs a copy. Row-major `NoTrans` reads element
    /// (i, j) at i*ld + j, `Trans` at j*ld + i, and BLAS needs ld >= the stored row length, so a
    /// broadcast (stride-0) or overlapping layout is not readable in place.
    static func blasLayout(_ t: Tensor) -> (trans: CBLAS_TRANSPOSE, ld: Int)? {
        let r = t.rank
        let rows = t.shape[r - 2], cols = t.shape[r - 1]
        let rs = t.strides[r - 2], cs = t.strides[r - 1]
        if cs == 1 || cols == 1 {
            if rows == 1 { return (CblasNoTrans, Swift.max(cols, 1)) }
            if rs >= Swift.max(cols, 1) { return (CblasNoTrans, rs) }
        }
        if rs == 1 || rows == 1 {
            if cols == 1 { return (CblasTrans, Swift.max(rows, 1)) }
            if cs >= Swift.max(rows, 1) { return (CblasTrans, cs) }
        }
        return nil
    }

    /// Matrix product with NumPy semantics: 1-d operands are promoted, leading dims broadcast.
    /// Transposed views go to `cblas_sgemm` as transpose flags, not copies.
    public func matmul(_ other: Tensor) -> Tensor {
        let outShape: [Int]
        do { outShape = try Tensor.matmulShape(shape, other.shape) } catch { preconditionFailure("\(error)") }
        var a = rank == 1 ? unsqueezed(0) : self
        var b = other.rank == 1 ? other.unsqueezed(1) : other
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batchShape = (try? Tensor.broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))) ?? []
        if m == 0 || n == 0 || k == 0 { return Tensor.zeros(outShape) }
        a = a.expanded(to: batchShape + [m, k])
        b = b.expanded(to: batchShape + [k, n])
        if Tensor.blasLayout(a) == nil { a = a.contiguous() }
        if Tensor.blasLayout(b) == nil { b = b.contiguous() }
        let la = Tensor.blasLayout(a)!, lb = Tensor.blasLayout(b)!
        let out = Tensor(uninitializedShape: batchShape + [m, n])
        let batches = Tensor.count(of: batchShape)
        let pa = a.storage.pointer, pb = b.storage.pointer, pc = out.storage.pointer
        // Each operand's offset per batch (strides may be 0 where a batch dim is broadcast).
        var offsetsA = [Int](repeating: 0, count: batches), offsetsB = [Int](repeating: 0, count: batches)
        var index = [Int](repeating: 0, count: batchShape.count)
        for batch in 0..<batches {
            var oa = a.offset, ob = b.offset
            for (axis, i) in index.enumerated() { oa += i * a.strides[axis]; ob += i * b.strides[axis] }
            offsetsA[batch] = oa; offsetsB[batch] = ob
            var axis = index.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < batchShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        func product(_ batch: Int) {
            cblas_sgemm(CblasRowMajor, la.trans, lb.trans, Int32(m), Int32(n), Int32(k),
                        1, pa + offsetsA[batch], Int32(la.ld), pb + offsetsB[batch], Int32(lb.ld), 0, pc + batch * m * n, Int32(n))
        }
        let threads = Int(openblas_get_num_threads())
        if batches >= 2 && threads > 1 && m * n * k <= Tensor.smallProductLimit {
            // Many small products (attention heads): one single-threaded BLAS call per batch,
            // batches split across the cores in a fixed way, instead of waking BLAS's thread
            // pool for every small call. Each product is computed the same way as before.
            openblas_set_num_threads(1)
            let workers = Swift.min(threads, batches)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var batch = w
                while batch < batches { product(batch); batch += workers }
            }
            openblas_set_num_threads(Int32(threads))
        } else if batches == 1 {
            Tensor.sgemm(la.trans, lb.trans, m, n, k, 1, pa + offsetsA[0], la.ld, pb + offsetsB[0], lb.ld, 0, pc, n)
        } else {
            for batch in 0..<batches { product(batch) }
        }
        withExtendedLifetime((a, b)) {}
        return out.reshaped(outShape)
    }

    /// Batched products at most this size (m*n*k) run one per core with single-threaded BLAS.
    public static var smallProductLimit = 1 << 21

    /// Sets the number of threads OpenBLAS uses (default: all cores).
    public static func setBLASThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}

