/// Float math written as straight-line arithmetic (no libm calls, no branches), so the loops
/// of the elementwise kernels auto-vectorise. Accuracy: a few ulp over the finite range, well
/// inside the 1e-5 relative tolerance the fixture tests check against NumPy in float64.
public enum FastMath {
    /// a * b + c, as one fused multiply-add where the build targets FMA hardware (`DPRM_FMA`,
    /// set by Package.swift for release builds on x86-64), else as a multiply and an add:
    /// without the hardware instruction, `addingProduct` would be a libm call per element.
    @inlinable @inline(__always) static func mulAdd(_ a: Float, _ b: Float, _ c: Float) -> Float {
        #if DPRM_FMA
        return c.addingProduct(a, b)
        #else
        return a * b + c
        #endif
    }

    /// e^x (Cephes polynomial on a range reduction by ln 2). Overflows to +inf above ~88.72,
    /// returns 0 below -86.6 (where e^x < 2.3e-38); NaN propagates.
    @inlinable @inline(__always) public static func exp(_ x: Float) -> Float {
        // Clamp so the exponent arithmetic stays in range; NaN passes through the comparisons.
        let hi: Float = 88.7228391, lo: Float = -86.6
        let scaled = expInRange(x > hi ? hi : (x < lo ? lo : x))
        let big = x > hi ? Float.infinity : scaled
        return x < lo ? 0 : big
    }

    /// e^x for x in [-86.6, 88.73] (or NaN), without the range handling of `exp`: for callers
    /// whose argument is already known to lie in that range.
    @inlinable @inline(__always) static func expInRange(_ x: Float) -> Float {
        // n = round(x / ln 2) by the 1.5 * 2^23 trick: the integer lands in the low mantissa bits.
        let magic: Float = 12_582_912
        let t = mulAdd(x, 1.44269504088896341, magic)
        let n = t - magic
        var r = mulAdd(n, -0.693359375, x)
        r = mulAdd(n, 2.12194440e-4, r)
        let r2 = r * r
        var p: Float = 1.9875691500e-4
        p = mulAdd(p, r, 1.3981999507e-3)
        p = mulAdd(p, r, 8.3334519073e-3)
        p = mulAdd(p, r, 4.1665795894e-2)
        p = mulAdd(p, r, 1.6666665459e-1)
        p = mulAdd(p, r, 5.0000001201e-1)
        let y = mulAdd(p, r2, r) + 1
        // 2^n as 2 * 2^(n-1) (n - 1 + 127 in the exponent field, so n = 128 does not overflow
        // early). The low bits of `t` hold n in two's complement.
        let bits = (t.bitPattern &- magic.bitPattern &+ 126) << 23
        return (y * 2) * Float(bitPattern: bits)
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

    /// The lower tail of the standard normal distribution, Phi(-a) for a >= 0, and e^(-a^2/2)
    /// (the unnormalised density, which GELU's derivative reuses): one exponential and one
    /// division. Phi(-a) = t P(t) e^(-a^2/2) with t = 1 / (1 + 0.3035 a), where the degree-7
    /// polynomial P is a minimax fit (scripts/fit_normal_tail.py) of relative error 8e-8 on
    /// [0, 13]: 1 - Phi(-a) has full absolute accuracy and Phi(-a) full relative accuracy in the
    /// far tail. In Float the whole is within 1e-6 relative up to a = 5 and a few 1e-6 beyond
    /// (the rounding of a^2 / 2), tighter than the Numerical Recipes erfc it replaces, which
    /// cost a second exponential in the GELU derivative and two more polynomial terms.
    /// Above 13 both are 0 (Phi(-13) is below Float's normal range). NaN propagates.
    @inlinable @inline(__always) public static func normalTail(_ a: Float) -> (tail: Float, density: Float) {
        let cutoff: Float = 13
        let ac = a > cutoff ? cutoff : a
        let t = 1 / mulAdd(0.3035, ac, 1)
        var p: Float = 3.695360317e-2
        p = mulAdd(p, t, -1.565314277e-1)
        p = mulAdd(p, t, 1.955997172e-1)
        p = mulAdd(p, t, -4.590341514e-2)
        p = mulAdd(p, t, 1.249371438e-1)
        p = mulAdd(p, t, 1.018829305e-1)
        p = mulAdd(p, t, 1.220298470e-1)
        p = mulAdd(p, t, 1.210316404e-1)
        // -ac^2 / 2 >= -84.5 lies in expInRange's range.
        let e = expInRange(-0.5 * ac * ac)
        let tail = t * p * e
        return a > cutoff ? (0, 0) : (tail, e)
    }

    /// erf(x), from the normal tail: erf(x) = 1 - 2 Phi(-|x| sqrt 2) for x >= 0. Absolute error
    /// below 4e-7 (near 0 it is the difference of two numbers close to 1).
    @inlinable @inline(__always) public static func erf(_ x: Float) -> Float {
        let c = 2 * normalTail((x < 0 ? -x : x) * 1.41421356237309505).tail
        return x < 0 ? c - 1 : 1 - c
    }

    /// Standard normal CDF, 0.5 * (1 + erf(x / sqrt 2)), accurate on both tails.
    @inlinable @inline(__always) public static func normalCDF(_ x: Float) -> Float {
        let tail = normalTail(x < 0 ? -x : x).tail
        return x < 0 ? tail : 1 - tail
    }

    /// GELU, erf form (BERT): x * Phi(x).
    @inlinable @inline(__always) public static func gelu(_ x: Float) -> Float { x * normalCDF(x) }

    /// GELU (erf form) and its derivative Phi(x) + x phi(x), from one normal tail evaluation.
    @inlinable @inline(__always) public static func geluWithDerivative(_ x: Float) -> (value: Float, derivative: Float) {
        let (tail, e) = normalTail(x < 0 ? -x : x)
        let cdf = x < 0 ? tail : 1 - tail
        return (x * cdf, cdf + x * (0.3989422804014327 * e))
    }

    /// d/dx GELU (erf form): Phi(x) + x * phi(x).
    @inlinable @inline(__always) public static func geluDerivative(_ x: Float) -> Float {
        geluWithDerivative(x).derivative
    }

    /// GELU, tanh form (GPT-2), as x * sigmoid(2u) = 0.5 x (1 + tanh u), which keeps relative
    /// accuracy where 1 + tanh u cancels.
    @inlinable @inline(__always) public static func geluTanh(_ x: Float) -> Float {
        let u = 0.79788456080286536 * (x + 0.044715 * x * x * x)
        return x / (1 + exp(-2 * u))
    }
}
