import Foundation
import Support
import Lang
import Plotting

/// Conversions from language values to the plain arrays and options `Plotting` takes, shared by
/// the `plot` builtins and the figure's methods. Errors name the builtin and the argument.
enum PlotData {
    /// Keywords the options layer understands besides `PlotOptions`' own: spelled the way the
    /// settings are named on a figure (`logx`) and mapped to `PlotOptions`' names (`xlog`).
    static let aliases = ["logx": "xlog", "logy": "ylog"]

    /// Every figure option a builtin or `figure(...)` accepts.
    static var figureOptionNames: [String] { PlotOptions.figureKeys + aliases.keys.sorted() }

    /// The figure options as declared keyword parameters: every plotting builtin and figure method
    /// lists these, so their signature, keyword check, help and completion come from one list.
    /// Each is nil by default (the figure's own setting stays).
    static func figureOptionParameters(except excluded: Set<String> = []) -> [Parameter] {
        let all: [Parameter] = [
            .keyword("title", "string", "the figure's title"),
            .keyword("xlabel", "string", "the x axis label"),
            .keyword("ylabel", "string", "the y axis label"),
            .keyword("xlog", "bool or number", aliases: ["logx"], "a logarithmic x axis (true: base 10, or the base)"),
            .keyword("ylog", "bool or number", aliases: ["logy"], "a logarithmic y axis (true: base 10, or the base)"),
            .keyword("xrange", "list of 2 numbers", "[lo, hi] of the x axis"),
            .keyword("yrange", "list of 2 numbers", "[lo, hi] of the y axis"),
            .keyword("legend", "bool or string", "show the legend, or where: \"top left\", \"bottom right\", \"outside\", ..."),
            .keyword("grid", "bool", "draw grid lines"),
            .keyword("size", "list of 2 numbers", "[width, height] in pixels"),
        ]
        precondition(Set(all.map(\.name)) == Set(PlotOptions.figureKeys), "figure option parameters and PlotOptions.figureKeys differ")
        return all.filter { !excluded.contains($0.name) }
    }

    /// The series options as declared keyword parameters (see `figureOptionParameters`).
    static let seriesOptionParameters: [Parameter] = [
        .keyword("label", "string or list of strings", "the series' legend entry (a list: one per series)"),
        .keyword("color", "string", "\"red\", \"#1f77b4\", ..."),
        .keyword("lw", "number", aliases: ["linewidth"], "the line width"),
        .keyword("pt", "whole number", aliases: ["pointtype"], "gnuplot's point type"),
        .keyword("ps", "number", aliases: ["pointsize"], "the marker size"),
        .keyword("dash", "string", "\"solid\", \"dashed\", \"dotted\" or \"dashdot\""),
        .keyword("with", "string", "\"lines\", \"points\", \"linespoints\" or \"scatter\""),
    ]

    /// `out:` and `show:`, the output parameters of every builder.
    static let outputParameters: [Parameter] = [
        .keyword("out", "string", "write the figure to this file (.png, .svg, .pdf, .txt) and return the path"),
        .keyword("show", "bool", default: .bool(false), "also print the figure as a text plot"),
    ]

    // MARK: numbers

    /// A number from a number, bool, or scalar native object (a 0-d tensor: its `item()`).
    static func scalar(_ v: Value, _ interpreter: Interpreter) throws -> Double? {
        switch v {
        case .number(let x): return x
        case .bool(let b): return b ? 1 : 0
        case .native(let n):
            if let item = try? n.member("item"), case .function = item,
               case .number(let x) = try interpreter.call(item) { return x }
            return nil
        default: return nil
        }
    }

    /// The items of a list, range, or native sequence (a 1-d tensor through `tolist()` or
    /// iteration); nil when `v` is none of those.
    static func items(_ v: Value, _ interpreter: Interpreter) throws -> [Value]? {
        switch v {
        case .list(let l): return l.items
        case .range(let a, let b): return a < b ? (a..<b).map { .int($0) } : []
        case .native(let n):
            for name in ["tolist", "to_list"] {
                if let m = try? n.member(name), case .function = m { return try items(try interpreter.call(m), interpreter) }
            }
            if try n.makeIterator() != nil { return try interpreter.iterate(v) }
            return nil
        default: return nil
        }
    }

