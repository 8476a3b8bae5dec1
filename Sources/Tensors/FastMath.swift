/// Float math written as straight-line arithmetic (no libm calls, no branches), so the loops
/// of the elementwise kernels auto-vectorise. Accuracy: a few ulp over the finite range, well
/// inside the 1e-5 relative tolerance the fixture tests check against NumPy in float64.
public enum FastMath {
    /// e^x (Cephes polynomial on a range reduction by ln 2). Overflows to +inf above ~88.72,
    /// returns 0 below -86.6 (where e^x < 2.3e-38); NaN propagates.
    @inlinable @inline(__always) public static func exp(_ x: Float) -> Float {
        // Clamp so the exponent arithmetic stays in range; NaN passes through the comparisons.
        let hi: Float = 88.7228391, lo: Float = -86.6
        let xc = x > hi ? hi : (x < lo ? lo : x)
        // n = round(x / ln 2) by the 1.5 * 2^23 trick: the integer lands in the low mantissa bits.
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
        // 2^n as 2 * 2^(n-1) (n - 1 + 127 in the exponent field, so n = 128 does not overflow
        // early). The low bits of `t` hold n in two's complement.
        let bits = (t.bitPattern &- magic.bitPattern &+ 126) << 23
        let scaled = (y * 2) * Float(bitPattern: bits)
        let big = x > hi ? Float.infinity : scaled
        return x < lo ? 0 : big
    }

    /// Logistic function, 1 / (1 + e^-x): exact limits 0 and 1, relative accuracy on both tails.
    @inlinable @inline(__always) public static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }

    /// tanh: an odd polynomial near 0 (no cancellation), 1 - 2 / (e^2|x| + 1) elsewhere.
    @inlinable @inline(__always) public static func tanh(_ x: Float) -> Float {
        let ax = x < 0 ? -x : x
        let z = x * x
        var p: Float = -5.70498872745e-3
        p = p * z + 2.06390887954e-2
        p = p * z - 5.37397155531e-2
        p = p * z + 1.33314422036e-1
        p = p * z - 3.33332819422e-1
        let small = p * z * x + x
        let e = exp(2 * ax)
        let large = 1 - 2 / (e + 1)
        let signed = x < 0 ? -large : large
        return ax < 0.625 ? small : signed
    }

    /// erfc(z) for z >= 0 with fractional error below 1.2e-7 (Numerical Recipes' erfcc), so
    /// 1 + erf(x) = erfc(-x) keeps full relative accuracy on the negative tail.
    @usableFromInline @inline(__always) static func erfcNonNegative(_ z: Float) -> Float {
        let t = 1 / (1 + 0.5 * z)
        // The degree-9 polynomial in Estrin's form: a short dependency chain, so the vectorised
        // loop overlaps iterations instead of waiting on ten chained multiply-adds.
        let t2 = t * t, t4 = t2 * t2, t8 = t4 * t4
        let q0 = -1.26551223 + 1.00002368 * t, q1 = 0.37409196 + 0.09678418 * t
        let q2 = -0.18628806 + 0.27886807 * t, q3 = -1.13520398 + 1.48851587 * t
        let q4 = -0.82215223 + 0.17087277 * t
        let p = ((q0 + q1 * t2) + (q2 + q3 * t2) * t4) + q4 * t8
        return t * exp(p - z * z)
    }

    /// erf(x).
    @inlinable @inline(__always) public static func erf(_ x: Float) -> Float {
        let c = erfcNonNegative(x < 0 ? -x : x)
        return x < 0 ? c - 1 : 1 - c
    }

    /// Standard normal CDF, 0.5 * (1 + erf(x / sqrt 2)), accurate on both tails.
    @inlinable @inline(__always) public static func normalCDF(_ x: Float) -> Float {
        let c = 0.5 * erfcNonNegative((x < 0 ? -x : x) * 0.70710678118654752)
        return x < 0 ? c : 1 - c
    }

    /// GELU, erf form (BERT): x * Phi(x).
    @inlinable @inline(__always) public static func gelu(_ x: Float) -> Float { x * normalCDF(x) }

    /// d/dx GELU (erf form): Phi(x) + x * phi(x).
    @inlinable @inline(__always) public static func geluDerivative(_ x: Float) -> Float {
        normalCDF(x) + x * 0.3989422804014327 * exp(-0.5 * x * x)
    }

    /// GELU, tanh form (GPT-2), as x * sigmoid(2u) = 0.5 x (1 + tanh u), which keeps relative
    /// accuracy where 1 + tanh u cancels.
    @inlinable @inline(__always) public static func geluTanh(_ x: Float) -> Float {
        let u = 0.79788456080286536 * (x + 0.044715 * x * x * x)
        return x / (1 + exp(-2 * u))
    }
}
