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
