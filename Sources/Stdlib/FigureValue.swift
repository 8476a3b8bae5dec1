import Foundation
import Lang
import Plotting

/// A figure in a script: a `Plotting.Figure` that methods add series to (`fig.plot(x, y)`) and
/// fields configure (`fig.title = "loss"`, `fig.logy = true`). Printing it (or leaving it as the
/// value of a REPL input) shows it as a text plot.
public final class FigureValue: TabledObject {
    public var figure: Figure

    public init(_ figure: Figure) { self.figure = figure }

    public var typeName: String { "figure" }

    /// Fields (the settings, readable and assignable, and two read-only views), then the methods.
    public static let members = MemberTable<FigureValue>([
        setting("title", "The title, or nil."),
        setting("xlabel", "The x axis label, or nil."),
        setting("ylabel", "The y axis label, or nil."),
        setting("logx", "false, true (log10 x axis) or a log base."),
        setting("logy", "false, true (log10 y axis) or a log base."),
        setting("legend", "The legend position (\"top right\", ...), or false when hidden."),
        setting("grid", "Whether grid lines are drawn."),
        setting("size", "[width, height] in pixels."),
        setting("xrange", "[min, max] of the x axis (nil ends are automatic), or nil."),
        setting("yrange", "[min, max] of the y axis, or nil."),
        .field("series", "One dict per series: kind, label, points.") { v in
            .list(v.figure.series.map { s in
                .dict(DictRef([("kind", .string(s.kind.rawValue)), ("label", s.label.map { .string($0) } ?? .nil), ("points", .int(s.x.count))]))
            })
        },
        .field("panels", "The panels of a multiplot, as figures.") { v in .list(v.figure.panels.map { .native(FigureValue($0)) }) },
    ] + PlotBuiltins.figureMethods(), qualifier: "figure")

    /// A figure setting: read as below, assigned through the same option parser as keywords.
    static func setting(_ name: String, _ summary: String) -> NativeMember<FigureValue> {
        .field(name, summary, get: { $0.setting(name) }) { v, value in try v.set(name, value) }
    }

    func setting(_ name: String) -> Value {
        let f = figure
        func text(_ s: String?) -> Value { s.map { .string($0) } ?? .nil }
        func scale(_ s: Scale) -> Value {
            switch s {
            case .linear: return .bool(false)
            case .log(let base): return base == 10 ? .bool(true) : .number(base)
            }
        }
        func range(_ r: AxisRange) -> Value {
            r.min == nil && r.max == nil ? .nil : .list([r.min.map { .number($0) } ?? .nil, r.max.map { .number($0) } ?? .nil])
        }
        switch name {
        case "title": return text(f.title)
        case "xlabel": return text(f.xLabel)
        case "ylabel": return text(f.yLabel)
        case "logx": return scale(f.xScale)
        case "logy": return scale(f.yScale)
        case "legend": return f.legend.visible ? .string(f.legend.position.rawValue) : .bool(false)
        case "grid": return .bool(f.grid)
        case "size": return .list([.int(f.size.width), .int(f.size.height)])
        case "xrange": return range(f.xRange)
        default: return range(f.yRange)
        }
    }

    func set(_ name: String, _ value: Value) throws {
        let key = PlotData.aliases[name] ?? name
        var updated = figure
        switch value {
        case .nil:
            // nil resets a setting to its default.
            switch key {
            case "title": updated.title = nil
            case "xlabel": updated.xLabel = nil
            case "ylabel": updated.yLabel = nil
            case "xlog": updated.xScale = .linear
            case "ylog": updated.yScale = .linear
            case "xrange": updated.xRange = AxisRange()
            case "yrange": updated.yRange = AxisRange()
            case "legend": updated.legend = Legend()
            case "grid": updated.grid = false
            default: updated.size = .standard
            }
        default:
            // Fields go through the same option parser as keywords, so the rules are the same.
            let option = try PlotData.plotValue(value, key: name, nil)
            try PlotData.wrap("figure.\(name)") { try updated.apply(options: [key: option]) }
        }
        figure = updated
    }

    public var summary: String {
        let title = figure.title.map { " \"\($0)\"" } ?? ""
        if figure.isMultiplot, let layout = figure.layout {
            return "figure\(title) [\(layout.rows)x\(layout.columns) panels]"
        }
        return "figure\(title) (\(figure.series.count) series)"
    }

    /// The text plot (gnuplot's dumb terminal); the summary when gnuplot cannot draw it.
    public var description: String {
        do { return try Plotter().render(figure, width: 80, height: 25).trimmingTrailingNewlines() } catch {
            return "\(summary) (no text plot: \(error))"
        }
    }

    public func isEqual(to other: NativeObject) -> Bool {
        guard let other = other as? FigureValue else { return false }
        return figure == other.figure
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var s = self
        while s.hasSuffix("\n") || s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
