import Foundation

/// Where a figure went and how it was drawn.
public struct SavedFigure: Equatable, Sendable {
    public enum Backend: Equatable, Sendable {
        /// Drawn by gnuplot with this terminal.
        case gnuplot(terminal: String)
        /// Drawn by the built-in PNG writer (gnuplot missing).
        case builtin
    }

    public var path: String
    public var backend: Backend
    /// Things the user should know: gnuplot's warnings, or that the built-in writer was used.
    public var warnings: [String]
}

/// Draws figures: to files (`savefig`) or as text (`render`). Uses gnuplot when it is there and
/// the built-in PNG writer when it is not. Holds no process or file between calls.
public struct Plotter: Sendable {
    /// The gnuplot to use; nil means "not installed" (PNG through the built-in writer only).
    public var gnuplot: Gnuplot?

    /// `gnuplot` defaults to `Gnuplot.locate()` (`DPRM_GNUPLOT`, then `PATH`).
    public init(gnuplot: Gnuplot? = Gnuplot.locate()) {
        self.gnuplot = gnuplot
    }

    /// What is said when the built-in writer stands in for gnuplot.
    public static let builtinNotice =
        "gnuplot is not installed: the PNG was drawn by the built-in writer (lines, bars, markers, no text). " + PlotError.installHint

    /// Writes `figure` to `path`, the format chosen by the extension (.png, .svg, .pdf, .txt).
    /// The file appears complete or not at all (temporary file, then rename).
    @discardableResult
    public func savefig(_ figure: Figure, _ path: String) throws -> SavedFigure {
        let format = try OutputFormat(path: path)
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let gnuplot = gnuplot else {
            guard format == .png else { throw PlotError.gnuplotMissing(needed: "\(path) (only PNG can be written without it)") }
            let canvas = try Rasterizer.draw(figure)
            try AtomicFile.write(to: absolute) { temporary in
                try PNGWriter.write(rgb: canvas.pixels, width: canvas.width, height: canvas.height, to: temporary)
            }
            return SavedFigure(path: absolute, backend: .builtin, warnings: [Plotter.builtinNotice])
        }
        let terminal = try resolve(format, gnuplot)
        var warnings: [String] = []
        try AtomicFile.write(to: absolute) { temporary in
            if terminal.isText {
                let text = try run(figure, terminal: terminal, output: nil, gnuplot, &warnings)
                try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            } else {
                _ = try run(figure, terminal: terminal, output: temporary, gnuplot, &warnings)
            }
        }
        return SavedFigure(path: absolute, backend: .gnuplot(terminal: terminal.name), warnings: warnings)
    }

    /// The figure as a text plot (gnuplot's `dumb` terminal), what the REPL prints when there is
    /// no file and no display.
    public func render(_ figure: Figure, width: Int = 80, height: Int = 25) throws -> String {
        guard let gnuplot = gnuplot else { throw PlotError.gnuplotMissing(needed: "text plots") }
        guard width >= 10, height >= 5 else { throw PlotError.invalid("text plot size \(width)x\(height) is too small (at least 10x5)") }
        var warnings: [String] = []
        return try run(figure, terminal: .dumb(width: width, height: height), output: nil, gnuplot, &warnings)
    }

    /// The exact gnuplot commands `savefig(figure, path)` would send (for `:script` and debugging).
    public func script(_ figure: Figure, for path: String) throws -> String {
        guard let gnuplot = gnuplot else { throw PlotError.gnuplotMissing(needed: "a gnuplot script") }
        let format = try OutputFormat(path: path)
        let terminal = try resolve(format, gnuplot)
        return try GnuplotScript.make(figure, terminal: terminal, output: terminal.isText ? nil : path)
    }

    func resolve(_ format: OutputFormat, _ gnuplot: Gnuplot) throws -> Terminal {
        let available = try gnuplot.terminals()
        guard let terminal = Terminal(format: format, available: available) else {
            throw PlotError.invalid("this gnuplot (\(gnuplot.executable)) has none of the terminals \(format.candidateTerminals.joined(separator: ", "))")
        }
        return terminal
    }

    func run(_ figure: Figure, terminal: Terminal, output: String?, _ gnuplot: Gnuplot, _ warnings: inout [String]) throws -> String {
        let script = try GnuplotScript.make(figure, terminal: terminal, output: output)
        let result = try gnuplot.run(script)
        warnings += result.warnings
        // The dumb terminal starts each page with a form feed.
        return String(result.stdout.drop { $0 == "\u{0C}" })
    }
}

/// `savefig(figure, path)` with the default `Plotter` (gnuplot if installed, else built-in PNG).
@discardableResult
public func savefig(_ figure: Figure, _ path: String) throws -> SavedFigure {
    try Plotter().savefig(figure, path)
}

/// `render(figure)`: the figure as a text plot of `width x height` characters.
public func render(_ figure: Figure, width: Int = 80, height: Int = 25) throws -> String {
    try Plotter().render(figure, width: width, height: height)
}
