import Foundation
import Support
import Lang
import Plotting

/// The `plot` module: figures built from lists, tensors or a run's history, drawn by gnuplot to
/// files (PNG, SVG, PDF, text) or as a text plot in the terminal, plus the standard plots of the
/// method (`plot_losses`, `plot_weights`, ...; see PlotBuiltins+Method.swift).
///
/// Builders return a `figure`; with `out: "path"` they write the file instead and return its
/// path, and every file written is recorded in `FigureLog` for the notebook report.
public enum PlotBuiltins {
    /// The registry of module `plot`.
    public static var registry: BuiltinRegistry {
        BuiltinRegistry(module: "plot", builtins: builders() + drawing() + methodPlots())
    }

    // MARK: shared pieces

    /// Arguments every builder takes besides the plot options.
    static let outputKeywords = ["out", "show"]

    /// The figure of argument `index` / `name`.
    static func figureArgument(_ args: Arguments, _ index: Int?, _ name: String = "fig") throws -> FigureValue {
        try args.native(index, name, as: FigureValue.self, expected: "a figure (from figure(), plot(), ...)")
    }

    /// Writes `figure` to `path` (format from the extension), prints gnuplot's warnings, records
    /// the file in `FigureLog`, and returns the path as given.
    static func save(_ figure: Figure, _ path: String, _ args: Arguments) throws -> Value {
        guard !path.isEmpty else { throw DprmError.runtime("\(args.callee)(): the output path is empty") }
        let saved = try PlotData.wrap(args.callee) { try Plotter().savefig(figure, path) }
        for warning in saved.warnings { args.interpreter.output("warning: \(warning)\n") }
        FigureLog.record(path: saved.path)
        return .string(path)
    }

