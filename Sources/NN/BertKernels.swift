#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// Row kernels for the BERT inference path: erf-GELU, softmax and layer norm, written as plain
/// loops over straight-line arithmetic (no libm calls) so they auto-vectorise. The scalar libm
/// calls (`expf`, `erff`) would cost about as much as the matrix products of a small encoder.
enum BertKernels {
    /// e^x and erf-GELU from `Tensors.FastMath` (inlinable, so these loops vectorise).
    @inline(__always) static func exp(_ x: Float) -> Float { FastMath.exp(x) }
    @inline(__always) static func gelu(_ x: Float) -> Float { FastMath.gelu(x) }

    /// Runs `body` over `0..<count` on both cores when `parallel`, else on the calling thread.
    @inline(__always)
    static func split(_ count: Int, parallel: Bool, minimumPerChunk: Int, _ body: (Range<Int>) -> Void) {
        if parallel { parallelChunks(count, minimumPerChunk: minimumPerChunk, body) } else { body(0..<count) }
    }

    /// In place: x * Phi(x) (BERT's erf `gelu`) on `count` floats.
    static func gelu(_ p: UnsafeMutablePointer<Float>, count: Int, parallel: Bool = true) {
        let chunk = 16 * 1024
        let blocks = (count + chunk - 1) / chunk
        split(blocks, parallel: parallel, minimumPerChunk: 4) { range in
            for blk in range {
                let start = blk * chunk, end = Swift.min(count, start + chunk)
                for i in start..<end { p[i] = gelu(p[i]) }
            }
        }
    }

    /// Sixteen floats from `p` (no alignment needed).
    @inline(__always) static func lanes(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// The sum of `term(i)` over `0..<n` (`vector(i)` gives the terms i..<i+16). Explicit lanes
    /// because LLVM may not reassociate a float sum, so a plain loop would be one scalar
    /// addition chain (about 3 cycles a float); two vector accumulators keep several in flight.
    @inline(__always)
    static func laneSum(_ n: Int, _ vector: (Int) -> SIMD16<Float>, _ scalar: (Int) -> Float) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= n { a0 += vector(i); a1 += vector(i + 16); i += 32 }
        if i + 16 <= n { a0 += vector(i); i += 16 }
        var total = laneTotal(a0 + a1)
        while i < n { total += scalar(i); i += 1 }
        return total
    }

    /// The sum of sixteen lanes by halving: inline, where the generic `SIMD.sum()` is a scalar
    /// loop over the lanes.
    @inline(__always) static func laneTotal(_ v: SIMD16<Float>) -> Float {
        let h = v.lowHalf + v.highHalf
        let q = h.lowHalf + h.highHalf
        let d = q.lowHalf + q.highHalf
        return d[0] + d[1]
    }

    /// Lane-wise maximum as a compare and blend (the generic `pointwiseMax` and `max()` compile
    /// to per-lane scalar code with stack spills).
    @inline(__always) static func laneMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        a.replacing(with: b, where: b .> a)
    }

    /// The largest of `p[0..<n]` (n > 0), in vector lanes for the same reason as `laneSum`.
    /// NaN handling is not needed: scores and masks are finite or -inf here.
    @inline(__always)
    static func laneMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m0 = SIMD16<Float>(repeating: -.infinity), m1 = m0
        var i = 0
        while i + 32 <= n { m0 = laneMax(m0, lanes(p + i)); m1 = laneMax(m1, lanes(p + i + 16)); i += 32 }
        if i + 16 <= n { m0 = laneMax(m0, lanes(p + i)); i += 16 }
        let v16 = laneMax(m0, m1)
        let v8 = v16.lowHalf.replacing(with: v16.highHalf, where: v16.highHalf .> v16.lowHalf)
        let v4 = v8.lowHalf.replacing(with: v8.highHalf, where: v8.highHalf .> v8.lowHalf)
        var m = Swift.max(Swift.max(v4[0], v4[1]), Swift.max(v4[2], v4[3]))
        while i < n { m = Swift.max(m, p[i]); i += 1 }
        return m
    }

    /// In place softmax of one row of `n` floats, adding `mask` (additive, length n) first when given.
    @inline(__always)
    static func softmaxRow(_ s: UnsafeMutablePointer<Float>, _ n: Int, mask: UnsafePointer<Float>?) {
        if let m = mask { for i in 0..<n { s[i] += m[i] } }
        var mx = laneMax(s, n)
        if !mx.isFinite { mx = 0 }
        for i in 0..<n { s[i] = exp(s[i] - mx) }
        let inv = 1 / laneSum(n, { lanes(s + $0) }, { s[$0] })
        for i in 0..<n { s[i] *= inv }
    }

    /// In place layer norm of `rows` rows of `n` floats with affine `w`, `b`.
    static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int, weight w: UnsafePointer<Float>,
                          bias b: UnsafePointer<Float>, eps: Float, parallel: Bool = true) {
        split(rows, parallel: parallel, minimumPerChunk: 64) { range in
            for r in range {
                let row = x + r * n
                let mean = laneSum(n, { lanes(row + $0) }, { row[$0] }) / Float(n)
                let v = laneSum(n, { let c = lanes(row + $0) - mean; return c * c }, { let c = row[$0] - mean; return c * c })
                let inv = 1 / (v / Float(n) + eps).squareRoot()
                for i in 0..<n { row[i] = (row[i] - mean) * inv * w[i] + b[i] }
            }
        }
    }
}
