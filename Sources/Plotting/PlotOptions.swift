import Support

/// A plain value for keyword options, what the language binding converts its values to:
/// `plot(x, y, title: "loss", ylog: true, color: "red")` becomes `["title": .string("loss"), ...]`.
public enum PlotValue: Equatable, Sendable {
    case bool(Bool)
    case number(Double)
    case string(String)
    case numbers([Double])
    case strings([String])

    var typeName: String {
        switch self {
        case .bool: return "a bool"
        case .number: return "a number"
        case .string: return "a string"
        case .numbers: return "a list of numbers"
        case .strings: return "a list of strings"
        }
    }
}

/// Option names understood by `Figure.apply(options:)` and `Style.apply(options:)`.
public enum PlotOptions {
    public static let figureKeys = ["title", "xlabel", "ylabel", "xlog", "ylog", "xrange", "yrange",
                                    "legend", "grid", "size"]
    public static let seriesKeys = ["label", "color", "lw", "linewidth", "pt", "pointtype", "ps",
                                    "pointsize", "dash", "with"]

    /// Splits options into figure-level and series-level ones; an unknown key is an error that
    /// suggests the closest known key.
    public static func split(_ options: [String: PlotValue]) throws -> (figure: [String: PlotValue], series: [String: PlotValue]) {
        var figure: [String: PlotValue] = [:]
        var series: [String: PlotValue] = [:]
        for key in options.keys.sorted() {
            if figureKeys.contains(key) {
                figure[key] = options[key]
            } else if seriesKeys.contains(key) {
                series[key] = options[key]
            } else {
                throw unknown(key, among: figureKeys + seriesKeys)
            }
        }
        return (figure, series)
    }

    static func unknown(_ key: String, among keys: [String]) -> PlotError {
        let hint = closestName(key, in: keys).map { " (did you mean '\($0)'?)" } ?? ""
        return .invalid("unknown plot option '\(key)'\(hint); known: \(keys.joined(separator: ", "))")
    }

    static func wrong(_ key: String, _ value: PlotValue, expected: String) -> PlotError {
        .invalid("plot option '\(key)' expects \(expected), got \(value.typeName)")
    }

    static func string(_ key: String, _ value: PlotValue) throws -> String {
        guard case let .string(s) = value else { throw wrong(key, value, expected: "a string") }
        return s
    }

    static func number(_ key: String, _ value: PlotValue) throws -> Double {
        guard case let .number(n) = value, n.isFinite else { throw wrong(key, value, expected: "a finite number") }
        return n
    }

    static func pair(_ key: String, _ value: PlotValue) throws -> (Double, Double) {
        guard case let .numbers(list) = value, list.count == 2 else { throw wrong(key, value, expected: "a list of 2 numbers") }
        return (list[0], list[1])
    }

    static func scale(_ key: String, _ value: PlotValue) throws -> Scale {
        switch value {
        case .bool(let on): return on ? .log10 : .linear
        case .number(let base) where base > 1: return .log(base: base)
        default: throw wrong(key, value, expected: "true/false or a log base > 1")
        }
    }
}

extension Figure {
    /// Applies figure-level options (see `PlotOptions.figureKeys`). Unknown keys and values of the
    /// wrong type throw `PlotError.invalid` naming the option.
    public mutating func apply(options: [String: PlotValue]) throws {
        for key in options.keys.sorted() {
            let value = options[key]!
            switch key {
            case "title": title = try PlotOptions.string(key, value)
            case "xlabel": xLabel = try PlotOptions.string(key, value)
            case "ylabel": yLabel = try PlotOptions.string(key, value)
            case "xlog": xScale = try PlotOptions.scale(key, value)
            case "ylog": yScale = try PlotOptions.scale(key, value)
            case "xrange":
                let (lo, hi) = try PlotOptions.pair(key, value)
                xRange = AxisRange(min: lo, max: hi)
            case "yrange":
                let (lo, hi) = try PlotOptions.pair(key, value)
                yRange = AxisRange(min: lo, max: hi)
            case "grid":
                guard case let .bool(on) = value else { throw PlotOptions.wrong(key, value, expected: "true/false") }
                grid = on
            case "size":
                let (w, h) = try PlotOptions.pair(key, value)
                size = FigureSize(width: Int(w), height: Int(h))
            case "legend":
                switch value {
                case .bool(let on): legend.visible = on
                case .string(let s):
                    if s == "none" || s == "off" {
                        legend.visible = false
                    } else if let position = LegendPosition(rawValue: s == "outside" ? "outside right" : s) {
                        legend = Legend(visible: true, position: position)
                    } else {
                        throw PlotError.invalid("plot option 'legend': unknown position '\(s)'; use one of \(LegendPosition.allCases.map(\.rawValue).joined(separator: ", ")), or false")
                    }
                default: throw PlotOptions.wrong(key, value, expected: "true/false or a position string")
                }
            default:
                throw PlotOptions.unknown(key, among: PlotOptions.figureKeys)
            }
        }
        try validate()
    }
}

extension Style {
    /// Applies series style options except `label` and `with` (see `PlotOptions.seriesKeys`).
    public mutating func apply(options: [String: PlotValue]) throws {
        for key in options.keys.sorted() {
            let value = options[key]!
            switch key {
            case "label", "with": continue
            case "color":
                let text = try PlotOptions.string(key, value)
                guard let parsed = Color(text) else {
                    throw PlotError.invalid("plot option 'color': '\(text)' is not #rrggbb or one of \(Color.named.keys.sorted().joined(separator: ", "))")
                }
                color = parsed
            case "lw", "linewidth": lineWidth = try PlotOptions.number(key, value)
            case "pt", "pointtype": pointType = Int(try PlotOptions.number(key, value))
            case "ps", "pointsize": pointSize = try PlotOptions.number(key, value)
            case "dash":
                let text = try PlotOptions.string(key, value)
                guard let parsed = Dash(rawValue: text) else {
                    throw PlotError.invalid("plot option 'dash': '\(text)' is not one of \(Dash.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                dash = parsed
            default:
                throw PlotOptions.unknown(key, among: PlotOptions.seriesKeys)
            }
        }
    }
}

extension Series {
    /// A series from columns and series options (`label`, `with`, and the style keys).
    public init(x: [Double], y: [Double], options: [String: PlotValue], defaultKind: SeriesKind = .line) throws {
        var kind = defaultKind
        if let with = options["with"] {
            let text = try PlotOptions.string("with", with)
            guard let parsed = SeriesKind(rawValue: text == "lines" ? "line" : text) else {
                throw PlotError.invalid("plot option 'with': '\(text)' is not one of lines, points, linespoints, scatter")
            }
            kind = parsed
        }
        var style = Style()
        if kind == .scatter { style.pointSize = 0.6 }
        try style.apply(options: options)
        let label = try options["label"].map { try PlotOptions.string("label", $0) }
        try self.init(kind: kind, x: x, y: y, label: label, style: style)
    }
}
