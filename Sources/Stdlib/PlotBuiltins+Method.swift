import Foundation
import Lang
import Plotting

/// The standard plots of the method as builtins over run objects or plain data. A run is anything
/// with a `history` member (a dict of columns) and, for the weight plots, a `snapshots` member
/// (`{"iterations", "ids", "domains", "weights"}`); the same dicts work on their own.
extension PlotBuiltins {
    /// Applies the figure options passed to a standard plot, then `finish`es it.
    static func finishStandard(_ figure: Figure, _ args: Arguments, reserved: [String]) throws -> Value {
        let (options, _) = try PlotData.options(args, reserved: reserved + outputKeywords, series: false)
        var updated = figure
        try PlotData.wrap(args.callee) { try updated.apply(options: options) }
        return try finish(updated, args)
    }

    /// A field of a dict or native object, nil when absent.
    static func field(_ v: Value, _ name: String, _ interpreter: Interpreter) -> Value? {
        switch v {
        case .dict(let d): return d[name]
        case .native(let n): return (try? n.member(name)) ?? nil
        default: return nil
        }
    }

    /// Domain names, nil entries becoming "unknown"; nil when there are none at all.
    static func domains(_ v: Value?, _ what: String, _ interpreter: Interpreter) throws -> [String]? {
        guard let v, let items = try PlotData.items(v, interpreter) else {
            if let v, case .nil = v { return nil }
            if let v { throw DprmError.type("\(what) must be a list of domain names, got \(v.typeName)") }
            return nil
        }
        if items.allSatisfy({ if case .nil = $0 { return true }; return false }) { return nil }
        return items.map { item in
            switch item {
            case .nil: return "unknown"
            case .string(let s): return s
            default: return item.description
            }
        }
    }

    /// The step column of a history: `x:` if given, else step / iteration / epoch.
    static func stepColumn(_ table: DictRef, _ args: Arguments) throws -> String {
        if let x = args.optional(nil, "x") {
            guard case .string(let s) = x else { throw DprmError.type("\(args.callee)() argument 'x' must name a column") }
            return s
        }
        guard let found = PlotData.firstColumn(table, ["step", "iteration", "epoch"]) else {
            throw DprmError.runtime("\(args.callee)(): the history has no step column (step, iteration, epoch); pass x: \"column\" (columns: \(table.keys.joined(separator: ", ")))")
        }
        return found
    }

