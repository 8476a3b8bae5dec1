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
    /// exponentials while summing them, one scaling; all vectorised.
    public func softmax() -> Tensor {
        mapRows { s, d, n in
            if n == 0 { return }
            var m = Tensor.extremeRun(.max, s, n)
            if !m.isFinite { m = 0 }
            for i in 0..<n { d[i] = FastMath.exp(s[i] - m) }
            let inv = Float(1 / Tensor.sumRun(d, n))
            for i in 0..<n { d[i] *= inv }
        }
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

    /// Sum of (p[i] - mean)^2 over a contiguous run, 8 float lanes per block, blocks in Double.
    @inline(__always)
    static func squaredDeviationRun(_ p: UnsafeMutablePointer<Float>, _ n: Int, mean: Float) -> Double {
        var total: Double = 0
        var start = 0
        while start < n {
            let end = Swift.min(n, start + 1024)
            var l0: Float = 0, l1: Float = 0, l2: Float = 0, l3: Float = 0
            var l4: Float = 0, l5: Float = 0, l6: Float = 0, l7: Float = 0
            var i = start
            while i + 8 <= end {
                let c0 = p[i] - mean, c1 = p[i + 1] - mean, c2 = p[i + 2] - mean, c3 = p[i + 3] - mean
                let c4 = p[i + 4] - mean, c5 = p[i + 5] - mean, c6 = p[i + 6] - mean, c7 = p[i + 7] - mean
                l0 += c0 * c0; l1 += c1 * c1; l2 += c2 * c2; l3 += c3 * c3
                l4 += c4 * c4; l5 += c5 * c5; l6 += c6 * c6; l7 += c7 * c7
                i += 8
            }
            var tail: Float = 0
            while i < end { let c = p[i] - mean; tail += c * c; i += 1 }
            total += Double(((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7))) + Double(tail)
            start = end
        }
        return total
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
