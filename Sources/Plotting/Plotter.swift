import Foundation
import Support

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
                try text.write(to: URL(fileURLWithPath: temporary))
            } else {
                _ = try run(figure, terminal: terminal, output: temporary, gnuplot, &warnings)
            }
        }
        return SavedFigure(path: absolute, backend: .gnuplot(terminal: terminal.name), warnings: warnings)
    }

    /// The figure as a text plot (gnuplot's `dumb` terminal), what the REPL prints when there is
    /// no file and no display.
    public func render(_ figure: Figure, width: Int = 80, height: Int = 25) throws -> String {
        try render(figure, .dumb(width: width, height: height))
    }

    /// The figure in a text format: `.dumb(width:height:)` (a text plot) or `.svg` (markup to
    /// embed in a notebook report). Binary formats go through `renderData`.
    public func render(_ figure: Figure, _ format: OutputFormat) throws -> String {
        switch format {
        case .dumb, .svg: return String(decoding: try renderData(figure, format), as: UTF8.self)
        case .png, .pdf: throw PlotError.invalid("render: \(format) is binary; use renderData (or savefig)")
        }
    }

    /// The bytes of the figure in `format`, without a file (gnuplot writes to its stdout): what
    /// a notebook embeds. PNG falls back to the built-in writer when gnuplot is missing.
    public func renderData(_ figure: Figure, _ format: OutputFormat) throws -> Data {
        if case let .dumb(width, height) = format, width < 10 || height < 5 {
            throw PlotError.invalid("text plot size \(width)x\(height) is too small (at least 10x5)")
        }
        guard let gnuplot = gnuplot else {
            guard format == .png else { throw PlotError.gnuplotMissing(needed: format.isText ? "text plots" : "\(format) output") }
            let canvas = try Rasterizer.draw(figure)
            return try PNGWriter.encode(rgb: canvas.pixels, width: canvas.width, height: canvas.height)
        }
        var warnings: [String] = []
        let data = try run(figure, terminal: try resolve(format, gnuplot), output: nil, gnuplot, &warnings)
        return data
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

    /// Runs the figure's script; returns gnuplot's stdout (empty when `output` is a file).
    func run(_ figure: Figure, terminal: Terminal, output: String?, _ gnuplot: Gnuplot, _ warnings: inout [String]) throws -> Data {
        let script = try GnuplotScript.make(figure, terminal: terminal, output: output)
        let result = try gnuplot.run(script)
        warnings += result.warnings
        // The dumb terminal starts each page with a form feed.
        return terminal.isText ? Data(result.data.drop { $0 == 0x0C }) : result.data
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

/// `render(figure, .svg)` / `render(figure, .dumb(width: 100, height: 30))` with the default `Plotter`.
public func render(_ figure: Figure, _ format: OutputFormat) throws -> String {
    try Plotter().render(figure, format)
}
