import Support
/// A named list of numbers: one curve of a standard plot (an aggregation function's accuracies,
/// a baseline). Arrays of these keep the caller's order, unlike a dictionary.
public struct NamedValues: Equatable, Sendable {
    public var name: String
    public var values: [Double]

    public init(_ name: String, _ values: [Double]) {
        self.name = name
        self.values = values
    }

    /// Dictionary entries sorted by name, for callers that hold a dictionary.
    public static func sorted(_ dictionary: [String: [Double]]) -> [NamedValues] {
        dictionary.keys.sorted().map { NamedValues($0, dictionary[$0]!) }
    }
}

/// The standard plots of the method, as functions of plain data: the language calls them with
/// a run's history or a result object's fields. Each checks lengths and names the mismatch.
public enum MethodPlots {
    /// Lower-level (weighted training) loss and meta loss against the step. The meta loss may be
    /// recorded at other steps (`metaSteps`, default `steps`).
    public static func lossCurves(steps: [Double], lower: [Double], meta: [Double]? = nil, metaSteps: [Double]? = nil,
                                  title: String = "losses", logY: Bool = false) throws -> Figure {
        var figure = Figure(title: title, xLabel: "step", yLabel: "loss")
        try check(lower, against: steps, "lower loss", "steps")
        try figure.plot(steps, lower, label: "lower loss")
        if let meta = meta {
            let metaSteps = metaSteps ?? steps
            try check(meta, against: metaSteps, "meta loss", metaSteps.count == steps.count ? "steps" : "meta steps")
            try figure.plot(metaSteps, meta, label: "meta loss")
        }
        if logY { figure.yScale = .log10 }
        figure.grid = true
        return figure
    }

    /// Instance-weight trajectories: `weights[t][i]` is instance `i`'s weight after step
    /// `steps[t]`. At most `sample` instances are drawn, picked with `seed` (same seed, same
    /// instances). With `domains` (one per instance) the lines are coloured by domain and the
    /// legend lists the domains; without, every instance has its own colour and no legend.
    public static func weightTrajectories(steps: [Double], weights: [[Double]], domains: [String]? = nil,
                                          sample: Int = 50, seed: UInt64 = 0,
                                          title: String = "instance weights") throws -> Figure {
        guard weights.count == steps.count else {
            throw PlotError.invalid("weight trajectories: \(steps.count) steps but \(weights.count) rows of weights")
        }
        let instances = weights.first?.count ?? 0
        for (t, row) in weights.enumerated() where row.count != instances {
            throw PlotError.invalid("weight trajectories: row \(t) has \(row.count) weights, row 0 has \(instances)")
        }
        if let domains = domains, domains.count != instances {
            throw PlotError.invalid("weight trajectories: \(instances) instances but \(domains.count) domains")
        }
        guard sample >= 1 else { throw PlotError.invalid("weight trajectories: sample must be at least 1, got \(sample)") }
        let chosen = sampleIndices(count: instances, sample: sample, seed: seed)
        var figure = Figure(title: title, xLabel: "step", yLabel: "weight")
        let domainOrder = domains.map { Array(Set($0)).sorted() } ?? []
        var labelled = Set<String>()
        for (slot, instance) in chosen.enumerated() {
            let column = weights.map { $0[instance] }
            var style = Style(lineWidth: 1)
            var label: String?
            if let domains = domains {
                let domain = domains[instance]
                style.color = Color.cycle(domainOrder.firstIndex(of: domain)!)
                if labelled.insert(domain).inserted { label = domain }
            } else {
                style.color = Color.cycle(slot)
            }
            try figure.plot(steps, column, label: label, style: style)
        }
        figure.legend = domains == nil ? .hidden : Legend(position: .outside)
        return figure
    }

    /// The weight distribution at the end: one histogram per domain over shared bin edges, the
    /// domains' bars side by side within each bin; one histogram when no domains are given.
    public static func weightHistograms(weights: [Double], domains: [String]? = nil, bins: Int = 30,
                                        title: String = "final instance weights") throws -> Figure {
        var figure = Figure(title: title, xLabel: "weight", yLabel: "instances")
        let shared = try Histogram(weights, bins: bins)
        guard let domains = domains else {
            figure.add(shared, label: nil)
            figure.legend = .hidden
            return figure
        }
        guard domains.count == weights.count else {
            throw PlotError.invalid("weight histogram: \(weights.count) weights but \(domains.count) domains")
        }
        // Domains side by side within each bin, so no bar hides another.
        let names = Set(domains).sorted()
        let slots = Double(names.count)
        for (index, domain) in names.enumerated() {
            let values = weights.indices.filter { domains[$0] == domain }.map { weights[$0] }
            let histogram = try Histogram(values, edges: shared.edges)
            let widths = histogram.widths.map { $0 / slots }
            let centers = zip(histogram.edges.dropLast(), widths).map { left, width in left + (Double(index) + 0.5) * width }
            figure.add(try Series(kind: .bars, x: centers, y: histogram.counts.map(Double.init), widths: widths,
                                  label: domain, style: Style(color: Color.cycle(index))))
        }
        return figure
    }

