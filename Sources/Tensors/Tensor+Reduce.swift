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
    ///
    /// On a contiguous tensor, reducing trailing axes reads each output's run in place (rows
    /// split across the cores), and reducing leading axes accumulates whole rows into the
    /// outputs (columns split across the cores); other layouts are permuted into a contiguous
    /// copy first. Every output is summed in a fixed order that does not depend on the number
    /// of workers, so results are the same bits on every run.
    public func reduce(_ op: ReduceOp, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let normalized = Array(Set((axes ?? Array(0..<rank)).map { normalizedAxis($0) })).sorted()
        let kept = (0..<rank).filter { !normalized.contains($0) }
        let out = Tensor(uninitializedShape: outputShape(keptShape: kept.map { shape[$0] }, axes: normalized, keepDims: keepDims))
        let inner = normalized.reduce(1) { $0 * shape[$1] }
        precondition(inner > 0 || op == .sum, "cannot take \(op) of an empty tensor")
        let dst = out.storage.pointer
        let isSuffix = normalized == Array((rank - normalized.count)..<rank)
        let isPrefix = normalized == Array(0..<normalized.count)
        if isPrefix && !isSuffix && isContiguous {
            let rows = inner, columns = out.count
            let src = basePointer
            Tensor.reduceColumns(op, src, rows: rows, columns: columns, into: dst)
            return withExtendedLifetime(self) { out }
        }
        let data = isSuffix ? contiguous() : permuted(kept + normalized).contiguous()
        let outer = out.count
        Tensor.reduceRows(op, data.basePointer, rows: outer, length: inner, into: dst)
        return withExtendedLifetime(data) { out }
    }

    /// `dst[r] = op over src[r*length ..< (r+1)*length]`.
    static func reduceRows(_ op: ReduceOp, _ src: UnsafeMutablePointer<Float>, rows: Int, length: Int, into dst: UnsafeMutablePointer<Float>) {
        if rows == 0 { return }
        if rows == 1 && length >= 1 << 16 {
            // One long run: fixed blocks reduced in parallel, then combined in block order.
            let block = 1 << 14
            let blocks = (length + block - 1) / block
            let partial = UnsafeMutablePointer<Double>.allocate(capacity: blocks)
            defer { partial.deallocate() }
            parallelChunks(blocks, minimumPerChunk: 2) { range in
                for b in range {
                    let start = b * block, n = Swift.min(block, length - start)
                    partial[b] = op == .sum ? sumRun(src + start, n) : Double(extremeRun(op, src + start, n))
                }
            }
            var acc = partial[0]
            for b in 1..<blocks {
                switch op {
                case .sum: acc += partial[b]
                case .max: if partial[b] > acc || partial[b].isNaN { acc = partial[b] }
                case .min: if partial[b] < acc || partial[b].isNaN { acc = partial[b] }
                }
            }
            dst[0] = Float(acc)
            return
        }
        parallelChunks(rows, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(length, 1))) { range in
            for r in range {
                let row = src + r * length
                dst[r] = op == .sum ? Float(sumRun(row, length)) : extremeRun(op, row, length)
            }
        }
    }

    /// `dst[c] = op over src[r*columns + c]` for r in 0..<rows: whole rows accumulated into the
    /// outputs (vectorised along the row; sums in Double), columns split across the cores.
    static func reduceColumns(_ op: ReduceOp, _ src: UnsafeMutablePointer<Float>, rows: Int, columns: Int, into dst: UnsafeMutablePointer<Float>) {
        if columns == 0 { return }
        let chunkColumns = Swift.max(64, (1 << 15) / Swift.max(rows, 1))
        parallelChunks(columns, minimumPerChunk: chunkColumns) { range in
            let base = range.lowerBound, width = range.count
            // Tiles of 512 columns keep the accumulators in L1 while the rows stream past.
            var tileStart = 0
            while tileStart < width {
                let tile = Swift.min(512, width - tileStart)
                let d = dst + base + tileStart
                switch op {
                case .sum:
                    // Four rows at a time are added in Float, then into the Double totals: a
                    // quarter of the conversions and accumulator traffic of one row at a time.
                    let acc = UnsafeMutablePointer<Double>.allocate(capacity: tile)
                    acc.initialize(repeating: 0, count: tile)
                    let first = src + base + tileStart
                    var r = 0
                    while r + 4 <= rows {
                        let a = first + r * columns, b = a + columns, c = b + columns, e = c + columns
                        for j in 0..<tile { acc[j] += Double((a[j] + b[j]) + (c[j] + e[j])) }
                        r += 4
                    }
                    while r < rows {
                        let a = first + r * columns
                        for j in 0..<tile { acc[j] += Double(a[j]) }
                        r += 1
                    }
                    for j in 0..<tile { d[j] = Float(acc[j]) }
                    acc.deallocate()
                case .max, .min:
                    let first = src + base + tileStart
                    for j in 0..<tile { d[j] = first[j] }
                    for r in 1..<Swift.max(rows, 1) {
                        let row = src + r * columns + base + tileStart
                        // Unconditional stores, so the loops vectorise to compare-and-blend.
                        if op == .max {
                            for j in 0..<tile { let x = row[j], m = d[j]; d[j] = x > m || x != x ? x : m }
                        } else {
                            for j in 0..<tile { let x = row[j], m = d[j]; d[j] = x < m || x != x ? x : m }
                        }
                    }
                }
                tileStart += tile
            }
        }
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
