/// How a series is drawn.
public enum SeriesKind: String, Sendable, CaseIterable {
    /// Points joined by straight segments.
    case line
    /// Markers only.
    case points
    /// Segments and markers.
    case linespoints
    /// Bars: `x` holds bin centres, `y` bar heights, `widths` bar widths (a histogram).
    case bars
    /// Markers only, small and numerous (a scatter plot); same drawing as `points`.
    case scatter
}

/// Dash pattern of a line; gnuplot's `dt 1...4`.
public enum Dash: String, Sendable, CaseIterable {
    case solid, dashed, dotted, dashdot

    /// gnuplot's dash-type number.
    var gnuplotNumber: Int {
        switch self {
        case .solid: return 1
        case .dashed: return 2
        case .dotted: return 3
        case .dashdot: return 4
        }
    }
}

/// The look of one series. `color == nil` takes the palette colour of the series' position.
public struct Style: Equatable, Sendable {
    public var color: Color?
    public var lineWidth: Double
    /// gnuplot point type (7 is a filled circle); the built-in writer draws every type as a disc.
    public var pointType: Int
    public var pointSize: Double
    public var dash: Dash

    public init(color: Color? = nil, lineWidth: Double = 1.5, pointType: Int = 7, pointSize: Double = 1.0, dash: Dash = .solid) {
        self.color = color
        self.lineWidth = lineWidth
        self.pointType = pointType
        self.pointSize = pointSize
        self.dash = dash
    }
}

/// One set of data drawn in a plot: columns `x`, `y` (and `widths` for bars), a legend label
/// (nil: not in the legend) and a style.
public struct Series: Equatable, Sendable {
    public var kind: SeriesKind
    public var x: [Double]
    public var y: [Double]
    /// Bar widths, one per point; only for `.bars`.
    public var widths: [Double]?
    public var label: String?
    public var style: Style

    /// Checks that the columns have one entry per point.
    public init(kind: SeriesKind = .line, x: [Double], y: [Double], widths: [Double]? = nil,
                label: String? = nil, style: Style = Style()) throws {
        guard x.count == y.count else {
            throw PlotError.invalid("series \(label.map { "'\($0)' " } ?? "")has \(x.count) x values but \(y.count) y values")
        }
        if let widths = widths, widths.count != x.count {
            throw PlotError.invalid("series \(label.map { "'\($0)' " } ?? "")has \(x.count) bars but \(widths.count) widths")
        }
        self.kind = kind
        self.x = x
        self.y = y
        self.widths = widths
        self.label = label
        self.style = style
    }

    /// The data columns in the order they are sent to gnuplot.
    public var columns: [[Double]] {
        if let widths = widths { return [x, y, widths] }
        return [x, y]
    }
}