    static func methodPlots() -> [Builtin] {
        [
            Builtin("plot_losses", parameters: [
                        .positional("run", "run, dict or list", "a run, or its history (a dict of columns)"),
                        .keyword("x", "string", "the step column (default: step, iteration or epoch)"),
                    ] + PlotData.figureOptionParameters() + PlotData.outputParameters,
                    "Loss curves of a run: lower (training) loss, weighted loss, meta loss, and any other *loss column.",
                    help: "Reads history columns: step (or iteration / epoch, or x:), lower_loss (or loss), weighted_loss,\n"
                        + "meta_loss (nil where there was no upper step: drawn at the steps that have one), then any\n"
                        + "other column whose name ends in 'loss' (val_loss, ...). Figure options apply (logy: true, ...).",
                    example: "let h = {iteration: [0, 1, 2, 3, 4], lower_loss: [2.3, 1.9, 1.5, 1.2, 1.0], meta_loss: [2.0, nil, 1.6, nil, 1.3]}\nplot_losses(h, title: \"reweighting losses\")") { a in
                let table = try PlotData.history(try a.value(0, "run"), "plot_losses() argument 'run'", a.interpreter)
                let x = try stepColumn(table, a)
                guard let lowerName = PlotData.firstColumn(table, ["lower_loss", "loss", "train_loss", "weighted_loss"]) else {
                    throw DprmError.runtime("plot_losses(): the history has no loss column (lower_loss, loss); columns: \(table.keys.joined(separator: ", "))")
                }
                let (steps, lower) = try PlotData.pairs(table, x: x, y: lowerName, "plot_losses", a.interpreter)
                var meta: (steps: [Double], values: [Double])?
                if table.contains("meta_loss"), lowerName != "meta_loss" {
                    let (ms, mv) = try PlotData.pairs(table, x: x, y: "meta_loss", "plot_losses", a.interpreter)
                    if !mv.isEmpty { meta = (ms, mv) }
                }
                var figure = try PlotData.wrap("plot_losses") {
                    try MethodPlots.lossCurves(steps: steps, lower: lower, meta: meta?.values, metaSteps: meta?.steps)
                }
                figure.xLabel = x
                if lowerName != "lower_loss" { figure.series[0].label = lowerName.replacingOccurrences(of: "_", with: " ") }
                let used: Set<String> = [x, lowerName, "meta_loss"]
                for name in table.keys where !used.contains(name) && name.hasSuffix("loss") {
                    let (xs, ys) = try PlotData.pairs(table, x: x, y: name, "plot_losses", a.interpreter)
                    guard !ys.isEmpty else { continue }
                    let style = Style(color: Color.cycle(figure.series.count), dash: name == "weighted_loss" ? .dashed : .solid)
                    try PlotData.wrap("plot_losses") {
                        try figure.plot(xs, ys, label: name.replacingOccurrences(of: "_", with: " "), style: style)
                    }
                }
                return try finishStandard(figure, a, reserved: ["run", "x"])
            },
            Builtin("plot_weights", parameters: [
                        .positional("run", "run, dict or list", "a run, a snapshots dict {iterations, domains, weights}, or a list of weight rows"),
                        .keyword("sample", "whole number", default: 50, "how many instances to draw"),
                        .keyword("seed", "whole number", default: 0, "picks the instances drawn (the same seed, the same instances)"),
                        .keyword("domains", "list of strings", "each instance's domain (default: the snapshots')"),
                    ] + PlotData.figureOptionParameters() + PlotData.outputParameters,
                    "Instance-weight trajectories of a sample of instances, coloured by training domain.",
                    help: "Reads snapshots {iterations, ids, domains, weights: [[w per instance] per snapshot]} from a run\n"
                        + "(its snapshots member), a dict with a 'snapshots' entry, the snapshots dict itself, or a plain\n"
                        + "list of weight rows (steps 0, 1, ...). The same seed picks the same instances.",
                    example: "let s = {iterations: [0, 10, 20], domains: [\"math\", \"code\", \"math\"], weights: [[1, 1, 1], [1.2, 0.8, 1.1], [1.5, 0.4, 1.2]]}\nplot_weights(s, sample: 3)") { a in
                let interpreter = a.interpreter
                let source = try a.value(0, "run")
                var weights: [[Double]], steps: [Double]?, domainNames: [String]?
                if let snaps = try PlotData.snapshots(source, "plot_weights() argument 'run'", interpreter) {
                    weights = try PlotData.rows(try PlotData.column(snaps, "weights", "plot_weights"), "plot_weights() snapshots 'weights'", interpreter)
                    if let it = PlotData.firstColumn(snaps, ["iterations", "steps", "iteration", "step"]) {
                        steps = try PlotData.numbers(snaps[it]!, "plot_weights() snapshots '\(it)'", interpreter)
                    }
                    domainNames = try domains(snaps["domains"], "plot_weights() snapshots 'domains'", interpreter)
                } else if try PlotData.isNested(source, interpreter) {
                    weights = try PlotData.rows(source, "plot_weights() argument 'run'", interpreter)
                } else {
                    throw DprmError.type("plot_weights() argument 'run' must be a run, a snapshots dict {iterations, domains, weights} or a list of weight rows, got \(source.typeName)")
                }
                if let d = a.optional(nil, "domains") { domainNames = try domains(d, "plot_weights() argument 'domains'", interpreter) }
                let sample = try a.int(nil, "sample", default: 50), seed = try a.int(nil, "seed", default: 0)
                guard seed >= 0 else { throw DprmError.type("plot_weights() argument 'seed' must be >= 0") }
                let figure = try PlotData.wrap("plot_weights") {
                    try MethodPlots.weightTrajectories(steps: steps ?? weights.indices.map(Double.init), weights: weights,
                                                       domains: domainNames, sample: sample, seed: UInt64(seed))
                }
                return try finishStandard(figure, a, reserved: ["run", "sample", "seed", "domains"])
            },
            Builtin("plot_weight_hist", parameters: [
                        .positional("run", "run, dict or list", "a run, a snapshots dict, or a list / 1-d tensor of weights"),
                        .keyword("domains", "list of strings", "each weight's domain (default: the snapshots')"),
                        .keyword("bins", "whole number", default: 30, "the number of bins (shared by all domains)"),
                        .keyword("at", "whole number", default: -1, "the snapshot drawn (negative counts from the end)"),
                    ] + PlotData.figureOptionParameters() + PlotData.outputParameters,
                    "Distribution of instance weights (by default the last snapshot), one histogram per domain side by side.",
                    help: "Takes a run or snapshots dict (snapshot `at`, default the last) or a plain list / 1-d tensor of\n"
                        + "weights with domains: [one name per weight]. Bins are shared by all domains.",
                    example: "plot_weight_hist([0.2, 0.9, 1.1, 1.3, 0.1, 1.0], domains: [\"code\", \"math\", \"math\", \"math\", \"code\", \"code\"], bins: 4)") { a in
                let interpreter = a.interpreter
                let source = try a.value(0, "run")
                var weights: [Double], domainNames: [String]?
                if let snaps = try PlotData.snapshots(source, "plot_weight_hist() argument 'run'", interpreter) {
                    let w = try PlotData.column(snaps, "weights", "plot_weight_hist")
                    if try PlotData.isNested(w, interpreter) {
                        let rows = try PlotData.rows(w, "plot_weight_hist() snapshots 'weights'", interpreter)
                        guard !rows.isEmpty else { throw DprmError.runtime("plot_weight_hist(): the run has no weight snapshots") }
                        var at = try a.int(nil, "at", default: -1)
                        if at < 0 { at += rows.count }
                        guard rows.indices.contains(at) else {
                            throw DprmError.runtime("plot_weight_hist(): snapshot \(try a.int(nil, "at", default: -1)) out of range (\(rows.count) snapshots)")
                        }
                        weights = rows[at]
                    } else {
                        weights = try PlotData.numbers(w, "plot_weight_hist() 'weights'", interpreter)
                    }
                    domainNames = try domains(snaps["domains"], "plot_weight_hist() snapshots 'domains'", interpreter)
                } else {
                    weights = try PlotData.numbers(source, "plot_weight_hist() argument 'run'", interpreter)
                }
                if let d = a.optional(nil, "domains") { domainNames = try domains(d, "plot_weight_hist() argument 'domains'", interpreter) }
                let bins = try a.int(nil, "bins", default: 30)
                let figure = try PlotData.wrap("plot_weight_hist") {
                    try MethodPlots.weightHistograms(weights: weights, domains: domainNames, bins: bins)
                }
                return try finishStandard(figure, a, reserved: ["run", "domains", "bins", "at"])
            },
            Builtin("plot_best_of_n", parameters: [
                        .positional("results_by_n", "dict or list", "accuracy per N for each aggregation function (see help)"),
                        .keyword("baselines", "dict", "name: accuracy, drawn as dashed lines"),
                    ] + PlotData.figureOptionParameters() + PlotData.outputParameters,
                    "Best-of-N accuracy against N: one curve per aggregation function, dashed baselines.",
                    help: "results_by_n, any of:\n"
                        + "  {\"1\": {min: 0.4, prod: 0.4}, \"4\": {min: 0.55, prod: 0.5}}     (N -> aggregation -> accuracy)\n"
                        + "  {\"4\": [result, ...]}  results with aggregation, accuracy, baselines {first, random, ...}\n"
                        + "  [{n: 1, min: 0.4, prod: 0.4}, ...]                          (rows)\n"
                        + "  {n: [1, 4, 16], min: [...], prod: [...]}                     (columns)\n"
                        + "baselines: {name: accuracy} (a horizontal line) or {name: [one per N]} (a dashed curve);\n"
                        + "baselines found inside the results are drawn too. N is on a log-2 axis when it spans >= 4x.",
                    example: "let r = {\"1\": {min: 0.42, prod: 0.42}, \"4\": {min: 0.55, prod: 0.51}, \"16\": {min: 0.61, prod: 0.55}}\nplot_best_of_n(r, baselines: {\"self-consistency\": [0.42, 0.5, 0.56], first: 0.42})") { a in
                var table = BestOfNTable()
                try table.read(try a.value(0, "results_by_n"), a.interpreter)
                if let b = a.optional(nil, "baselines") {
                    guard case .dict(let d) = b else { throw DprmError.type("plot_best_of_n() argument 'baselines' must be a dict {name: accuracy or [per N]}") }
                    table.explicitBaselines = d
                }
                let (ns, curves, baselines) = try table.build(a.interpreter)
                let figure = try PlotData.wrap("plot_best_of_n") { try MethodPlots.bestOfN(ns: ns, curves: curves, baselines: baselines) }
                return try finishStandard(figure, a, reserved: ["results_by_n", "baselines"])
            },
            Builtin("plot_lr", parameters: [
                        .positional("run", "run, dict or list", "a run, or its history (a dict of columns)"),
                        .keyword("x", "string", "the step column (default: step, iteration or epoch)"),
                    ] + PlotData.figureOptionParameters() + PlotData.outputParameters,
                    "Learning-rate schedules: lr and, for a reweighting run, meta_lr in a second panel.",
                    help: "Reads history columns step (or iteration / epoch, or x:), lr and meta_lr (nil where there was\n"
                        + "no upper step). Without meta_lr it is one plot of lr.",
                    example: "plot_lr({step: [0, 1, 2, 3], lr: [0.001, 0.002, 0.0015, 0.001], meta_lr: [0.01, nil, 0.008, nil]})") { a in
                let table = try PlotData.history(try a.value(0, "run"), "plot_lr() argument 'run'", a.interpreter)
                let x = try stepColumn(table, a)
                guard let lrName = PlotData.firstColumn(table, ["lr", "learning_rate", "lower_lr"]) else {
                    throw DprmError.runtime("plot_lr(): the history has no lr column; columns: \(table.keys.joined(separator: ", "))")
                }
                let (steps, lr) = try PlotData.pairs(table, x: x, y: lrName, "plot_lr", a.interpreter)
                var figure: Figure
                if table.contains("meta_lr") {
                    let (ms, mlr) = try PlotData.pairs(table, x: x, y: "meta_lr", "plot_lr", a.interpreter)
                    figure = try PlotData.wrap("plot_lr") { try MethodPlots.learningRates(steps: steps, lower: lr, meta: mlr, metaSteps: ms) }
                    figure.panels = figure.panels.map { var p = $0; p.xLabel = x; return p }
                } else {
                    figure = Figure(title: "learning-rate schedule", xLabel: x, yLabel: "learning rate")
                    try PlotData.wrap("plot_lr") { try figure.plot(steps, lr, label: lrName) }
                    figure.legend = .hidden
                    figure.grid = true
                }
                return try finishStandard(figure, a, reserved: ["run", "x"])
            },
        ]
    }
}

