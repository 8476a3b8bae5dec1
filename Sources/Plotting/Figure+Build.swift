import Support

/// The builders the language binds as `plot`, `scatter` and `hist`: plain arrays in, a series
/// appended to the figure. They check lengths and throw `PlotError.invalid` naming the series.
extension Figure {
    /// A line (or `kind`) through the points `(x[i], y[i])`.
    public mutating func plot(_ x: [Double], _ y: [Double], label: String? = nil,
                              kind: SeriesKind = .line, style: Style = Style()) throws {
        series.append(try Series(kind: kind, x: x, y: y, label: label, style: style))
    }

    /// A line through `y` against its index 0, 1, 2, ...
    public mutating func plot(_ y: [Double], label: String? = nil, kind: SeriesKind = .line,
                              style: Style = Style()) throws {
        try plot(y.indices.map(Double.init), y, label: label, kind: kind, style: style)
    }

    /// Markers at `(x[i], y[i])`, small by default.
    public mutating func scatter(_ x: [Double], _ y: [Double], label: String? = nil,
                                 style: Style = Style(pointSize: 0.6)) throws {
        series.append(try Series(kind: .scatter, x: x, y: y, label: label, style: style))
    }

    /// Bars of a histogram of `values` with `bins` equal bins (NumPy's rule); returns the counts.
    @discardableResult
    public mutating func hist(_ values: [Double], bins: Int = 10, range: ClosedRange<Double>? = nil,
                              label: String? = nil, style: Style = Style()) throws -> Histogram {
        let histogram = try Histogram(values, bins: bins, range: range)
        add(histogram, label: label, style: style)
        return histogram
    }

    /// Bars of a histogram of `values` over the given bin edges; returns the counts.
    @discardableResult
    public mutating func hist(_ values: [Double], edges: [Double], label: String? = nil,
                              style: Style = Style()) throws -> Histogram {
        let histogram = try Histogram(values, edges: edges)
        add(histogram, label: label, style: style)
        return histogram
    }

    /// Bars of an already computed histogram.
    public mutating func add(_ histogram: Histogram, label: String? = nil, style: Style = Style()) {
        // Lengths agree by construction.
        series.append(try! Series(kind: .bars, x: histogram.centers, y: histogram.counts.map(Double.init),
                                  widths: histogram.widths, label: label, style: style))
    }

    /// A horizontal line at `y` spanning `xs`'s extent (used for baselines).
    public mutating func hline(_ y: Double, from x0: Double, to x1: Double, label: String? = nil,
                               style: Style = Style(dash: .dashed)) {
        series.append(try! Series(kind: .line, x: [x0, x1], y: [y, y], label: label, style: style))
    }
}

/// `plot(x, y)` as a one-series figure.
public func plot(_ x: [Double], _ y: [Double], label: String? = nil, title: String? = nil) throws -> Figure {
    var figure = Figure(title: title)
    try figure.plot(x, y, label: label)
    return figure
}

/// `scatter(x, y)` as a one-series figure.
public func scatter(_ x: [Double], _ y: [Double], label: String? = nil, title: String? = nil) throws -> Figure {
    var figure = Figure(title: title)
    try figure.scatter(x, y, label: label)
    return figure
}

/// `hist(values, bins:)` as a one-series figure.
public func hist(_ values: [Double], bins: Int = 10, label: String? = nil, title: String? = nil) throws -> Figure {
    var figure = Figure(title: title)
    try figure.hist(values, bins: bins, label: label)
    return figure
}

extension Figure {
    /// Lines from named columns of a table such as a run's history (`x: "step", y: ["loss",
    /// "meta_loss"]`), each labelled with its column name. A missing column is an error that
    /// lists the columns there are and suggests the closest name.
    public mutating func plot(columns: [String: [Double]], x: String, y: [String], kind: SeriesKind = .line) throws {
        func column(_ name: String) throws -> [Double] {
            guard let values = columns[name] else {
                let known = columns.keys.sorted()
                let hint = closestName(name, in: known).map { " (did you mean '\($0)'?)" } ?? ""
                throw PlotError.invalid("no column '\(name)'\(hint); columns: \(known.joined(separator: ", "))")
            }
            return values
        }
        let xs = try column(x)
        for name in y {
            let ys = try column(name)
            guard ys.count == xs.count else {
                throw PlotError.invalid("column '\(name)' has \(ys.count) values but column '\(x)' has \(xs.count)")
            }
            try plot(xs, ys, label: name, kind: kind)
        }
        if xLabel == nil { xLabel = x }
        if yLabel == nil, y.count == 1 { yLabel = y[0] }
    }
}