    /// Prints `figure` as a text plot through the interpreter's output.
    static func show(_ figure: Figure, _ args: Arguments, width: Int = 80, height: Int = 25) throws {
        let text = try PlotData.wrap(args.callee) { try Plotter().render(figure, width: width, height: height) }
        args.interpreter.output(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// The end of every builder: `out:` writes the file and returns its path, `show: true` prints
    /// the text plot; otherwise (and with `show:`) the figure is returned.
    static func finish(_ figure: Figure, _ args: Arguments) throws -> Value {
        if let out = args.optional(nil, "out") {
            guard case .string(let path) = out else {
                throw DprmError.type("\(args.callee)() argument 'out' must be a file path, got \(out.typeName)")
            }
            if try args.bool(nil, "show", default: false) { try show(figure, args) }
            return try save(figure, path, args)
        }
        if try args.bool(nil, "show", default: false) { try show(figure, args) }
        return .native(FigureValue(figure))
    }

    /// True when `v` is a table of columns (a history dict, or an object with a `history`).
    static func isTable(_ v: Value) -> Bool {
        switch v {
        case .dict: return true
        case .native(let n): return (try? n.member("history")) != nil
        default: return false
        }
    }

    // MARK: adding series (shared by the builtins and the figure's methods)

    static let lineKeywords = ["data", "ys", "x", "y"] + outputKeywords

    /// Adds the lines of a `plot(...)` / `scatter(...)` call to `figure`:
    /// `(y)`, `(x, y)`, `(x, [y1, y2])`, or `(table, x: "step", y: "loss" | [...])`.
    static func addLines(_ figure: inout Figure, _ positional: [Value], _ args: Arguments, kind: SeriesKind) throws {
        let interpreter = args.interpreter, callee = args.callee
        // `data:` and `ys:` passed by name stand where they would stand by position.
        var positional = positional
        for name in ["data", "ys"].dropFirst(positional.count) {
            guard let v = args.optional(nil, name) else { break }
            positional.append(v)
        }
        let (figureOptions, seriesOptions) = try PlotData.options(args, reserved: lineKeywords)
        var lines: [(x: [Double], y: [Double], label: String?)] = []
        var defaultXLabel: String?, defaultYLabel: String?
        let xKeyword = args.optional(nil, "x"), yKeyword = args.optional(nil, "y")

        if positional.count == 1, isTable(positional[0]) {
            let table = try PlotData.history(positional[0], "\(callee)() argument 'data'", interpreter)
            let xName: String
            switch xKeyword {
            case .string(let s)?: xName = s
            case nil:
                guard let found = PlotData.firstColumn(table, ["step", "iteration", "epoch", "n"]) else {
                    throw DprmError.runtime("\(callee)(): no step column (step, iteration, epoch); pass x: \"column\" (columns: \(table.keys.joined(separator: ", ")))")
                }
                xName = found
            case let other?: throw DprmError.type("\(callee)() argument 'x' must name a column when plotting a table, got \(other.typeName)")
            }
            let yNames: [String]
            switch yKeyword {
            case .string(let s)?: yNames = [s]
            case .list?: yNames = try PlotData.strings(yKeyword!, "\(callee)() argument 'y'", interpreter)
            case nil:
                guard let found = PlotData.firstColumn(table, ["loss", "lower_loss"]) else {
                    throw DprmError.runtime("\(callee)(): which columns? pass y: \"column\" or y: [\"a\", \"b\"] (columns: \(table.keys.joined(separator: ", ")))")
                }
                yNames = [found]
            case let other?: throw DprmError.type("\(callee)() argument 'y' must name a column or list columns, got \(other.typeName)")
            }
            for name in yNames {
                let (xs, ys) = try PlotData.pairs(table, x: xName, y: name, callee, interpreter)
                lines.append((xs, ys, name))
            }
            defaultXLabel = xName
            if yNames.count == 1 { defaultYLabel = yNames[0] }
        } else {
            let xValue: Value?, yValue: Value
            switch positional.count {
            case 0:
                guard let y = yKeyword else { throw DprmError.type("\(callee)() missing argument 'y'") }
                (xValue, yValue) = (xKeyword, y)
            case 1: (xValue, yValue) = (xKeyword, positional[0])
            case 2: (xValue, yValue) = (positional[0], positional[1])
            default:
                throw DprmError.type("\(callee)() takes (y), (x, y) or (table, x: \"col\", y: \"col\"), but \(positional.count) positional arguments were given")
            }
            let ys = try PlotData.isNested(yValue, interpreter)
                ? try PlotData.rows(yValue, "\(callee)() argument 'y'", interpreter)
                : [try PlotData.numbers(yValue, "\(callee)() argument 'y'", interpreter)]
            let xs = try xValue.map { try PlotData.numbers($0, "\(callee)() argument 'x'", interpreter) }
            for y in ys { lines.append((xs ?? y.indices.map(Double.init), y, nil)) }
        }

        var series = seriesOptions
        var labels = lines.map(\.label)
        switch series.removeValue(forKey: "label") {
        case .string(let s)?:
            guard lines.count == 1 else {
                throw DprmError.type("\(callee)(): \(lines.count) series but one label; pass label: [one per series]")
            }
            labels[0] = s
        case .strings(let names)?:
            guard names.count == lines.count else {
                throw DprmError.type("\(callee)(): \(lines.count) series but \(names.count) labels")
            }
            labels = names
        case let other?: throw DprmError.type("\(callee)() argument 'label' must be a string or a list of strings, got \(other)")
        case nil: break
        }
        for (index, line) in lines.enumerated() {
            var options = series
            if let label = labels[index] { options["label"] = .string(label) }
            let made = try PlotData.wrap(callee) { try Series(x: line.x, y: line.y, options: options, defaultKind: kind) }
            figure.add(made)
        }
        if figure.xLabel == nil { figure.xLabel = defaultXLabel }
        if figure.yLabel == nil { figure.yLabel = defaultYLabel }
        var updated = figure
        try PlotData.wrap(callee) { try updated.apply(options: figureOptions) }
        figure = updated
    }

    static let histKeywords = ["values", "bins", "range", "edges"] + outputKeywords

    /// The parameters of `plot` and `scatter`: the data forms `(y)`, `(x, y)`, `(table, x:, y:)`,
    /// then every plot option and the output ones.
    static let lineParameters = lineInputs + PlotData.figureOptionParameters() + PlotData.seriesOptionParameters + PlotData.outputParameters

    /// The data arguments of `plot`, `scatter`, `fig.plot` and `fig.scatter`.
    static let lineInputs: [Parameter] = [
        .positional("data", "list, tensor or table", optional: true,
                    "the y values (a list of lists: several series); with a second positional, the x values; or a table (a history dict or a run)"),
        .positional("ys", "list or tensor", optional: true, "the y values when data holds the x values"),
        .keyword("x", "string, list or tensor", "a table's x column (default: step, iteration or epoch), or the x values"),
        .keyword("y", "string, list of strings, or values", "a table's y column or columns (default: loss), or the y values"),
    ]

    /// The parameters of `hist`.
    static let histParameters = histInputs + PlotData.figureOptionParameters() + PlotData.seriesOptionParameters + PlotData.outputParameters

    /// The data arguments of `hist` and `fig.hist`.
    static let histInputs: [Parameter] = [
        .positional("values", "list or tensor", "the values counted (nil entries are left out)"),
        .keyword("bins", "whole number", default: 10, "the number of bins"),
        .keyword("range", "list of 2 numbers", "[lo, hi] bounding the bins (values outside are left out)"),
        .keyword("edges", "list of numbers", "explicit bin edges (instead of bins and range)"),
    ]

    /// Adds the bars of a `hist(values, bins:, range:)` call to `figure`; nil values are left out.
    static func addHistogram(_ figure: inout Figure, _ positional: [Value], _ args: Arguments) throws {
        let interpreter = args.interpreter, callee = args.callee
        guard positional.count == 1 else {
            throw DprmError.type("\(callee)() takes 1 positional argument (the values) but \(positional.count) were given")
        }
        let (figureOptions, seriesOptions) = try PlotData.options(args, reserved: histKeywords)
        if seriesOptions["with"] != nil { throw DprmError.type("\(callee)() draws bars; 'with' does not apply") }
        let values = try PlotData.optionalNumbers(positional[0], "\(callee)() argument 'values'", interpreter).compactMap { $0 }
        var style = Style()
        try PlotData.wrap(callee) { try style.apply(options: seriesOptions) }
        let label: String?
        switch seriesOptions["label"] {
        case .string(let s)?: label = s
        case nil: label = nil
        case let other?: throw DprmError.type("\(callee)() argument 'label' must be a string, got \(other)")
        }
        var updated = figure
        if let edgesValue = args.optional(nil, "edges") {
            let edges = try PlotData.numbers(edgesValue, "\(callee)() argument 'edges'", interpreter)
            try PlotData.wrap(callee) { try updated.hist(values, edges: edges, label: label, style: style) }
        } else {
            let bins = try args.int(nil, "bins", default: 10)
            var range: ClosedRange<Double>?
            if let r = args.optional(nil, "range") {
                let bounds = try PlotData.numbers(r, "\(callee)() argument 'range'", interpreter)
                guard bounds.count == 2, bounds[0] <= bounds[1] else {
                    throw DprmError.type("\(callee)() argument 'range' must be [low, high] with low <= high")
                }
                range = bounds[0]...bounds[1]
            }
            try PlotData.wrap(callee) { try updated.hist(values, bins: bins, range: range, label: label, style: style) }
        }
        if updated.xLabel == nil { updated.xLabel = "value" }
        if updated.yLabel == nil { updated.yLabel = "count" }
        if label == nil, updated.series.allSatisfy({ $0.label == nil }) { updated.legend.visible = false }
        try PlotData.wrap(callee) { try updated.apply(options: figureOptions) }
        figure = updated
    }

    /// Adds a horizontal line at `y` across the x extent of the series (or `from:`/`to:`).
    static func addHorizontalLine(_ figure: inout Figure, _ positional: [Value], _ args: Arguments) throws {
        let callee = args.callee
        guard positional.count == 1, let yValue = positional[0].asNumber else {
            throw DprmError.type("\(callee)() takes the height y (a number)")
        }
        let (figureOptions, seriesOptions) = try PlotData.options(args, reserved: ["y", "from", "to"])
        let xs = figure.series.flatMap(\.x).filter(\.isFinite)
        let from = try args.number(nil, "from", default: xs.min() ?? 0)
        let to = try args.number(nil, "to", default: xs.max() ?? 1)
        var style = Style(dash: .dashed)
        try PlotData.wrap(callee) { try style.apply(options: seriesOptions) }
        let label = seriesOptions["label"].flatMap { if case .string(let s) = $0 { return s }; return nil }
        var updated = figure
        updated.hline(yValue, from: from, to: to, label: label, style: style)
        try PlotData.wrap(callee) { try updated.apply(options: figureOptions) }
        figure = updated
    }

    // MARK: builders

    static func builders() -> [Builtin] {
        let optionHelp = """
            Figure options: title, xlabel, ylabel, logx/xlog, logy/ylog (true or a base), xrange, yrange
            ([lo, hi]), legend (true/false or "top left", "bottom right", "outside", ...), grid, size ([w, h]).
            Series options: label (a list for several series), color ("red", "#1f77b4"), lw, pt, ps,
            dash ("dashed", "dotted", "dashdot"), with ("lines", "points", "linespoints", "scatter").
            out: "file.png|svg|pdf|txt" writes the figure and returns the path; show: true prints a text plot.
            """
        return [
            Builtin("figure", parameters: [.positional("title", "string", optional: true, "the figure's title")]
                        + PlotData.figureOptionParameters(except: ["title"]),
                    "An empty figure to add series to with fig.plot / fig.scatter / fig.hist / fig.hline / fig.raw.",
                    help: "Settings are also fields: fig.title = \"loss\", fig.logy = true, fig.xrange = [0, 100].\n"
                        + "Printing a figure shows it as a text plot; savefig(fig, path) writes it.",
                    example: "let fig = figure(title: \"curves\", xlabel: \"step\")\nfig.plot([1, 2, 3], [3, 1, 2], label: \"a\")\nfig.hline(2, label: \"target\")\nfig.series") { a in
                var figure = Figure()
                if let title = a.optional(0, "title") {
                    guard case .string(let s) = title else { throw DprmError.type("figure() argument 'title' must be a string, got \(title.typeName)") }
                    figure.title = s
                }
                let (options, _) = try PlotData.options(a, reserved: [], series: false)
                try PlotData.wrap("figure") { try figure.apply(options: options) }
                return .native(FigureValue(figure))
            },
            Builtin("plot", parameters: lineParameters,
                    "A line plot of lists, tensors, or columns of a run's history; returns the figure (or the path with out:).",
                    help: "y may be a list of lists (several series). A history is a dict of columns or a run;\n"
                        + "nil entries of a column (meta_loss between upper steps) are skipped.\n" + optionHelp,
                    example: "let h = {step: [0, 1, 2, 3], loss: [2.0, 1.2, 0.9, 0.7], meta_loss: [1.5, nil, 1.1, nil]}\nplot(h, y: [\"loss\", \"meta_loss\"], title: \"losses\")") { a in
                var figure = Figure()
                try addLines(&figure, a.positional, a, kind: .line)
                return try finish(figure, a)
            },
            Builtin("scatter", parameters: lineParameters,
                    "A scatter plot (small markers); returns the figure (or the path with out:).",
                    help: "Takes the same data forms and options as plot().\n" + optionHelp,
                    example: "scatter([0.1, 0.4, 0.5, 0.9], [0.2, 0.5, 0.3, 0.8], title: \"score vs label\", ps: 1)") { a in
                var figure = Figure()
                try addLines(&figure, a.positional, a, kind: .scatter)
                return try finish(figure, a)
            },
            Builtin("hist", parameters: histParameters,
                    "A histogram (numpy.histogram's bins); returns the figure (or the path with out:).",
                    help: "range: [lo, hi] bounds the bins (values outside are left out); edges: explicit bin edges.\n"
                        + "nil values are left out.\n" + optionHelp,
                    example: "hist([0.1, 0.2, 0.2, 0.5, 0.9, 1.0], bins: 5, range: [0, 1], title: \"weights\")") { a in
                var figure = Figure()
                try addHistogram(&figure, a.positional, a)
                return try finish(figure, a)
            },
            Builtin("subplots", parameters: [
                    .positional("rows", "whole number", "rows of the grid"),
                    .positional("cols", "whole number", "columns of the grid"),
                    .positional("figures", "list of figures", "the panels, row by row"),
                    .keyword("title", "string", "a title over the grid"),
                    .keyword("size", "list of 2 numbers", "[width, height] of the whole figure in pixels"),
                ] + PlotData.outputParameters,
                    "One figure holding the given figures as a rows x cols grid of panels (filled row by row).",
                    help: "Panels keep their own titles, labels, scales and series; their size is ignored.\n"
                        + "size: [width, height] of the whole figure (default 480 x 360 per panel).",
                    example: "let a = plot([1, 2, 3], title: \"a\")\nlet b = hist([1, 2, 2, 3], bins: 3, title: \"b\")\nsubplots(1, 2, [a, b], title: \"two panels\")") { a in
                let rows = try a.int(0, "rows"), columns = try a.int(1, "cols")
                let panels = try a.sequence(2, "figures").enumerated().map { index, item -> Figure in
                    guard case .native(let n) = item, let f = n as? FigureValue else {
                        throw DprmError.type("subplots() figure \(index) must be a figure, got \(item.typeName)")
                    }
                    return f.figure
                }
                let title = try a.optional(nil, "title").map { v -> String in
                    guard case .string(let s) = v else { throw DprmError.type("subplots() argument 'title' must be a string") }
                    return s
                }
                var size: FigureSize?
                if let s = a.optional(nil, "size") {
                    let wh = try PlotData.numbers(s, "subplots() argument 'size'", a.interpreter)
                    guard wh.count == 2 else { throw DprmError.type("subplots() argument 'size' must be [width, height]") }
                    size = FigureSize(width: Int(wh[0]), height: Int(wh[1]))
                }
                let figure = try PlotData.wrap("subplots") {
                    try Figure.subplots(rows: rows, columns: columns, panels, title: title, size: size)
                }
                return try finish(figure, a)
            },
        ]
    }

    static func drawing() -> [Builtin] {
        [
            Builtin("savefig", parameters: [
                    .positional("fig", "figure", "the figure"),
                    .positional("path", "string", "the file: .png, .svg, .pdf, or .txt for a text plot"),
                ],
                    "Writes a figure to a file (.png, .svg, .pdf, or .txt for a text plot); returns the path.",
                    help: "The file appears complete or not at all. Without gnuplot, PNG is drawn by the built-in\n"
                        + "writer (no text) and a warning says so; other formats need gnuplot.\n"
                        + "gnuplot's errors (e.g. from fig.raw) are reported with the offending command.\n"
                        + "Every file written is listed in the notebook report of the cell that wrote it.",
                    example: "savefig(plot([3, 1, 2], title: \"demo\"), \"/tmp/dprm-demo.png\")") { a in
                let figure = try figureArgument(a, 0)
                return try save(figure.figure, try a.string(1, "path"), a)
            },
            Builtin("show_image", parameters: [
                    .positional("path", "string", "a .png or .svg file"),
                ],
                    "Lists an image file among the current cell's figures (notebook reports embed it); returns the path.",
                    help: "For pictures not drawn by the plot builtins, e.g. a multimodal benchmark's question images. A missing file or another format is an error naming it.",
                    example: "savefig(plot([1, 2]), \"/tmp/dprm-show-image.png\")\nprint(show_image(\"/tmp/dprm-show-image.png\"))") { a in
                let path = try a.string(0, "path")
                let lower = path.lowercased()
                guard lower.hasSuffix(".png") || lower.hasSuffix(".svg") else { throw DprmError.runtime("show_image: \(path) is not a .png or .svg file") }
                guard FileManager.default.fileExists(atPath: path) else { throw DprmError.runtime("show_image: no such file \(path)") }
                FigureLog.record(path: URL(fileURLWithPath: path).standardizedFileURL.path)
                return .string(path)
            },
            Builtin("show", parameters: [
                    .positional("fig", "figure", "the figure"),
                    .positional("width", "whole number", default: 80, "columns of the text plot"),
                    .positional("height", "whole number", default: 25, "rows of the text plot"),
                ],
                    "Prints a figure as a text plot (gnuplot's dumb terminal).",
                    help: "What the REPL shows for a figure when no file is given.",
                    example: "show(plot([0, 1, 4, 9, 16], title: \"squares\"), width: 60, height: 15)") { a in
                let figure = try figureArgument(a, 0)
                try show(figure.figure, a, width: try a.int(1, "width"), height: try a.int(2, "height"))
                return .nil
            },
            Builtin("render", parameters: [
                    .positional("fig", "figure", "the figure"),
                    .positional("format", "string", default: .string("text"), "\"text\" (a text plot) or \"svg\""),
                    .keyword("width", "whole number", default: 80, "columns of the text plot"),
                    .keyword("height", "whole number", default: 25, "rows of the text plot"),
                ],
                    "A figure as a string: a text plot (\"text\") or SVG markup (\"svg\").",
                    help: "For embedding a figure in a report or comparing text plots; nothing is written or recorded.",
                    example: "let svg = render(plot([1, 2, 3]), format: \"svg\")\nstarts_with(svg, \"<?xml\")") { a in
                let figure = try figureArgument(a, 0)
                let format = try a.string(1, "format")
                let width = try a.int(nil, "width"), height = try a.int(nil, "height")
                let output: OutputFormat
                switch format {
                case "text", "dumb", "txt": output = .dumb(width: width, height: height)
                case "svg": output = .svg
                default:
                    var e = DprmError.runtime("render(): unknown format '\(format)'; use \"text\" or \"svg\" (savefig writes png and pdf)")
                    if let s = closestName(format, in: ["text", "svg"]) { e.notes.append("did you mean `\(s)`?") }
                    throw e
                }
                return .string(try PlotData.wrap("render") { try Plotter().render(figure.figure, output) })
            },
            Builtin("gnuplot_script", parameters: [
                    .positional("fig", "figure", "the figure"),
                    .positional("path", "string", default: .string("figure.png"), "the file savefig would write (its extension picks the terminal)"),
                ],
                    "The exact gnuplot commands savefig(fig, path) would send (for debugging raw commands).",
                    help: "The terminal follows the path's extension, as in savefig; nothing is drawn or written.",
                    example: "print(gnuplot_script(plot([1, 2, 3], title: \"t\"), \"out.svg\"))") { a in
                let figure = try figureArgument(a, 0)
                let path = try a.string(1, "path")
                return .string(try PlotData.wrap("gnuplot_script") { try Plotter().script(figure.figure, for: path) })
            },
        ]
    }

    // MARK: figure methods

    /// The methods of a figure value. Each mutates the figure and returns it (so calls chain),
    /// except the drawing ones.
    /// The methods of figures (`FigureValue.members` lists them with the fields).
    static func figureMethods() -> [NativeMember<FigureValue>] {
        func method(_ name: String, _ parameters: [Parameter], _ summary: String,
                    _ body: @escaping (FigureValue, [Value], inout Arguments) throws -> Value) -> NativeMember<FigureValue> {
            .method(name, parameters: parameters, summary) { receiver, a in try body(receiver, a.positional, &a) }
        }
        func mutating(_ name: String, _ parameters: [Parameter], _ summary: String,
                      _ body: @escaping (inout Figure, [Value], Arguments) throws -> Void) -> NativeMember<FigureValue> {
            method(name, parameters, summary) { receiver, positional, a in
                var figure = receiver.figure
                try body(&figure, positional, a)
                receiver.figure = figure
                return .native(receiver)
            }
        }
        let options = PlotData.figureOptionParameters() + PlotData.seriesOptionParameters
        return [
            mutating("plot", lineInputs + options,
                     "Adds lines (same forms and options as plot()); returns the figure.") { f, p, a in
                try addLines(&f, p, a, kind: .line)
            },
            mutating("scatter", lineInputs + options, "Adds markers; returns the figure.") { f, p, a in
                try addLines(&f, p, a, kind: .scatter)
            },
            mutating("hist", histInputs + options,
                     "Adds histogram bars; returns the figure.") { f, p, a in
                try addHistogram(&f, p, a)
            },
            mutating("hline", [
                        .positional("y", "number", "the height"),
                        .keyword("from", "number", shown: "the data's smallest x", "where the line starts"),
                        .keyword("to", "number", shown: "the data's largest x", "where the line ends"),
                     ] + options,
                     "Adds a horizontal line across the data's x extent (a baseline); returns the figure.") { f, p, a in
                try addHorizontalLine(&f, p, a)
            },
            mutating("raw", [.positional("command", "string", "a gnuplot command")],
                     "Adds a gnuplot command sent verbatim before plotting (escape hatch); returns the figure.") { f, p, a in
                guard p.count == 1, case .string(let command) = p[0], a.keywords.isEmpty else {
                    throw DprmError.type("figure.raw() takes one gnuplot command (a string)")
                }
                var updated = f
                updated.addRaw(command)
                try PlotData.wrap("figure.raw") { try updated.validate() }
                f = updated
            },
            mutating("set", PlotData.figureOptionParameters(),
                     "Changes figure settings; returns the figure.") { f, p, a in
                guard p.isEmpty else { throw DprmError.type("figure.set() takes keyword options only") }
                let (options, _) = try PlotData.options(a, reserved: [], series: false)
                var updated = f
                try PlotData.wrap("figure.set") { try updated.apply(options: options) }
                f = updated
            },
            method("savefig", [.positional("path", "string", "the file: .png, .svg, .pdf, or .txt for a text plot")], "Writes the figure (see savefig); returns the path.") { r, p, a in
                guard p.count == 1, case .string(let path) = p[0] else { throw DprmError.type("figure.savefig() takes a file path") }
                return try save(r.figure, path, a)
            },
            method("show", [
                        .keyword("width", "whole number", default: 80, "columns of the text plot"),
                        .keyword("height", "whole number", default: 25, "rows of the text plot"),
                   ], "Prints the figure as a text plot.") { r, p, a in
                try show(r.figure, a, width: try a.int(nil, "width"), height: try a.int(nil, "height"))
                return .nil
            },
            method("copy", [], "An independent copy of the figure.") { r, _, _ in
                .native(FigureValue(r.figure))
            },
        ]
    }
}