/// Best-of-N accuracies gathered from the shapes `plot_best_of_n` accepts: per N, accuracy by
/// curve name and baseline values by name, in order of first appearance.
struct BestOfNTable {
    var rows: [(n: Double, curves: [(String, Double)], baselines: [(String, Double)])] = []
    var explicitBaselines: DictRef?

    mutating func read(_ v: Value, _ interpreter: Interpreter) throws {
        switch v {
        case .dict(let d):
            if let nKey = PlotData.firstColumn(d, ["n", "ns", "N"]), let ns = try PlotData.items(d[nKey]!, interpreter) {
                // Columns: n plus one list per curve.
                let nValues = try PlotData.numbers(.list(ns), "plot_best_of_n() column '\(nKey)'", interpreter)
                var columns: [(String, [Double?])] = []
                var baselineColumns: [(String, [Double?])] = []
                for (key, value) in d.pairs where key != nKey {
                    if key == "baselines", case .dict(let b) = value {
                        for (name, col) in b.pairs {
                            baselineColumns.append((name, try perN(col, nValues.count, "baseline '\(name)'", interpreter)))
                        }
                        continue
                    }
                    guard PlotData.isSequence(value) else { continue }
                    columns.append((key, try perN(value, nValues.count, "column '\(key)'", interpreter)))
                }
                for (i, n) in nValues.enumerated() {
                    rows.append((n, columns.compactMap { c in c.1[i].map { (c.0, $0) } },
                                 baselineColumns.compactMap { c in c.1[i].map { (c.0, $0) } }))
                }
                return
            }
            for (key, value) in d.pairs {
                guard let n = Double(key.trimmingCharacters(in: .whitespaces)) else {
                    throw DprmError.type("plot_best_of_n(): key '\(key)' is not a number N; use {\"1\": ..., \"4\": ...}, rows [{n: 1, ...}], or columns {n: [...], ...}")
                }
                var row: (n: Double, curves: [(String, Double)], baselines: [(String, Double)]) = (n, [], [])
                try entries(value, name: nil, into: &row, interpreter)
                rows.append(row)
            }
        case .list(let l):
            for (index, item) in l.items.enumerated() {
                guard let nValue = PlotBuiltins.field(item, "n", interpreter) ?? PlotBuiltins.field(item, "N", interpreter),
                      let n = nValue.asNumber else {
                    throw DprmError.type("plot_best_of_n(): row \(index) has no number 'n'")
                }
                var row: (n: Double, curves: [(String, Double)], baselines: [(String, Double)]) = (n, [], [])
                if case .dict(let d) = item {
                    let rest = DictRef(d.pairs.filter { $0.0 != "n" && $0.0 != "N" })
                    try entries(.dict(rest), name: nil, into: &row, interpreter)
                } else {
                    try entries(item, name: nil, into: &row, interpreter)
                }
                rows.append(row)
            }
        default:
            throw DprmError.type("plot_best_of_n() argument 'results_by_n' must be a dict or a list of rows, got \(v.typeName)")
        }
    }

