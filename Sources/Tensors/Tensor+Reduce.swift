#if canImport(Glibc)
import Glibc
#endif

/// Reductions over axes.
public enum ReduceOp { case sum, max, min }

extension Tensor {
    /// Moves `axes` to the end and makes the result contiguous, so each output element reduces
    /// one contiguous run. Returns the data, the number of outputs and the run length.
    func reductionLayout(_ axes: [Int]) -> (data: Tensor, outer: Int, inner: Int, keptShape: [Int], axes: [Int]) {
        let normalized = Array(Set(axes.map { normalizedAxis($0) })).sorted()
        let kept = (0..<rank).filter { !normalized.contains($0) }
        let data = permuted(kept + normalized).contiguous()
        let inner = normalized.reduce(1) { $0 * shape[$1] }
        let outer = kept.reduce(1) { $0 * shape[$1] }
        return (data, outer, inner, kept.map { shape[$0] }, normalized)
    }

    func outputShape(keptShape: [Int], axes: [Int], keepDims: Bool) -> [Int] {
        if !keepDims { return keptShape }
        var s = shape
        for a in axes { s[a] = 1 }
        return s
    }

    /// Reduction over `axes` (nil: all axes).
    public func reduce(_ op: ReduceOp, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let layout = reductionLayout(axes ?? Array(0..<rank))
        let out = Tensor(uninitializedShape: outputShape(keptShape: layout.keptShape, axes: layout.axes, keepDims: keepDims))
        let src = layout.data.basePointer, dst = out.storage.pointer
        let inner = layout.inner
        precondition(inner > 0 || op == .sum, "cannot take \(op) of an empty tensor")
        parallelChunks(layout.outer, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(inner, 1))) { rows in
            for o in rows {
                let row = src + o * inner
                switch op {
                case .sum:
                    // Pairwise-free but Double accumulation: stable and independent of chunking.
                    var acc: Double = 0
                    for i in 0..<inner { acc += Double(row[i]) }
                    dst[o] = Float(acc)
                case .max:
                    var m = row[0]
                    for i in 1..<Swift.max(inner, 1) where row[i] > m || row[i].isNaN { m = row[i] }
                    dst[o] = m
                case .min:
                    var m = row[0]
                    for i in 1..<Swift.max(inner, 1) where row[i] < m || row[i].isNaN { m = row[i] }
                    dst[o] = m
                }
            }
        }
        return withExtendedLifetime(layout.data) { out }
    }

    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduce(.sum, axes: axes, keepDims: keepDims) }
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduce(.max, axes: axes, keepDims: keepDims) }
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduce(.min, axes: axes, keepDims: keepDims) }

    /// Mean over `axes` (nil: all).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let n = (axes ?? Array(0..<rank)).reduce(1) { $0 * shape[normalizedAxis($1)] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Variance over `axes`; `unbiased` divides by n-1 (torch's default), else by n (NumPy's).
    public func variance(axes: [Int]? = nil, keepDims: Bool = false, unbiased: Bool = false) -> Tensor {
        let n = (axes ?? Array(0..<rank)).reduce(1) { $0 * shape[normalizedAxis($1)] }
        let centered = self - mean(axes: axes, keepDims: true)
        return (centered * centered).sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(unbiased ? n - 1 : n, 1)))
    }

    /// log(sum(exp(x))) over `axes`, computed stably.
    public func logsumexp(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let m = max(axes: axes, keepDims: true)
        let safeM = m.map { $0.isFinite ? $0 : 0 }
        let s = (self - safeM).exp().sum(axes: axes, keepDims: true).log() + safeM
        let reduced = Set((axes ?? Array(0..<rank)).map { normalizedAxis($0) })
        return keepDims ? s : s.reshaped((0..<rank).filter { !reduced.contains($0) }.map { shape[$0] })
    }

    /// Index of the largest element along `axis` (first one on ties), as floats.
    public func argmax(axis: Int, keepDims: Bool = false) -> Tensor {
        let layout = reductionLayout([axis])
        let out = Tensor(uninitializedShape: outputShape(keptShape: layout.keptShape, axes: layout.axes, keepDims: keepDims))
        let src = layout.data.basePointer, dst = out.storage.pointer
        for o in 0..<layout.outer {
            let row = src + o * layout.inner
            var best = 0
            for i in 1..<Swift.max(layout.inner, 1) where row[i] > row[best] { best = i }
            dst[o] = Float(best)
        }
        return withExtendedLifetime(layout.data) { out }
    }

    /// Sum of all elements as a Swift number.
    public var sumValue: Float { sum().item }
}
