#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// Vectorised row kernels for the BERT inference path: exp, erf-GELU, softmax and layer norm
/// on 8 floats at a time. The scalar libm calls (`expf`, `erff`) would cost about as much as
/// the matrix products of a small encoder; these approximations are accurate to a few ulp for
/// exp and 1.5e-7 absolute for erf (Abramowitz and Stegun 7.1.26, as PyTorch's vectorised erf).
enum BertKernels {
    typealias V = SIMD8<Float>

    /// e^x for every lane: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n
    /// through the exponent bits. Inputs below -87.3 give 0 (the masked attention scores).
    @inline(__always)
    static func exp(_ x: V) -> V {
        let tooSmall = x .< V(repeating: -87.3)
        let c = x.clamped(lowerBound: V(repeating: -87.3), upperBound: V(repeating: 88.3))
        let n = (c * V(repeating: 1.442695040888963)).rounded(.toNearestOrEven)
        var r = c - n * V(repeating: 0.693359375)
        r = r - n * V(repeating: -2.12194440e-4)
        // e^r = 1 + r + r^2/2! + ... + r^6/6! (error < 2e-8 on |r| <= ln2/2)
        var p = V(repeating: 1.0 / 720)
        p = p * r + V(repeating: 1.0 / 120)
        p = p * r + V(repeating: 1.0 / 24)
        p = p * r + V(repeating: 1.0 / 6)
        p = p * r + V(repeating: 0.5)
        p = p * r + V(repeating: 1)
        p = p * r + V(repeating: 1)
        let bits = (SIMD8<Int32>(n, rounding: .towardZero) &+ SIMD8<Int32>(repeating: 127)) &<< SIMD8<Int32>(repeating: 23)
        let scale = unsafeBitCast(bits, to: V.self)
        var out = p * scale
        out.replace(with: V(repeating: 0), where: tooSmall)
        return out
    }

    /// erf for every lane (A&S 7.1.26: 1 - poly(t) e^{-x^2}, t = 1 / (1 + 0.3275911 |x|)).
    @inline(__always)
    static func erf(_ x: V) -> V {
        let a = x.replacing(with: -x, where: x .< V(repeating: 0))
        let t = V(repeating: 1) / (V(repeating: 1) + V(repeating: 0.3275911) * a)
        var p = V(repeating: 1.061405429)
        p = p * t + V(repeating: -1.453152027)
        p = p * t + V(repeating: 1.421413741)
        p = p * t + V(repeating: -0.284496736)
        p = p * t + V(repeating: 0.254829592)
        p = p * t
        let y = V(repeating: 1) - p * exp(-(a * a))
        var out = y
        out.replace(with: -y, where: x .< V(repeating: 0))
        return out
    }

    /// In place: x * (1 + erf(x / sqrt 2)) / 2 (BERT's `gelu`), on `count` floats, both cores.
    static func gelu(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let chunk = 8 * 1024
        let blocks = (count + chunk - 1) / chunk
        parallelChunks(blocks, minimumPerChunk: 4) { range in
            for blk in range {
                let start = blk * chunk, end = Swift.min(count, start + chunk)
                var i = start
                while i + 8 <= end {
                    let raw = UnsafeMutableRawPointer(p + i)
                    let x = raw.loadUnaligned(as: V.self)
                    let y = x * V(repeating: 0.5) * (V(repeating: 1) + erf(x * V(repeating: 0.7071067811865476)))
                    raw.storeBytes(of: y, as: V.self)
                    i += 8
                }
                while i < end { let x = p[i]; p[i] = x * 0.5 * (1 + erff(x * 0.7071067811865476)); i += 1 }
            }
        }
    }

    /// In place softmax of one row of `n` floats, adding `mask` (additive, length n) first when given.
    @inline(__always)
    static func softmaxRow(_ s: UnsafeMutablePointer<Float>, _ n: Int, mask: UnsafePointer<Float>?) {
        if let m = mask { for i in 0..<n { s[i] += m[i] } }
        var mx = -Float.infinity
        for i in 0..<n where s[i] > mx { mx = s[i] }
        if !mx.isFinite { mx = 0 }
        var total: Float = 0
        var i = 0
        var acc = V(repeating: 0)
        while i + 8 <= n {
            let raw = UnsafeMutableRawPointer(s + i)
            let e = exp(raw.loadUnaligned(as: V.self) - V(repeating: mx))
            raw.storeBytes(of: e, as: V.self)
            acc += e
            i += 8
        }
        total = acc.sum()
        while i < n { let e = expf(s[i] - mx); s[i] = e; total += e; i += 1 }
        let inv = 1 / total
        for j in 0..<n { s[j] *= inv }
    }

    /// In place layer norm of `rows` rows of `n` floats with affine `w`, `b` (both cores).
    static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int, weight w: UnsafePointer<Float>,
                          bias b: UnsafePointer<Float>, eps: Float) {
        parallelChunks(rows, minimumPerChunk: 64) { range in
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
