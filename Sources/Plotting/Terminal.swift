import Foundation

/// What kind of output a figure is drawn to, chosen from a file extension or asked for directly.
public enum OutputFormat: Equatable, Sendable {
    case png
    case svg
    case pdf
    /// A text plot of `width x height` characters (gnuplot's `dumb` terminal).
    case dumb(width: Int, height: Int)

    /// The format for a file name's extension (`.png`, `.svg`, `.pdf`, `.txt`), case-insensitive.
    public init(path: String) throws {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": self = .png
        case "svg": self = .svg
        case "pdf": self = .pdf
        case "txt": self = .dumb(width: 80, height: 25)
        case "": throw PlotError.invalid("savefig: '\(path)' has no extension; use .png, .svg, .pdf or .txt")
        case let other: throw PlotError.invalid("savefig: unknown extension '.\(other)' in '\(path)'; use .png, .svg, .pdf or .txt")
        }
    }

    /// True for `.dumb`.
    public var isText: Bool {
        if case .dumb = self { return true }
        return false
    }

    /// gnuplot terminals that can produce this format, best first.
    public var candidateTerminals: [String] {
        switch self {
        case .png: return ["pngcairo", "png"]
        case .svg: return ["svg"]
        case .pdf: return ["pdfcairo"]
        case .dumb: return ["dumb"]
        }
    }
}

/// A resolved gnuplot terminal with its size, the first line of every generated script.
public enum Terminal: Equatable, Sendable {
    case pngcairo
    case png
    case svg
    case pdfcairo
    case dumb(width: Int, height: Int)

    /// The first of `format.candidateTerminals` that `available` lists; nil when none is.
    public init?(format: OutputFormat, available: Set<String>) {
        guard let name = format.candidateTerminals.first(where: available.contains) else { return nil }
        switch (name, format) {
        case ("pngcairo", _): self = .pngcairo
        case ("png", _): self = .png
        case ("svg", _): self = .svg
        case ("pdfcairo", _): self = .pdfcairo
        case let ("dumb", .dumb(width, height)): self = .dumb(width: width, height: height)
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .pngcairo: return "pngcairo"
        case .png: return "png"
        case .svg: return "svg"
        case .pdfcairo: return "pdfcairo"
        case .dumb: return "dumb"
        }
    }

    /// True when the plot is printed on stdout instead of written to a file.
    public var isText: Bool {
        if case .dumb = self { return true }
        return false
    }

    /// The `set terminal` command for a figure of `size` pixels. Text is never "enhanced", so
    /// underscores and carets in titles print as typed.
    func command(size: FigureSize) -> String {
        switch self {
        case .pngcairo, .png, .svg:
            return "set terminal \(name) size \(size.width),\(size.height) noenhanced"
        case .pdfcairo:
            // 100 pixels per inch, matplotlib's convention.
            return "set terminal pdfcairo size \(GnuplotScript.number(Double(size.width) / 100))in,\(GnuplotScript.number(Double(size.height) / 100))in noenhanced"
        case let .dumb(width, height):
            return "set terminal dumb size \(width),\(height) noenhanced"
        }
    }
}
