import Foundation
import Datasets
import NN
import PRM

/// Settings of the built-in benchmark run: data generation, the PRM preset and its cold start.
public struct BuiltinBenchmarkOptions {
    /// Seeds the data, the model initialisation and the batch order.
    public var seed: UInt64 = 0
    /// The generator's configuration (its `seed` is replaced by `seed`).
    public var data = ArithmeticBenchmark.Config()
    /// `PRMConfig.preset` name.
    public var preset = "small"
    /// Replaces the preset's position encoding when set.
    public var positionEmbeddingType: PositionEmbeddingType?
    /// The model's sizes; when set, used instead of `preset`.
    public var modelConfig: PRMConfig?
    /// Cold-start options (`seed` is replaced by `seed`). Defaults tuned for the `small` preset
    /// on the default data (see `BuiltinBenchmark.defaultColdStart`).
    public var coldStart = BuiltinBenchmark.defaultColdStart
    /// Aggregations evaluated with best-of-N.
    public var aggregations: [Aggregation] = Aggregation.builtins
    /// Print the results table to stdout at the end.
    public var printTable = true

    public init(seed: UInt64 = 0) { self.seed = seed }
}

/// What the built-in benchmark run measured.
public struct BuiltinBenchmarkResult {
    public var seed: UInt64
    public var baselines: SelectionBaselines
    /// Best-of-N per aggregation, in `options.aggregations` order.
    public var bestOfN: [BestOfNResult]
    public var coldStart: ColdStartResult
    /// The cold-started ("vanilla") PRM and the data, for further runs (reweighting).
    public var prm: ProcessRewardModel
    public var benchmark: ArithmeticBenchmark
    /// Wall time of each phase and in all, in seconds.
    public var generationSeconds: Double
    public var coldStartSeconds: Double
    public var scoringSeconds: Double
    public var totalSeconds: Double

    /// Accuracy of the vanilla PRM per aggregation name.
    public var prmAccuracy: [String: Double] {
        Dictionary(bestOfN.map { ($0.aggregation, $0.accuracy) }, uniquingKeysWith: { a, _ in a })
    }

    /// The paper-style table: baselines, the PRM with every aggregation, oracle.
    public var table: ResultsTable {
        var rows: [ResultsTable.Row] = [
            .init(method: "No selection (first)", accuracy: baselines.first),
            .init(method: "Random (expected)", accuracy: baselines.random),
            .init(method: "Self-consistency", accuracy: baselines.selfConsistency),
        ]
        for r in bestOfN { rows.append(.init(method: "Vanilla PRM (\(r.aggregation))", accuracy: r.accuracy)) }
        rows.append(.init(method: "Oracle", accuracy: baselines.oracle))
        let n = benchmark.test.first?.candidates.count ?? 0
        return ResultsTable(rows: rows, base: baselines.first, baseMethod: "No selection (first)",
                            title: "Best-of-\(n) on the built-in arithmetic benchmark (seed \(seed), \(benchmark.test.count) questions)")
    }
}

/// The built-in benchmark: generated data, a cold-started preset PRM, best-of-N with every
/// aggregation and the baselines.
public enum BuiltinBenchmark {
    /// Cold start used by the benchmark: the `small` preset's recommended settings
    /// (`PRMConfig.fromScratchColdStart`) for 2000 steps, clipped at 1, cosine schedule with 5% warmup.
    public static var defaultColdStart: ColdStartOptions {
        var o = ColdStartOptions()
        let r = PRMConfig.fromScratchColdStart
        o.lr = r.lr
        o.batchSize = r.batchSize
        o.languageModelWeight = r.languageModelWeight
        o.weightDecay = 0.01
        o.iterations = 2000
        o.gradientClipping = 1.0
        o.schedulerType = "cosine_warmup"
        o.warmupRatio = 0.05
        return o
    }

    /// Generates the data (seeded), cold-starts the preset PRM on the cold-start set (the pool
    /// when the configuration has none), runs best-of-N on the test set with every aggregation, computes the
    /// baselines, and prints the table when asked. `shouldStop` is passed to the cold start.
    public static func run(_ options: BuiltinBenchmarkOptions = BuiltinBenchmarkOptions(),
                           shouldStop: () -> Bool = { false }) throws -> BuiltinBenchmarkResult {
        let t0 = Date()
        var dataConfig = options.data
        dataConfig.seed = options.seed
        let benchmark = ArithmeticBenchmark(config: dataConfig)
        let tokenizer = benchmark.makeTokenizer()
        let t1 = Date()

        var config = try options.modelConfig ?? PRMConfig.preset(options.preset)
        if let p = options.positionEmbeddingType { config.positionEmbeddingType = p }
        let prm = ProcessRewardModel(config: config, tokenizer: tokenizer, seed: options.seed)
        var cs = options.coldStart
        cs.seed = options.seed
        let cold = try coldStart(prm, train: benchmark.coldStart.isEmpty ? benchmark.train : benchmark.coldStart,
                                 options: cs, shouldStop: shouldStop)
        let t2 = Date()

        let scores = prm.candidateScores(benchmark.test)
        let results = options.aggregations.map { bestOfN(sets: benchmark.test, stepScores: scores, aggregation: $0) }
        let t3 = Date()

        let result = BuiltinBenchmarkResult(
            seed: options.seed, baselines: SelectionBaselines(benchmark.test), bestOfN: results,
            coldStart: cold, prm: prm, benchmark: benchmark,
            generationSeconds: t1.timeIntervalSince(t0), coldStartSeconds: t2.timeIntervalSince(t1),
            scoringSeconds: t3.timeIntervalSince(t2), totalSeconds: t3.timeIntervalSince(t0))
        if options.printTable {
            print(result.table)
            print(String(format: "wall time: %.1f s (data %.1f s, cold start %.1f s over %d steps, scoring %.1f s)",
                         result.totalSeconds, result.generationSeconds, result.coldStartSeconds,
                         cold.stepsDone, result.scoringSeconds))
        }
        return result
    }
}