    /// One N's results: a number (curve `name` or "PRM"), a result (aggregation, accuracy,
    /// baselines), a dict of those by name, or a list of results.
    func entries(_ v: Value, name: String?, into row: inout (n: Double, curves: [(String, Double)], baselines: [(String, Double)]),
                 _ interpreter: Interpreter) throws {
        if let x = v.asNumber { row.curves.append((name ?? "PRM", x)); return }
        if case .nil = v { return }
        if let accuracy = PlotBuiltins.field(v, "accuracy", interpreter) {
            guard let x = accuracy.asNumber else { return }
            let aggregation = PlotBuiltins.field(v, "aggregation", interpreter)?.asString ?? name ?? "PRM"
            row.curves.append((aggregation, x))
            if let b = PlotBuiltins.field(v, "baselines", interpreter) { try baselines(b, into: &row) }
            return
        }
        switch v {
        case .dict(let d):
            for (key, value) in d.pairs {
                if key == "baselines" { try baselines(value, into: &row); continue }
                try entries(value, name: key, into: &row, interpreter)
            }
        case .list(let l):
            for item in l.items { try entries(item, name: name, into: &row, interpreter) }
        default:
            throw DprmError.type("plot_best_of_n(): result\(name.map { " '\($0)'" } ?? "") at N = \(formatNumber(row.n)) must be an accuracy, a dict or a result, got \(v.typeName)")
        }
    }

