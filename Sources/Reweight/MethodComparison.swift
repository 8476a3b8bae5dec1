import Foundation
import Tensors
import Datasets

/// Settings of the method comparison on the built-in benchmark (DreamPRM-1.5's main table in
/// small): one cold start, then the same number of further lower steps for each method.
public struct ComparisonOptions {
    /// Seeds the data, the PRM initialisation, the batch orders and the weighting models.
    public var seed: UInt64 = 0
    /// The generator's configuration (its `seed` is replaced by `seed`).
    public var data = BuiltinBenchmark.comparisonData
    /// `PRMConfig.preset` name.
    public var preset = "small"
    /// An explicit PRM config instead of `preset` (nil: the preset).
    public var prmConfig: PRMConfig?
    /// The shared cold start (its `seed` is replaced by `seed`).
    public var coldStart = BuiltinBenchmark.defaultColdStart
    /// Options of the continuation shared by every method (`baseline` is set per method; `seed`
    /// is replaced by `seed`): the lower level's lr and batch, the meta level's batch, iterations.
    public var reweight = BuiltinBenchmark.defaultReweight
    /// Meta learning rate of the Instance Table and of the Instance Net.
    public var tableMetaLr = 0.05
    public var netMetaLr = 1e-3
    /// Instance Table activation and initial raw weight.
    public var tableActivation: WeightActivation = .clip
    public var tableInitialization: Float = 1
    /// Instance Net hidden width and activation.
    public var netHiddenDim = 10
    public var netActivation: WeightActivation = .sigmoid
    /// Which methods run after the cold start (the vanilla continuation always runs).
    public var runTable = true
    public var runNet = true
    /// Aggregation of step scores used for best-of-N in the table.
    public var aggregation: Aggregation = .min
    /// Print the table, the per-domain weights and the wall times to stdout.
    public var printReport = true

    public init(seed: UInt64 = 0) { self.seed = seed }
}

/// One method's result in the comparison.
public struct MethodResult {
    public var method: String
    public var bestOfN: BestOfNResult
    /// AUROC of single test-step scores against exact step correctness.
    public var stepAUROC: Double?
    /// Mean weight per training domain at the end (nil for the vanilla PRM).
    public var domainWeights: [(domain: String, meanWeight: Float, count: Int)]?
    public var seconds: Double

    /// Mean weight of `noisy` over mean weight of `clean` (nil without weights or domains).
    public var noisyToClean: Float? { weightRatio("noisy", to: "clean") }

    /// Mean weight of one domain over another's.
    public func weightRatio(_ domain: String, to reference: String) -> Float? {
        guard let w = domainWeights, let a = w.first(where: { $0.domain == domain }),
              let b = w.first(where: { $0.domain == reference }), b.meanWeight != 0 else { return nil }
        return a.meanWeight / b.meanWeight
    }
}

/// What the comparison measured.
public struct ComparisonResult {
    public var seed: UInt64
    public var baselines: SelectionBaselines
    /// The cold-started PRM before any continuation.
    public var coldStart: MethodResult
    /// Vanilla PRM (uniform weights), Instance Table and Instance Net continuations, in that order
    /// (the weighted ones only when run).
    public var methods: [MethodResult]
    public var questions: Int
    public var candidates: Int
    public var coldStartSeconds: Double
    public var totalSeconds: Double

    /// Accuracy of a method by its name ("Vanilla PRM", "+Instance Table", "+Instance Net").
    public func accuracy(_ method: String) -> Double? { methods.first { $0.method == method }?.bestOfN.accuracy }

    /// The paper-style table: baselines, the PRM rows, oracle; gains over no selection.
    public var table: ResultsTable {
        var rows: [ResultsTable.Row] = [
            .init(method: "No selection (first)", accuracy: baselines.first),
            .init(method: "Self-consistency", accuracy: baselines.selfConsistency),
        ]
        for m in methods { rows.append(.init(method: "\(m.method) (\(m.bestOfN.aggregation))", accuracy: m.bestOfN.accuracy)) }
        rows.append(.init(method: "Oracle", accuracy: baselines.oracle))
        return ResultsTable(rows: rows, base: baselines.first, baseMethod: "No selection (first)",
                            title: "Best-of-\(candidates) on the built-in arithmetic benchmark (seed \(seed), \(questions) questions)")
    }

    /// The table, step AUROCs, per-domain weights with their ratio to `clean`, and the wall times.
    public var report: String {
        var lines = [table.description, ""]
        for m in [coldStart] + methods {
            lines.append(String(format: "%-22@ step AUROC %@, candidate AUROC %@, %.1f s", m.method as NSString,
                                m.stepAUROC.map { String(format: "%.3f", $0) } ?? "-",
                                m.bestOfN.auroc.map { String(format: "%.3f", $0) } ?? "-", m.seconds))
        }
        for m in methods {
            guard let weights = m.domainWeights else { continue }
            lines.append("\(m.method): mean weight per domain (ratio to clean)")
            for w in weights {
                let ratio = m.weightRatio(w.domain, to: "clean").map { String(format: "%.3f", $0) } ?? "-"
                lines.append(String(format: "  %-10@ %.4f  (%@)  n=%d", w.domain as NSString, w.meanWeight, ratio, w.count))
            }
        }
        lines.append(String(format: "wall time: %.1f s (cold start %.1f s)", totalSeconds, coldStartSeconds))
        return lines.joined(separator: "\n")
    }
}

