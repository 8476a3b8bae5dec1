#if canImport(Glibc)
import Glibc
#endif

/// Fused kernels over the last axis: each row is read once and written once.
extension Tensor {
    /// Applies `body` to every row of the last axis of a contiguous copy, in parallel.
    func mapRows(_ body: (_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) -> Void) -> Tensor {
        let src = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let n = shape.last ?? 1
        let rows = n == 0 ? 0 : count / n
        let s = src.basePointer, d = out.storage.pointer
        withoutActuallyEscaping(body) { body in
            parallelChunks(rows, minimumPerChunk: Swift.max(1, 8192 / Swift.max(n, 1))) { r in
                for row in r { body(s + row * n, d + row * n, n) }
            }
        }
        return withExtendedLifetime(src) { out }
    }

    /// Softmax over the last axis (max-subtracted). One pass for the max, one writing the
    /// exponentials, one summing them (the row is in L1 by then), one scaling; all vectorised.
    public func softmax() -> Tensor {
        mapRows { s, d, n in Tensor.softmaxRow(s, d, n) }
    }

    /// Softmax of the `n` floats at `s` into `d` (which may be `s`), adding the row `mask` first
    /// when given: the row kernel of `softmax()` and of the fused attention.
    @inline(__always)
    static func softmaxRow(_ s: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int,
                           mask: UnsafePointer<Float>? = nil) {
        if n == 0 { return }
        var src = s
        if let mask {
            for i in 0..<n { d[i] = s[i] + mask[i] }
            src = d
        }
        var m = Tensor.extremeRun(.max, src, n)
        if !m.isFinite { m = 0 }
        for i in 0..<n { d[i] = FastMath.exp(src[i] - m) }
        let inv = Float(1 / Tensor.sumRun(d, n))
        for i in 0..<n { d[i] *= inv }
    }

    /// Log-softmax over the last axis.
    public func logSoftmax() -> Tensor {
        mapRows { s, d, n in
            if n == 0 { return }
            var m = Tensor.extremeRun(.max, s, n)
            if !m.isFinite { m = 0 }
            for i in 0..<n { d[i] = FastMath.exp(s[i] - m) }
            let lse = m + Float(_log(Tensor.sumRun(d, n)))
            for i in 0..<n { d[i] = s[i] - lse }
        }
    }

    /// Layer normalisation over the last axis (no affine): (x - mean) / sqrt(var + eps), biased var.
    /// Also returns the per-row reciprocal standard deviation, which the backward pass needs.
    public func layerNormalized(eps: Float) -> (normalized: Tensor, inverseStd: Tensor) {
        let inv = Tensor(uninitializedShape: Array(shape.dropLast()) + [1])
        let ip = inv.storage.pointer
        // One contiguous source for both the row kernel and the row index (a second
        // `contiguous()` of a view would be a different buffer).
        let src = contiguous()
        let base = src.basePointer
        let out = src.mapRows { s, d, n in
            if n == 0 { return }
            let mean = Tensor.sumRun(s, n) / Double(n)
            let m = Float(mean)
            // Two-pass variance around the float mean (exact enough, no cancellation).
            let v = Tensor.squaredDeviationRun(s, n, mean: m) / Double(n) - (mean - Double(m)) * (mean - Double(m))
            let r = Float(1 / (Swift.max(v, 0) + Double(eps)).squareRoot())
            for i in 0..<n { d[i] = (s[i] - m) * r }
            ip[(s - base) / n] = r
        }
        return withExtendedLifetime(src) { (out, inv) }
    }

    /// RMS normalisation over the last axis (no affine): x / sqrt(mean(x^2) + eps).
    /// Also returns the per-row reciprocal RMS.
    public func rmsNormalized(eps: Float) -> (normalized: Tensor, inverseRMS: Tensor) {
        let inv = Tensor(uninitializedShape: Array(shape.dropLast()) + [1])
        let ip = inv.storage.pointer
        let src = contiguous()
        let base = src.basePointer
        let out = src.mapRows { s, d, n in
            if n == 0 { return }
            let ms = Tensor.squaredDeviationRun(s, n, mean: 0) / Double(n)
            let r = Float(1 / (ms + Double(eps)).squareRoot())
            for i in 0..<n { d[i] = s[i] * r }
            ip[(s - base) / n] = r
        }
        return withExtendedLifetime(src) { (out, inv) }
    }

    /// Softmax along any axis.
    public func softmax(axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        if a == rank - 1 { return softmax() }
        return transposed(a, -1).softmax().transposed(a, -1).contiguous()
    }
}
