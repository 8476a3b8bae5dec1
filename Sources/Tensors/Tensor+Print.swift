extension Tensor: CustomStringConvertible {
    /// A summary: `Tensor[8x128x384] float32` followed by at most 6 rows and 6 columns of values.
    public var description: String {
        var text = "Tensor\(Tensor.describe(shape)) float32"
        if count == 0 { return text }
        text += "\n" + formatted(limit: 6)
        return text
    }

    /// The values, nested by dimension, with an ellipsis past `limit` entries per dimension.
    public func formatted(limit: Int = 6) -> String {
        if rank == 0 { return Tensor.format(item) }
        // Every shown number is right-aligned to the widest, so columns line up (as in NumPy).
        func rows(_ n: Int) -> [Int?] { n <= limit ? Array(0..<n) : Array(0..<(limit / 2)) + [nil] + Array((n - limit / 2)..<n) }
        func cells(_ t: Tensor) -> [String] {
            if t.rank == 1 { return rows(t.shape[0]).compactMap { $0.map { Tensor.format(t.storage.pointer[t.offset + $0 * t.strides[0]]) } } }
            return rows(t.shape[0]).compactMap { $0 }.flatMap { cells(t.selecting(axis: 0, index: $0)) }
        }
        let width = cells(self).reduce(0) { Swift.max($0, $1.count) }
        func padded(_ s: String) -> String { String(repeating: " ", count: Swift.max(0, width - s.count)) + s }
        func render(_ t: Tensor, indent: Int) -> String {
            let shown = rows(t.shape[0])
            if t.rank == 1 {
                let cells = shown.map { $0.map { padded(Tensor.format(t.storage.pointer[t.offset + $0 * t.strides[0]])) } ?? padded("...") }
                return "[" + cells.joined(separator: ", ") + "]"
            }
            let pad = String(repeating: " ", count: indent + 1)
            let rows = shown.map { $0.map { render(t.selecting(axis: 0, index: $0), indent: indent + 1) } ?? "..." }
            return "[" + rows.joined(separator: ",\n" + pad) + "]"
        }
        return render(self, indent: 0)
    }

    /// Four significant digits, integers without a fraction.
    static func format(_ x: Float) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded() && Swift.abs(x) < 1e7 { return String(Int(x)) }
        let magnitude = Swift.abs(x)
        if magnitude >= 1e-3 && magnitude < 1e5 {
            var s = String(format4: x)
            while s.hasSuffix("0") { s.removeLast() }
            return s
        }
        return String(describing: x)
    }
}

extension String {
    /// `x` with 4 digits after the point, without Foundation.
    init(format4 x: Float) {
        let scaled = (Double(x) * 10_000).rounded()
        let sign = scaled < 0 ? "-" : ""
        let a = Swift.abs(Int(scaled))
        let frac = String(a % 10_000)
        self = sign + String(a / 10_000) + "." + String(repeating: "0", count: 4 - frac.count) + frac
    }
}
