/// Axis scale. Log scales drop non-positive values when drawn.
public enum Scale: Equatable, Sendable {
    case linear
    case log(base: Double)

    public static let log10 = Scale.log(base: 10)
}

/// Where the legend goes.
public enum LegendPosition: String, Sendable, CaseIterable {
    case topRight = "top right"
    case topLeft = "top left"
    case bottomRight = "bottom right"
    case bottomLeft = "bottom left"
    /// Outside the plot area, to the right.
    case outside = "outside right"
    /// Below the plot area.
    case below = "below"
}

/// The legend: visible or not, and where.
public struct Legend: Equatable, Sendable {
    public var visible: Bool
    public var position: LegendPosition

    public init(visible: Bool = true, position: LegendPosition = .topRight) {
        self.visible = visible
        self.position = position
    }

    public static let hidden = Legend(visible: false)
}

/// An axis range; a nil bound is chosen from the data.
public struct AxisRange: Equatable, Sendable {
    public var min: Double?
    public var max: Double?

    public init(min: Double? = nil, max: Double? = nil) {
        self.min = min
        self.max = max
    }
}

/// Output size in pixels (PNG, SVG; PDF uses 100 pixels per inch).
public struct FigureSize: Equatable, Sendable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public static let standard = FigureSize(width: 640, height: 480)
}

/// Grid of panels for a multiplot figure.
public struct Layout: Equatable, Sendable {
    public var rows: Int
    public var columns: Int

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }
}

/// A figure: one plot (titles, axes, legend, series, raw gnuplot lines) or, when `panels` is not
/// empty, a `layout.rows x layout.columns` grid of plots (gnuplot's multiplot) under `title`.
/// A plain value: build it, inspect it, hand it to `savefig` / `render`.
public struct Figure: Equatable, Sendable {
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var xScale: Scale = .linear
    public var yScale: Scale = .linear
    public var xRange = AxisRange()
    public var yRange = AxisRange()
    public var legend = Legend()
    public var grid = false
    public var size = FigureSize.standard
    public var series: [Series] = []
    /// gnuplot commands sent verbatim after the settings and before `plot`: the escape hatch
    /// for anything the model lacks. Ignored by the built-in PNG writer.
    public var raw: [String] = []
    /// Sub-figures of a multiplot, filled row by row; their `size` is ignored.
    public var panels: [Figure] = []
    public var layout: Layout?

    public init(title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                series: [Series] = [], size: FigureSize = .standard) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.size = size
    }

    /// A multiplot figure of `rows x columns` panels (at most rows*columns, filled row by row).
    public static func subplots(rows: Int, columns: Int, _ panels: [Figure], title: String? = nil,
                                size: FigureSize? = nil) throws -> Figure {
        guard rows >= 1, columns >= 1 else {
            throw PlotError.invalid("subplots needs at least 1 row and 1 column, got \(rows) x \(columns)")
        }
        guard panels.count <= rows * columns else {
            throw PlotError.invalid("subplots \(rows) x \(columns) holds \(rows * columns) panels, got \(panels.count)")
        }
        var figure = Figure(title: title)
        figure.layout = Layout(rows: rows, columns: columns)
        figure.panels = panels
        figure.size = size ?? FigureSize(width: 480 * columns, height: 360 * rows)
        try figure.validate()
        return figure
    }

    /// True for a multiplot figure.
    public var isMultiplot: Bool { !panels.isEmpty }

    /// Appends a series.
    public mutating func add(_ series: Series) {
        self.series.append(series)
    }

    /// Appends a raw gnuplot command line.
    public mutating func addRaw(_ command: String) {
        raw.append(command)
    }

    /// Checks what cannot be checked when fields are set one by one: a multiplot has no series of
    /// its own, panels are not nested, log-scale ranges are positive.
    public func validate() throws {
        if isMultiplot {
            guard series.isEmpty else {
                throw PlotError.invalid("a figure with subplots cannot also hold series; add them to a panel")
            }
            guard let layout = layout, panels.count <= layout.rows * layout.columns else {
                throw PlotError.invalid("subplots: \(panels.count) panels do not fit the layout")
            }
            for (index, panel) in panels.enumerated() {
                guard !panel.isMultiplot else {
                    throw PlotError.invalid("subplot \(index + 1) has subplots of its own; nesting is not supported")
                }
                try panel.validate()
            }
        }
        guard size.width >= 16, size.height >= 16, size.width <= 20000, size.height <= 20000 else {
            throw PlotError.invalid("figure size \(size.width)x\(size.height) is outside 16...20000 pixels")
        }
        for (name, scale, range) in [("x", xScale, xRange), ("y", yScale, yRange)] {
            if case let .log(base) = scale {
                guard base > 1 else { throw PlotError.invalid("\(name) log scale base must be > 1, got \(base)") }
                if let lo = range.min, lo <= 0 { throw PlotError.invalid("\(name) range starts at \(lo), not allowed on a log scale") }
            }
            if let lo = range.min, let hi = range.max, !(lo < hi) {
                throw PlotError.invalid("\(name) range [\(lo):\(hi)] is empty")
            }
        }
        for line in raw where line.contains("\n") {
            throw PlotError.invalid("raw gnuplot command spans several lines; pass one line per raw() call: \(line)")
        }
    }
}