    /// Best-of-N accuracy against N, one curve per aggregation function, and the baselines:
    /// a baseline with one value is a horizontal line, one with a value per N a dashed curve.
    /// N runs on a log-2 axis when it spans a factor of 4 or more; the accuracy axis gets 5% room.
    public static func bestOfN(ns: [Double], curves: [NamedValues], baselines: [NamedValues] = [],
                               title: String = "best-of-N accuracy") throws -> Figure {
        guard !ns.isEmpty else { throw PlotError.invalid("best-of-N: no values of N") }
        var figure = Figure(title: title, xLabel: "N (candidates)", yLabel: "accuracy")
        for curve in curves {
            try check(curve.values, against: ns, "accuracy of '\(curve.name)'", "N values")
            try figure.plot(ns, curve.values, label: curve.name, kind: .linespoints)
        }
        let (lo, hi) = (ns.min()!, ns.max()!)
        for baseline in baselines {
            let style = Style(color: Color.cycle(figure.series.count), dash: .dashed)
            if baseline.values.count == 1 {
                figure.hline(baseline.values[0], from: lo, to: hi, label: baseline.name, style: style)
            } else {
                try check(baseline.values, against: ns, "baseline '\(baseline.name)'", "N values (or give 1 value)")
                try figure.plot(ns, baseline.values, label: baseline.name, style: style)
            }
        }
        if lo > 0, hi / lo >= 4 { figure.xScale = .log(base: 2) }
        // A little room above and below, so a baseline at the lowest accuracy is not drawn on the frame.
        let accuracies = (curves + baselines).flatMap(\.values).filter(\.isFinite)
        if let low = accuracies.min(), let high = accuracies.max() {
            let pad = high > low ? (high - low) * 0.05 : 0.01
            figure.yRange = AxisRange(min: low - pad, max: high + pad)
        }
        figure.legend = Legend(position: .bottomRight)
        figure.grid = true
        return figure
    }

    /// Same with dictionaries (curves sorted by name).
    public static func bestOfN(ns: [Double], curves: [String: [Double]], baselines: [String: [Double]] = [:],
                               title: String = "best-of-N accuracy") throws -> Figure {
        try bestOfN(ns: ns, curves: NamedValues.sorted(curves), baselines: NamedValues.sorted(baselines), title: title)
    }

    /// Learning rates of both levels against the step, side by side (their scales differ by
    /// orders of magnitude and may reach 0, so neither one shared axis nor a log axis fits).
    public static func learningRates(steps: [Double], lower: [Double], meta: [Double], metaSteps: [Double]? = nil,
                                     title: String = "learning-rate schedules") throws -> Figure {
        try check(lower, against: steps, "lower learning rates", "steps")
        var left = Figure(title: "lower level (lr)", xLabel: "step", yLabel: "learning rate")
        try left.plot(steps, lower, label: "lr")
        let metaSteps = metaSteps ?? steps
        try check(meta, against: metaSteps, "meta learning rates", metaSteps.count == steps.count ? "steps" : "meta steps")
        var right = Figure(title: "upper level (meta_lr)", xLabel: "step", yLabel: "learning rate")
        try right.plot(metaSteps, meta, label: "meta_lr", style: Style(color: Color.cycle(1)))
        left.legend = .hidden
        right.legend = .hidden
        return try Figure.subplots(rows: 1, columns: 2, [left, right], title: title, size: FigureSize(width: 960, height: 400))
    }

    static func check(_ values: [Double], against reference: [Double], _ name: String, _ referenceName: String) throws {
        guard values.count == reference.count else {
            throw PlotError.invalid("\(name): \(values.count) values but \(reference.count) \(referenceName)")
        }
    }

    /// `sample` distinct indices below `count`, increasing, a function of `seed` only
    /// (partial Fisher-Yates with SplitMix64); all indices when `count <= sample`.
    static func sampleIndices(count: Int, sample: Int, seed: UInt64) -> [Int] {
        guard count > sample else { return Array(0..<count) }
        var rng = SplitMix64(seed: seed)
        var indices = Array(0..<count)
        for i in 0..<sample {
            let j = i + Int(rng.next() % UInt64(count - i))
            indices.swapAt(i, j)
        }
        return indices[0..<sample].sorted()
    }
}