    /// Numbers from a list, range or 1-d tensor; `nil` entries become NaN (gnuplot leaves a gap).
    static func numbers(_ v: Value, _ what: String, _ interpreter: Interpreter) throws -> [Double] {
        try optionalNumbers(v, what, interpreter).map { $0 ?? .nan }
    }

    /// Numbers where `nil` entries stay nil (a history column recorded only at some steps).
    static func optionalNumbers(_ v: Value, _ what: String, _ interpreter: Interpreter) throws -> [Double?] {
        guard let list = try items(v, interpreter) else {
            throw DprmError.type("\(what) must be a list of numbers (or a 1-d tensor), got \(v.typeName)")
        }
        return try list.enumerated().map { index, item in
            if case .nil = item { return nil }
            guard let x = try scalar(item, interpreter) else {
                throw DprmError.type("\(what) must hold numbers; item \(index) is \(item.typeName)")
            }
            return x
        }
    }

    /// True for a list, range or native object (a value that may hold numbers).
    static func isSequence(_ v: Value) -> Bool {
        switch v {
        case .list, .range, .native: return true
        default: return false
        }
    }

    /// True when `v` is a list whose items are themselves sequences (several series at once).
    static func isNested(_ v: Value, _ interpreter: Interpreter) throws -> Bool {
        guard case .list(let l) = v, let first = l.items.first else { return false }
        switch first {
        case .list, .range: return true
        case .native: return try scalar(first, interpreter) == nil
        default: return false
        }
    }

    /// Rows of numbers (a matrix given as a list of lists or a 2-d tensor's rows).
    static func rows(_ v: Value, _ what: String, _ interpreter: Interpreter) throws -> [[Double]] {
        guard let list = try items(v, interpreter) else {
            throw DprmError.type("\(what) must be a list of lists of numbers, got \(v.typeName)")
        }
        return try list.enumerated().map { try numbers($1, "\(what) row \($0)", interpreter) }
    }

    static func strings(_ v: Value, _ what: String, _ interpreter: Interpreter) throws -> [String] {
        guard let list = try items(v, interpreter) else {
            throw DprmError.type("\(what) must be a list of strings, got \(v.typeName)")
        }
        return list.map { if case .string(let s) = $0 { return s }; return $0.description }
    }

    // MARK: options

    /// A keyword value as a `PlotValue`: bools, numbers, strings, lists of numbers or of strings.
    /// Without an interpreter (field assignment) tensors are not accepted.
    static func plotValue(_ v: Value, key: String, _ interpreter: Interpreter?) throws -> PlotValue {
        switch v {
        case .bool(let b): return .bool(b)
        case .number(let x): return .number(x)
        case .string(let s): return .string(s)
        case .list(let l) where l.items.allSatisfy({ $0.asString != nil }) && !l.items.isEmpty:
            return .strings(l.items.map { $0.asString! })
        default:
            if let interpreter, let xs = try? numbers(v, key, interpreter) { return .numbers(xs) }
            if case .list(let l) = v {
                let xs = l.items.compactMap(\.asNumber)
                if xs.count == l.items.count { return .numbers(xs) }
            }
            throw DprmError.type("plot option '\(key)' must be a bool, number, string or list, got \(v.typeName)")
        }
    }