extension BuiltinBenchmark {
    /// The data of the comparison: the default benchmark (four domains of 500).
    public static var comparisonData: ArithmeticBenchmark.Config { ArithmeticBenchmark.Config() }

    /// The continuation after the cold start shared by every method of the comparison.
    public static var defaultReweight: ReweightOptions {
        var o = ReweightOptions()
        o.iterations = 300
        o.batchSize = 16
        o.metaBatchSize = 16
        o.lr = 5e-4
        o.weightDecay = 0.01
        o.metaWeightDecay = 0
        o.gradientClipping = 1.0
        o.schedulerType = "cosine"
        o.warmupRatio = 0.05
        o.snapshotEvery = 1_000_000
        return o
    }

    /// Compares, on the built-in benchmark with `seed`: no selection, self-consistency, the
    /// vanilla PRM (cold start, then further steps with uniform weights: `baseline`), the same
    /// cold start continued with Instance Table reweighting and with Instance Net reweighting
    /// (same number of lower steps, same lower batches), and the oracle. Prints the table, step
    /// AUROCs, the mean weight per training domain and the wall time.
    public static func compare(seed: UInt64) throws -> ComparisonResult {
        try compare(ComparisonOptions(seed: seed))
    }

    /// The comparison with explicit options (see `compare(seed:)`).
    public static func compare(_ options: ComparisonOptions, shouldStop: (() -> Bool)? = nil) throws -> ComparisonResult {
        let t0 = Date()
        var dataConfig = options.data
        dataConfig.seed = options.seed
        let benchmark = ArithmeticBenchmark(config: dataConfig)
        let tokenizer = benchmark.makeTokenizer()
        let baselines = SelectionBaselines(benchmark.test)
        let stepLabels = benchmark.test.flatMap { set in
            (set.metadata["step_correct"]?.arrayValue ?? []).flatMap { ($0.arrayValue ?? []).map { $0.boolValue ?? false } }
        }

        func evaluate(_ prm: ProcessRewardModel, _ method: String, domainWeights: [(domain: String, meanWeight: Float, count: Int)]?,
                      since start: Date) -> MethodResult {
            let scores = prm.candidateScores(benchmark.test)
            let result = bestOfN(sets: benchmark.test, stepScores: scores, aggregation: options.aggregation)
            let flat = scores.flatMap { $0.flatMap { $0 } }
            let stepAUROC = flat.count == stepLabels.count ? auroc(flat, stepLabels) : nil
            return MethodResult(method: method, bestOfN: result, stepAUROC: stepAUROC, domainWeights: domainWeights,
                                seconds: Date().timeIntervalSince(start))
        }

        let config = try options.prmConfig ?? PRMConfig.preset(options.preset)
        try config.validate()
        let prm = ProcessRewardModel(config: config, tokenizer: tokenizer, seed: options.seed)
        var cs = options.coldStart
        cs.seed = options.seed
        _ = try coldStart(prm, train: benchmark.train, options: cs, shouldStop: shouldStop ?? { false })
        let coldSeconds = Date().timeIntervalSince(t0)
        let coldState = prm.network.stateDict()
        let cold = evaluate(prm, "Cold start", domainWeights: nil, since: Date())

        func continued(_ method: String, baseline: Bool, weighting: InstanceWeighting, metaLr: Double) throws -> MethodResult {
            let start = Date()
            let model = ProcessRewardModel(config: config, tokenizer: tokenizer, seed: options.seed)
            _ = try model.network.load(stateDict: coldState)
            var o = options.reweight
            o.seed = options.seed &+ 1
            o.baseline = baseline
            o.metaLr = metaLr
            let run = try ReweightRun(prm: model, weighting: weighting, train: benchmark.train, meta: benchmark.meta, options: o)
            try run.run(shouldStop: shouldStop)
            return evaluate(model, method, domainWeights: baseline ? nil : run.meanWeightByDomain(), since: start)
        }

        var methods: [MethodResult] = []
        methods.append(try continued("Vanilla PRM", baseline: true,
                                     weighting: try InstanceTable(instances: benchmark.train), metaLr: 0))
        if options.runTable {
            let table = try InstanceTable(instances: benchmark.train, activation: options.tableActivation,
                                          initialization: options.tableInitialization)
            methods.append(try continued("+Instance Table", baseline: false, weighting: table, metaLr: options.tableMetaLr))
        }
        if options.runNet {
            let net = InstanceNet(hiddenDim: options.netHiddenDim, activation: options.netActivation, seed: options.seed &+ 2)
            methods.append(try continued("+Instance Net", baseline: false, weighting: net, metaLr: options.netMetaLr))
        }
        let result = ComparisonResult(seed: options.seed, baselines: baselines, coldStart: cold, methods: methods,
                                      questions: benchmark.test.count, candidates: benchmark.config.candidatesPerQuestion,
                                      coldStartSeconds: coldSeconds, totalSeconds: Date().timeIntervalSince(t0))
        if options.printReport { print(result.report) }
        return result
    }
}
