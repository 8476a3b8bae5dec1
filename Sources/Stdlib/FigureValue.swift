import Foundation
import Lang
import Plotting

/// A figure in a script: a `Plotting.Figure` that methods add series to (`fig.plot(x, y)`) and
/// fields configure (`fig.title = "loss"`, `fig.logy = true`). Printing it (or leaving it as the
/// value of a REPL input) shows it as a text plot.
public final class FigureValue: NativeObject {
    public var figure: Figure

    public init(_ figure: Figure) { self.figure = figure }

    public var typeName: String { "figure" }

    /// The settings readable and assignable as fields, with what `fig.name` returns.
    static let fieldNames = ["title", "xlabel", "ylabel", "logx", "logy", "legend", "grid", "size", "xrange", "yrange"]
    /// Read-only fields.
    static let readOnlyNames = ["series", "panels"]

    /// The methods, documented like builtins (the receiver is positional argument 0).
    static let methods: [Builtin] = PlotBuiltins.figureMethods()

    public var memberNames: [String] { Self.fieldNames + Self.readOnlyNames + Self.methods.map(\.name) }

    public func member(_ name: String) throws -> Value? {
        if let method = Self.methods.first(where: { $0.name == name }) {
            return .function(Function(name: "figure.\(name)", builtin: method, receiver: .native(self), method.implementation))
        }
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
        case "yrange": return range(f.yRange)
        case "series":
            return .list(f.series.map { s in
                .dict(DictRef([("kind", .string(s.kind.rawValue)), ("label", text(s.label)), ("points", .int(s.x.count))]))
            })
        case "panels": return .list(f.panels.map { .native(FigureValue($0)) })
        default: return nil
        }
    }

    public func setMember(_ name: String, _ value: Value) throws -> Bool {
        guard Self.fieldNames.contains(name) else { return false }
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
        return true
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
