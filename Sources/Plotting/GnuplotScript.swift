/// Turns a `Figure` into the gnuplot commands that draw it: deterministic text (the snapshot
/// tests compare it exactly), one command per line, data in named datablocks `$data0`, `$data1`...
/// and `unset output` at the end so the file is complete when gnuplot exits.
public enum GnuplotScript {
    /// The script for `figure` on `terminal`, writing to `output` (nil: stdout, for text plots).
    public static func make(_ figure: Figure, terminal: Terminal, output: String?) throws -> String {
        try figure.validate()
        var lines = ["# dprm figure", "set encoding utf8", terminal.command(size: figure.size)]
        if let output = output {
            lines.append("set output \(quote(output))")
        }
        let panels = figure.isMultiplot ? figure.panels : [figure]
        // All data first: datablocks survive multiplot panels and keep plot commands short.
        var blockNames: [[String]] = []
        var counter = 0
        for panel in panels {
            var names: [String] = []
            for series in panel.series {
                let name = "$data\(counter)"
                counter += 1
                names.append(name)
                lines.append("\(name) << EOD")
                lines.append(contentsOf: rows(series.columns))
                lines.append("EOD")
            }
            blockNames.append(names)
        }
        if figure.isMultiplot, let layout = figure.layout {
            lines.append(contentsOf: figure.raw)
            var multiplot = "set multiplot layout \(layout.rows),\(layout.columns) rowsfirst"
            if let title = figure.title { multiplot += " title \(quote(title)) noenhanced" }
            lines.append(multiplot)
            for (index, panel) in panels.enumerated() {
                let (setup, undo) = settings(panel)
                lines.append(contentsOf: setup)
                lines.append(contentsOf: try plotCommand(panel, blocks: blockNames[index], where: "subplot \(index + 1)"))
                if index + 1 < panels.count { lines.append(contentsOf: undo) }
            }
            lines.append("unset multiplot")
        } else {
            lines.append(contentsOf: settings(figure).setup)
            lines.append(contentsOf: try plotCommand(figure, blocks: blockNames[0], where: "figure"))
        }
        lines.append("unset output")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `set` commands of one plot, and the commands that undo them before the next panel.
    static func settings(_ plot: Figure) -> (setup: [String], undo: [String]) {
        var setup: [String] = []
        var undo: [String] = []
        for (command, text) in [("title", plot.title), ("xlabel", plot.xLabel), ("ylabel", plot.yLabel)] {
            if let text = text {
                setup.append("set \(command) \(quote(text)) noenhanced")
                undo.append("unset \(command)")
            }
        }
        for (axis, scale) in [("x", plot.xScale), ("y", plot.yScale)] {
            if case let .log(base) = scale {
                setup.append("set logscale \(axis) \(number(base))")
                undo.append("unset logscale \(axis)")
            }
        }
        for (axis, range) in [("x", plot.xRange), ("y", plot.yRange)] where range.min != nil || range.max != nil {
            setup.append("set \(axis)range [\(range.min.map(number) ?? "*"):\(range.max.map(number) ?? "*")]")
            undo.append("set \(axis)range [*:*]")
        }
        if plot.legend.visible {
            setup.append("set key \(plot.legend.position.rawValue)")
        } else {
            setup.append("unset key")
        }
        undo.append("set key default")
        if plot.grid {
            setup.append("set grid")
            undo.append("unset grid")
        }
        setup.append(contentsOf: plot.raw)
        return (setup, undo)
    }

    /// The `plot` command, one line. A plot without series must draw through its raw lines.
    static func plotCommand(_ plot: Figure, blocks: [String], where place: String) throws -> [String] {
        guard !plot.series.isEmpty else {
            let drawsItself = plot.raw.contains { line in
                let word = line.drop { $0 == " " }.prefix { $0.isLetter }
                return word == "plot" || word == "splot" || word == "p"
            }
            guard drawsItself else { throw PlotError.invalid("\(place) has nothing to plot: no series and no raw plot command") }
            return []
        }
        let clauses = zip(plot.series.indices, blocks).map { index, block in
            clause(plot.series[index], block: block, color: plot.series[index].style.color ?? Color.cycle(index))
        }
        return ["plot " + clauses.joined(separator: ", ")]
    }

    static func clause(_ series: Series, block: String, color: Color) -> String {
        let style = series.style
        var parts = [block]
        let lineStyle = "lc rgb \(quote(color.hex)) lw \(number(style.lineWidth)) dt \(style.dash.gnuplotNumber)"
        let pointStyle = "pt \(style.pointType) ps \(number(style.pointSize))"
        switch series.kind {
        case .line: parts.append("using 1:2 with lines \(lineStyle)")
        case .points, .scatter: parts.append("using 1:2 with points lc rgb \(quote(color.hex)) \(pointStyle)")
        case .linespoints: parts.append("using 1:2 with linespoints \(lineStyle) \(pointStyle)")
        case .bars: parts.append("using 1:2:3 with boxes lc rgb \(quote(color.hex)) lw \(number(style.lineWidth)) fs solid 0.5 border")
        }
        if let label = series.label {
            parts.append("title \(quote(label)) noenhanced")
        } else {
            parts.append("notitle")
        }
        return parts.joined(separator: " ")
    }

    /// One datablock row per point; non-finite values become `NaN`, which gnuplot skips.
    static func rows(_ columns: [[Double]]) -> [String] {
        guard let count = columns.first?.count else { return [] }
        return (0..<count).map { i in columns.map { number($0[i]) }.joined(separator: " ") }
    }

    /// Shortest text that reads back as the same Double (Swift's description): exact and stable.
    static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "NaN"
    }

    /// A gnuplot double-quoted string: backslash, quote and control characters escaped, so any
    /// title (quotes, `#`, `@`, `$`, newlines) reaches the plot as typed.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += " "
            default:
                out.unicodeScalars.append(scalar.value < 0x20 ? " " : scalar)
            }
        }
        return out + "\""
    }
}

extension Figure {
    /// The gnuplot commands that draw this figure (see `GnuplotScript.make`).
    public func gnuplotScript(terminal: Terminal, output: String?) throws -> String {
        try GnuplotScript.make(self, terminal: terminal, output: output)
    }
}
