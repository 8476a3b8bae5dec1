// Reductions over one contiguous run of floats (a row, a block), the inner loops of the
// reductions, softmax, layer norm and their backward passes.
//
// They use `SIMD8<Float>` lanes explicitly: LLVM's loop vectoriser leaves floating-point
// reductions scalar (it may not reassociate them), and the SLP vectoriser turned hand-unrolled
// scalar lanes into shuffles. Four independent vectors of eight lanes keep four additions (or
// comparisons) in flight, so the loop runs at load speed instead of waiting on one dependency
// chain. The order of every sum is fixed by the run length alone: the same bits on every run.
// (In debug builds SIMD types are slow, but these are only the tests' small tensors.)

extension Tensor {
    /// Eight floats from `p` (no alignment needed).
    @inline(__always)
    static func lanes(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// The sum of `term` over `0..<n`: within blocks of 1024 elements, 32 float lanes (`vector(i)`
    /// gives the terms at i..<i+8, `scalar(i)` the one at i, for the tail); the blocks are added in
    /// Double, so long runs keep their precision.
    @inline(__always)
    static func laneSum(_ n: Int, _ vector: (Int) -> SIMD8<Float>, _ scalar: (Int) -> Float) -> Double {
        var total: Double = 0
        var start = 0
        while start < n {
            let end = Swift.min(n, start + 1024)
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var i = start
            while i + 32 <= end {
                a0 += vector(i); a1 += vector(i + 8); a2 += vector(i + 16); a3 += vector(i + 24)
                i += 32
            }
            while i + 8 <= end { a0 += vector(i); i += 8 }
            var tail: Float = 0
            while i < end { tail += scalar(i); i += 1 }
            total += Double(laneTotal((a0 + a1) + (a2 + a3))) + Double(tail)
            start = end
        }
        return total
    }

    /// The sum of eight lanes, pairwise by halves: inline, unlike the generic `sum()`, which
    /// matters for the many short rows of attention scores.
    @inline(__always)
    static func laneTotal(_ v: SIMD8<Float>) -> Float {
        let h = v.lowHalf + v.highHalf
        let q = h.lowHalf + h.highHalf
        return q[0] + q[1]
    }

    /// Sum of a contiguous run.
    @inline(__always)
    static func sumRun(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Double {
        laneSum(n, { lanes(p + $0) }, { p[$0] })
    }

    /// Sum of p[i] * q[i] over a contiguous run.
    @inline(__always)
    static func dotRun(_ p: UnsafeMutablePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ n: Int) -> Double {
        laneSum(n, { lanes(p + $0) * lanes(q + $0) }, { p[$0] * q[$0] })
    }

    /// Sum of (p[i] - mean)^2 over a contiguous run.
    @inline(__always)
    static func squaredDeviationRun(_ p: UnsafeMutablePointer<Float>, _ n: Int, mean: Float) -> Double {
        laneSum(n, { let c = lanes(p + $0) - mean; return c * c }, { let c = p[$0] - mean; return c * c })
    }

    /// Max or min of a non-empty contiguous run; NaN if the run holds a NaN (as NumPy and torch).
    /// The comparisons skip NaNs (one vector max per eight floats) and a mask records whether
    /// any was seen, instead of a NaN test in the selection itself.
    @inline(__always)
    static func extremeRun(_ op: ReduceOp, _ p: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        op == .max ? extremeRun(p, n, max: true) : extremeRun(p, n, max: false)
    }

    @inline(__always)
    static func extremeRun(_ p: UnsafeMutablePointer<Float>, _ n: Int, max: Bool) -> Float {
        @inline(__always) func pick(_ m: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
            m.replacing(with: x, where: max ? x .> m : x .< m)
        }
        let first = p[0]
        var a0 = SIMD8<Float>(repeating: first), a1 = a0, a2 = a0, a3 = a0
        var sawNaN = SIMDMask<SIMD8<Int32>>(repeating: first.isNaN)
        var i = 0
        while i + 32 <= n {
            let x0 = lanes(p + i), x1 = lanes(p + i + 8), x2 = lanes(p + i + 16), x3 = lanes(p + i + 24)
            a0 = pick(a0, x0); a1 = pick(a1, x1); a2 = pick(a2, x2); a3 = pick(a3, x3)
            sawNaN = sawNaN .| ((x0 .!= x0) .| (x1 .!= x1)) .| ((x2 .!= x2) .| (x3 .!= x3))
            i += 32
        }
        while i + 8 <= n {
            let x = lanes(p + i)
            a0 = pick(a0, x)
            sawNaN = sawNaN .| (x .!= x)
            i += 8
        }
        // The lanes in order, inline (the generic `max()` is an out-of-line call per row).
        let v = pick(pick(a0, a1), pick(a2, a3))
        var m = v[0]
        for lane in 1..<8 where max ? v[lane] > m : v[lane] < m { m = v[lane] }
        var tailNaN = false
        while i < n {
            let x = p[i]
            if max ? x > m : x < m { m = x }
            tailNaN = tailNaN || x.isNaN
            i += 1
        }
        return any(sawNaN) || tailNaN ? .nan : m
    }
}