    /// The keywords of a call minus `reserved` (the builtin's own arguments), as plot options with
    /// aliases resolved, split into figure and series options. The call was checked against the
    /// builtin's or method's declared parameters (the plot options among them) before it got here.
    static func options(_ args: Arguments, reserved: [String], series allowSeries: Bool = true)
        throws -> (figure: [String: PlotValue], series: [String: PlotValue]) {
        var raw: [String: PlotValue] = [:]
        for (name, value) in args.keywords where !reserved.contains(name) {
            let key = aliases[name] ?? name
            if case .nil = value { continue }
            raw[key] = try plotValue(value, key: name, args.interpreter)
        }
        let split = try wrap(args.callee) { try PlotOptions.split(raw) }
        if !allowSeries, let key = split.series.keys.sorted().first {
            throw DprmError.type("\(args.callee)() takes no series option '\(key)'")
        }
        return split
    }

    /// Runs a `Plotting` call, turning its errors into language errors that keep the message
    /// (gnuplot's own words for a rejected command).
    @discardableResult
    static func wrap<T>(_ callee: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DprmError { throw e } catch let e as PlotError {
            throw DprmError.runtime("\(callee)(): \(e.description)")
        } catch {
            throw DprmError.runtime("\(callee)(): \(error)")
        }
    }

    // MARK: runs

    /// A run's history as a dict of columns: a dict of columns itself, a dict with a `history`
    /// entry, or any object with a `history` member (a run).
    static func history(_ v: Value, _ what: String, _ interpreter: Interpreter) throws -> DictRef {
        switch v {
        case .dict(let d):
            if case .dict(let inner)? = d["history"] { return inner }
            return d
        case .native:
            let h: Value
            do { h = try interpreter.member(v, "history") } catch {
                throw DprmError.type("\(what) must be a run or a history dict of columns, got \(v.typeName) (it has no 'history')")
            }
            guard case .dict(let d) = h else {
                throw DprmError.type("\(what): the run's history must be a dict of columns, got \(h.typeName)")
            }
            return d
        default:
            throw DprmError.type("\(what) must be a run or a history dict of columns, got \(v.typeName)")
        }
    }

    /// A run's weight snapshots (`{"iterations", "ids", "domains", "weights"}`): the dict itself,
    /// a dict with a `snapshots` entry, or any object with a `snapshots` member.
    static func snapshots(_ v: Value, _ what: String, _ interpreter: Interpreter) throws -> DictRef? {
        switch v {
        case .dict(let d):
            if case .dict(let inner)? = d["snapshots"] { return inner }
            return d.contains("weights") ? d : nil
        case .native:
            guard let s = try? interpreter.member(v, "snapshots") else { return nil }
            guard case .dict(let d) = s else {
                throw DprmError.type("\(what): the run's snapshots must be a dict, got \(s.typeName)")
            }
            return d
        default: return nil
        }
    }

    /// Column `name` of `table`; a missing name is an error that lists the columns and suggests
    /// the closest one.
    static func column(_ table: DictRef, _ name: String, _ callee: String) throws -> Value {
        if let v = table[name] { return v }
        var e = DprmError.runtime("\(callee)(): no column '\(name)'; columns: \(table.keys.joined(separator: ", "))")
        if let s = closestName(name, in: table.keys) { e.notes.append("did you mean `\(s)`?") }
        throw e
    }

    /// The first of `names` present in `table`.
    static func firstColumn(_ table: DictRef, _ names: [String]) -> String? { names.first { table.contains($0) } }

    /// `(x, y)` of the rows where both are numbers (a column recorded at some steps only has nil
    /// elsewhere), checking that the columns have one entry per row.
    static func pairs(_ table: DictRef, x: String, y: String, _ callee: String, _ interpreter: Interpreter) throws -> ([Double], [Double]) {
        let xs = try optionalNumbers(try column(table, x, callee), "\(callee)() column '\(x)'", interpreter)
        let ys = try optionalNumbers(try column(table, y, callee), "\(callee)() column '\(y)'", interpreter)
        guard xs.count == ys.count else {
            throw DprmError.runtime("\(callee)(): column '\(y)' has \(ys.count) values but column '\(x)' has \(xs.count)")
        }
        var outX: [Double] = [], outY: [Double] = []
        for (a, b) in zip(xs, ys) { if let a, let b { outX.append(a); outY.append(b) } }
        return (outX, outY)
    }
}
