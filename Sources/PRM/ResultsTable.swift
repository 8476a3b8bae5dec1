import Foundation

/// A results table like the paper's: method, accuracy (%), and gain over a base method, as
/// plain text with aligned columns.
///
///     Method                  Accuracy    Gain
///     ----------------------  --------  ------
///     No selection (first)       42.50       -
///     Self-consistency           78.00  +35.50
public struct ResultsTable: CustomStringConvertible {
    public struct Row: Equatable {
        public var method: String
        /// Accuracy in [0, 1].
        public var accuracy: Double
        public init(method: String, accuracy: Double) {
            self.method = method
            self.accuracy = accuracy
        }
    }

    public var rows: [Row]
    /// The accuracy gains are measured from (the no-selection base in the paper).
    public var base: Double
    /// The row that is the base (its gain column shows "-"), if it is a row.
    public var baseMethod: String?
    public var title: String?

    public init(rows: [Row], base: Double, baseMethod: String? = nil, title: String? = nil) {
        self.rows = rows
        self.base = base
        self.baseMethod = baseMethod
        self.title = title
    }

    /// `x` as a percentage with two decimals ("42.50").
    static func percent(_ x: Double) -> String { String(format: "%.2f", x * 100) }

    static func pad(_ s: String, _ width: Int, left: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? s + fill : fill + s
    }

    /// The table as text (one line per row, a header and a rule; ends without a newline).
    public var description: String {
        let methodWidth = max(6, rows.map(\.method.count).max() ?? 0)
        var lines: [String] = []
        if let title { lines.append(title) }
        lines.append(Self.pad("Method", methodWidth, left: true) + "  " + Self.pad("Accuracy", 8, left: false) + "  " + Self.pad("Gain", 7, left: false))
        lines.append(String(repeating: "-", count: methodWidth) + "  " + String(repeating: "-", count: 8) + "  " + String(repeating: "-", count: 7))
        for row in rows {
            let gain: String
            if row.method == baseMethod {
                gain = "-"
            } else {
                let g = row.accuracy - base
                gain = (g >= 0 ? "+" : "-") + Self.percent(Swift.abs(g))
            }
            lines.append(Self.pad(row.method, methodWidth, left: true) + "  " + Self.pad(Self.percent(row.accuracy), 8, left: false) + "  " + Self.pad(gain, 7, left: false))
        }
        return lines.joined(separator: "\n")
    }
}
