#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// Row kernels for the BERT inference path: erf-GELU, softmax and layer norm, written as plain
/// loops over straight-line arithmetic (no libm calls) so they auto-vectorise. The scalar libm
/// calls (`expf`, `erff`) would cost about as much as the matrix products of a small encoder.
///
/// `exp` and `gelu` are the formulas of `Tensors.FastMath` (same constants, same accuracy),
/// repeated here because that enum's functions are not `@inlinable`: called across the module
/// boundary they are one call per element and the loops do not vectorise.
enum BertKernels {
    /// e^x, Cephes polynomial on a range reduction by ln 2; 0 below -86.6 (masked scores).
    @inline(__always) static func exp(_ x: Float) -> Float {
        let hi: Float = 88.7228391, lo: Float = -86.6
        let xc = x > hi ? hi : (x < lo ? lo : x)
        let magic: Float = 12_582_912
        let t = xc * 1.44269504088896341 + magic
        let n = t - magic
        var r = xc - n * 0.693359375
        r = r + n * 2.12194440e-4
        let r2 = r * r
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r2 + r + 1
        let bits = (t.bitPattern &- magic.bitPattern &+ 126) << 23
        let scaled = (y * 2) * Float(bitPattern: bits)
        let big = x > hi ? Float.infinity : scaled
        return x < lo ? 0 : big
    }

    /// x * Phi(x) with Phi through erfc (Numerical Recipes' erfcc, fractional error < 1.2e-7).
    @inline(__always) static func gelu(_ x: Float) -> Float {
        let z = (x < 0 ? -x : x) * 0.70710678118654752
        let t = 1 / (1 + 0.5 * z)
        let t2 = t * t, t4 = t2 * t2, t8 = t4 * t4
        let q0 = -1.26551223 + 1.00002368 * t, q1 = 0.37409196 + 0.09678418 * t
        let q2 = -0.18628806 + 0.27886807 * t, q3 = -1.13520398 + 1.48851587 * t
        let q4 = -0.82215223 + 0.17087277 * t
        let p = ((q0 + q1 * t2) + (q2 + q3 * t2) * t4) + q4 * t8
        let c = 0.5 * t * exp(p - z * z)
        return x * (x < 0 ? c : 1 - c)
    }

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

    /// In place softmax of one row of `n` floats, adding `mask` (additive, length n) first when given.
    @inline(__always)
    static func softmaxRow(_ s: UnsafeMutablePointer<Float>, _ n: Int, mask: UnsafePointer<Float>?) {
        if let m = mask { for i in 0..<n { s[i] += m[i] } }
        var mx = -Float.infinity
        for i in 0..<n { mx = Swift.max(mx, s[i]) }
        if !mx.isFinite { mx = 0 }
        for i in 0..<n { s[i] = exp(s[i] - mx) }
        var total: Float = 0
        for i in 0..<n { total += s[i] }
        let inv = 1 / total
        for i in 0..<n { s[i] *= inv }
    }

    /// In place layer norm of `rows` rows of `n` floats with affine `w`, `b`.
    static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int, weight w: UnsafePointer<Float>,
                          bias b: UnsafePointer<Float>, eps: Float, parallel: Bool = true) {
        split(rows, parallel: parallel, minimumPerChunk: 64) { range in
            for r in range {
                let row = x + r * n
                var sum: Float = 0
                for i in 0..<n { sum += row[i] }
                let mean = sum / Float(n)
                var v: Float = 0
                for i in 0..<n { let c = row[i] - mean; v += c * c }
                let inv = 1 / (v / Float(n) + eps).squareRoot()
                for i in 0..<n { row[i] = (row[i] - mean) * inv * w[i] + b[i] }
            }
        }
    }
}
