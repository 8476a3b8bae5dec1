/// Bin edges and counts of a set of values, computed as `numpy.histogram` does, so numbers agree
/// with the Python reference: `bins` equal bins between the smallest and largest value (or
/// `range`), edges from `linspace`, every bin half-open `[a, b)` except the last, which is closed.
public struct Histogram: Equatable, Sendable {
    /// `counts.count + 1` increasing edges.
    public let edges: [Double]
    public let counts: [Int]

    /// Equal-width bins. `range` bounds the bins (values outside are left out, as NumPy does);
    /// without it the data's min and max are used, and an empty range is widened by 0.5 each side.
    public init(_ values: [Double], bins: Int, range: ClosedRange<Double>? = nil) throws {
        guard bins >= 1 else { throw PlotError.invalid("hist: bins must be at least 1, got \(bins)") }
        var first: Double
        var last: Double
        if let range = range {
            guard range.lowerBound.isFinite, range.upperBound.isFinite else {
                throw PlotError.invalid("hist: range [\(range.lowerBound), \(range.upperBound)] is not finite")
            }
            (first, last) = (range.lowerBound, range.upperBound)
        } else if values.isEmpty {
            (first, last) = (0, 1)
        } else {
            // Any NaN or infinity makes the autodetected range non-finite, as in NumPy.
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw PlotError.invalid("hist: value \(bad) is \(values[bad]); the autodetected range is not finite (pass range: or drop it)")
            }
            (first, last) = (values.min()!, values.max()!)
        }
        if first == last {
            first -= 0.5
            last += 0.5
        }
        // numpy.linspace(first, last, bins + 1): i * step + start, last edge exactly `last`.
        let step = (last - first) / Double(bins)
        var edges = (0...bins).map { Double($0) * step + first }
        edges[bins] = last

        var counts = [Int](repeating: 0, count: bins)
        let denominator = last - first
        for value in values where value >= first && value <= last {
            var index = Int((value - first) / denominator * Double(bins))
            if index == bins { index -= 1 }
            // The division can be off by one ulp near an edge; the edges decide.
            if value < edges[index] { index -= 1 }
            if index != bins - 1 && value >= edges[index + 1] { index += 1 }
            counts[index] += 1
        }
        self.edges = edges
        self.counts = counts
    }

    /// Bins with the given increasing edges (not necessarily equal widths).
    public init(_ values: [Double], edges: [Double]) throws {
        guard edges.count >= 2 else { throw PlotError.invalid("hist: need at least 2 bin edges, got \(edges.count)") }
        for i in 1..<edges.count where !(edges[i - 1] <= edges[i]) {
            throw PlotError.invalid("hist: bin edges must increase; edge \(i) is \(edges[i]) after \(edges[i - 1])")
        }
        let bins = edges.count - 1
        var counts = [Int](repeating: 0, count: bins)
        let last = edges[bins]
        for value in values where value >= edges[0] && value <= last {
            if value == last {
                counts[bins - 1] += 1
                continue
            }
            // Last edge <= value: the bin is [e_i, e_{i+1}).
            var lo = 0
            var hi = edges.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if edges[mid] <= value { lo = mid + 1 } else { hi = mid }
            }
            counts[min(lo - 1, bins - 1)] += 1
        }
        self.edges = edges
        self.counts = counts
    }

    /// Bin centres (where bars are drawn).
    public var centers: [Double] { (0..<counts.count).map { (edges[$0] + edges[$0 + 1]) / 2 } }
    /// Bin widths.
    public var widths: [Double] { (0..<counts.count).map { edges[$0 + 1] - edges[$0] } }
}