    func baselines(_ v: Value, into row: inout (n: Double, curves: [(String, Double)], baselines: [(String, Double)])) throws {
        guard case .dict(let d) = v else { return }
        for (name, value) in d.pairs {
            guard let x = value.asNumber, !row.baselines.contains(where: { $0.0 == name }) else { continue }
            row.baselines.append((name, x))
        }
    }

    func perN(_ v: Value, _ count: Int, _ what: String, _ interpreter: Interpreter) throws -> [Double?] {
        if let x = v.asNumber { return Array(repeating: x, count: count) }
        let values = try PlotData.optionalNumbers(v, "plot_best_of_n() \(what)", interpreter)
        guard values.count == count else {
            throw DprmError.runtime("plot_best_of_n(): \(what) has \(values.count) values but there are \(count) values of N")
        }
        return values
    }

    /// Sorted N, curves (NaN where an N lacks one: a gap) and baselines (one value when constant).
    func build(_ interpreter: Interpreter) throws -> ([Double], [NamedValues], [NamedValues]) {
        guard !rows.isEmpty else { throw DprmError.runtime("plot_best_of_n(): no results") }
        let sorted = rows.sorted { $0.n < $1.n }
        var ns: [Double] = []
        for r in sorted where ns.last != r.n { ns.append(r.n) }
        guard ns.count == sorted.count else {
            throw DprmError.runtime("plot_best_of_n(): N = \(formatNumber(zip(sorted, sorted.dropFirst()).first { $0.n == $1.n }!.0.n)) appears twice")
        }
        func names(_ key: KeyPath<(n: Double, curves: [(String, Double)], baselines: [(String, Double)]), [(String, Double)]>) -> [String] {
            var out: [String] = []
            for r in rows { for (name, _) in r[keyPath: key] where !out.contains(name) { out.append(name) } }
            return out
        }
        let curves = names(\.curves).map { name in
            NamedValues(name, sorted.map { r in r.curves.first { $0.0 == name }?.1 ?? .nan })
        }
        var baselines: [NamedValues] = []
        for name in names(\.baselines) where explicitBaselines?[name] == nil {
            let values = sorted.map { r in r.baselines.first { $0.0 == name }?.1 ?? .nan }
            let constant = values.allSatisfy { $0 == values[0] }
            baselines.append(NamedValues(name, constant ? [values[0]] : values))
        }
        if let explicit = explicitBaselines {
            for (name, value) in explicit.pairs {
                if let x = value.asNumber { baselines.append(NamedValues(name, [x])); continue }
                let values = try perN(value, ns.count, "baseline '\(name)'", interpreter).map { $0 ?? .nan }
                baselines.append(NamedValues(name, values))
            }
        }
        return (ns, curves, baselines)
    }
}
