import Foundation
import Tensors
import PRM
import Autodiff
import NN
import Datasets
import Support
import Distributed

/// A bi-level reweighting run of DreamPRM-1.5: the PRM is the lower level (weighted
/// cross-entropy on the training instances), the weighting model the upper level (meta loss on
/// whole-solution labels), wired through `BilevelEngine` exactly as the reference.
public final class ReweightRun {
    public let prm: ProcessRewardModel
    public let weighting: InstanceWeighting
    public let train: [PRMInstance]
    public let meta: [MetaInstance]
    public let options: ReweightOptions
    public let engine: BilevelEngine<Int, Int>
    /// One record per lower micro-step.
    public private(set) var history: [ReweightRecord] = []
    /// Weight snapshots for curves: iteration and one weight per tracked instance (`snapshotIDs`).
    public private(set) var snapshots: [(iteration: Int, weights: [Float])] = []
    /// Instances whose weights the snapshots hold (all for tables; a fixed sample for Instance Net).
    public let snapshotIDs: [String]
    /// Called after each rollback `onNonFinite: .rollback` made (the history and snapshots have
    /// already dropped the iterations thrown away).
    public var onRollback: ((NonFiniteRollback) -> Void)?
    /// The rollbacks made so far (`BilevelEngine.rollbacks`).
    public var rollbacks: [NonFiniteRollback] { engine.rollbacks }

    private let templatedTrain: [TemplatedInstance]
    private let templatedMeta: [TemplatedInstance]
    private let lowerOptimizer: Optimizer
    private let upperOptimizer: Optimizer
    private var lastUnweighted: Float = 0
    private var lastBatchWeights: [Float] = []
    /// This process's place in an MPI job; with more than one rank the run is data parallel.
    private let world = World.shared
    private var elapsed: Double = 0
    private let snapshotSample: [Int]
    /// The checkpoint `loadCheckpoint` read last (a run may continue into that same folder).
    private var resumedFrom: String?
    /// Whether `checkpointDirectory` was checked (`CheckpointFolder.prepareCheckpoint`).
    private var outputPrepared = false

    /// Builds the run: optimizers and schedulers of both levels from `options`, the engine, and
    /// the templated data. Bad flags and empty data are errors naming the problem.
    public init(prm: ProcessRewardModel, weighting: InstanceWeighting, train: [PRMInstance], meta: [MetaInstance],
                options: ReweightOptions) throws {
        try options.validate()
        guard !train.isEmpty else { throw BilevelError.invalidConfiguration("reweight: the training set is empty") }
        guard !meta.isEmpty || options.baseline || options.retrain else {
            throw BilevelError.invalidConfiguration("reweight: the meta set is empty")
        }
        try prm.loadImages(train.map(\.image) + meta.map(\.image))
        if options.lossTarget.needsStepLabels, let bare = meta.first(where: { $0.stepLabels == nil }) {
            throw BilevelError.invalidConfiguration(
                "reweight: loss_target '\(options.lossTarget.rawValue)' needs step labels on every meta instance, and meta instance '\(bare.id)' has none " +
                "(meta files carry placeholder labels only; pass a step-labelled training dataset as meta)")
        }
        self.prm = prm
        self.weighting = weighting
        self.train = train
        self.meta = meta
        self.options = options
        templatedTrain = train.map { prm.template($0) }
        // Targets on step labels read the meta instances like training ones (teacher forcing).
        templatedMeta = meta.map { options.lossTarget.needsStepLabels ? prm.template($0.stepLabelled!) : prm.template($0) }

        func optimizer(_ named: [(String, Variable)], lr: Double, momentum: Double, decay: Float) -> Optimizer {
            options.optimizer.lowercased() == "sgd"
                ? SGD(named, lr: lr, momentum: Float(momentum), weightDecay: decay)
                : AdamW(named, lr: lr, eps: options.adamEpsilon, weightDecay: decay, variant: .huggingFace)
        }
        lowerOptimizer = optimizer(prm.namedParameters, lr: options.lr, momentum: options.momentum, decay: options.weightDecay)
        upperOptimizer = optimizer(weighting.namedParameters, lr: options.metaLr, momentum: options.metaMomentum, decay: options.metaWeightDecay)
        let warmup = Int(Double(options.iterations) * options.warmupRatio)
        let lowerSchedule = try makeSchedule(type: options.schedulerType, warmup: warmup, total: options.iterations,
                                             stepSize: options.schedulerStepSize, gamma: options.schedulerGamma)
        let upperTotal = options.iterations / (options.unrollSteps * options.gradientAccumulation)
        let upperSchedule = try makeSchedule(type: options.schedulerType, warmup: Int(Double(upperTotal) * options.warmupRatio),
                                             total: upperTotal, stepSize: options.metaSchedulerStepSize, gamma: options.metaSchedulerGamma)

        var config = BilevelConfig()
        config.iterations = options.iterations
        config.unrollSteps = options.unrollSteps
        config.gradientAccumulation = options.gradientAccumulation
        config.lowerClipping = options.gradientClipping
        config.upperClipping = options.gradientClipping
        config.rollback = options.rollback
        config.onNonFinite = options.onNonFinite
        config.saveEvery = options.saveEvery
        config.method = options.hypergradient
        config.lowerOnly = options.baseline || options.retrain
        // Under mpirun every rank draws the same batches and computes its shard's part of each
        // loss (docs/distributed.md). The ranking targets compare the meta batch's solutions
        // with each other, so they do not split into shards: every rank computes them whole.
        config.shardedLower = world.isDistributed
        config.shardedUpper = world.isDistributed && [.plus, .both, .steps].contains(options.lossTarget)

        // Instance Net snapshots evaluate the net on a fixed sample (it has no per-instance table).
        let sampleSize = weighting.readsLogits ? min(64, train.count) : train.count
        var rng = RandomGenerator(seed: options.seed &+ 17)
        var indices = Array(train.indices)
        if sampleSize < train.count { rng.shuffle(&indices) }
        snapshotSample = Array(indices.prefix(sampleSize)).sorted()
        snapshotIDs = snapshotSample.map { train[$0].id }

        // The closures capture the run weakly-by-value through `box`, set right after init.
        let box = Box()
        engine = try BilevelEngine(
            config: config,
            lower: Level(parameters: prm.parameters, optimizer: OptimizerLevel(lowerOptimizer),
                         scheduler: SchedulerLevel(LRScheduler(lowerOptimizer, schedule: lowerSchedule))),
            upper: Level(parameters: weighting.parameters, optimizer: OptimizerLevel(upperOptimizer),
                         scheduler: SchedulerLevel(LRScheduler(upperOptimizer, schedule: upperSchedule))),
            lowerData: BatchLoader(Array(train.indices), batchSize: options.batchSize, seed: options.seed),
            upperData: BatchLoader(meta.isEmpty ? [0] : Array(meta.indices), batchSize: options.metaBatchSize, seed: options.seed &+ 1),
            lowerLoss: { box.run!.lowerLoss($0) },
            upperLoss: { box.run!.upperLoss($0) })
        box.run = self
        installHooks()
    }

    private final class Box { weak var run: ReweightRun? }

    // MARK: losses

    /// mean_i(w_i * CE_i) over the batch (with baseline every w_i is 1), plus the unweighted
    /// language-model loss times `languageModelWeight` when that is positive. Under mpirun:
    /// this rank's shard's part of it (`shardLowerLoss`).
    func lowerLoss(_ batch: [Int]) -> Variable {
        if engine.config.shardedLower { return shardLowerLoss(batch) }
        let templated = batch.map { templatedTrain[$0] }
        let f = prm.forward(templated, languageModel: options.languageModelWeight > 0)
        let losses = prm.perInstanceLoss(templated, stacked: f.logits, counts: f.counts)
        let ce = Variable.stack(losses)
        lastUnweighted = ce.value.mean(axes: nil).item
        let weighted: Variable
        if options.baseline {
            lastBatchWeights = Array(repeating: 1, count: batch.count)
            weighted = ce.mean()
        } else {
            let logits = weighting.readsLogits ? prm.splitLabelLogits(f.logits, f.counts) : []
            let w = weighting.weights(for: batch.map { train[$0] }, labelLogits: logits,
                                      plusID: prm.tokenizer.plusID, minusID: prm.tokenizer.minusID)
            lastBatchWeights = w.value.toArray()
            weighted = (w * ce).mean()
        }
        guard let lm = f.languageModelLoss else { return weighted }
        return weighted + lm * options.languageModelWeight
    }

    /// This rank's part of `lowerLoss(batch)`: sum over its shard of w_i * CE_i divided by the
    /// global batch size, plus the language-model loss of its shard weighted by its share of the
    /// batch's text rows. The ranks' parts add up to the loss of the whole batch. Records the
    /// shard's unweighted sum and weights; `afterLowerStep` gathers them.
    func shardLowerLoss(_ batch: [Int]) -> Variable {
        let part = Array(batch[world.shard(count: batch.count)])
        guard !part.isEmpty else {
            lastUnweighted = 0
            lastBatchWeights = []
            return Variable(Tensor(0))
        }
        let templated = part.map { templatedTrain[$0] }
        let f = prm.forward(templated, languageModel: options.languageModelWeight > 0)
        let ce = Variable.stack(prm.perInstanceLoss(templated, stacked: f.logits, counts: f.counts))
        let scale = 1 / Float(batch.count)
        lastUnweighted = ce.value.sum(axes: nil).item * scale
        let weighted: Variable
        if options.baseline {
            lastBatchWeights = Array(repeating: 1, count: part.count)
            weighted = ce.sum() * scale
        } else {
            let logits = weighting.readsLogits ? prm.splitLabelLogits(f.logits, f.counts) : []
            let w = weighting.weights(for: part.map { train[$0] }, labelLogits: logits,
                                      plusID: prm.tokenizer.plusID, minusID: prm.tokenizer.minusID)
            lastBatchWeights = w.value.toArray()
            weighted = (w * ce).sum() * scale
        }
        guard let lm = f.languageModelLoss else { return weighted }
        let rows = templated.reduce(0) { $0 + DataParallel.languageModelRows($1) }
        let allRows = batch.reduce(0) { $0 + DataParallel.languageModelRows(templatedTrain[$1]) }
        return weighted + lm * (options.languageModelWeight * Float(rows) / Float(allRows))
    }

    /// The meta loss on a meta batch at the PRM's current parameters (under mpirun, with a
    /// target that splits, this rank's shard's part of it: `shardUpperLoss`).
    func upperLoss(_ batch: [Int]) -> Variable {
        if engine.config.shardedUpper { return shardUpperLoss(batch) }
        return wholeUpperLoss(batch)
    }

    /// This rank's part of the meta loss of `batch`: its shard's loss times the shard's share of
    /// the terms the batch's loss averages (instances with a label position for the MSE targets,
    /// every instance for `steps`).
    func shardUpperLoss(_ batch: [Int]) -> Variable {
        let part = Array(batch[world.shard(count: batch.count)])
        let counts: (Int) -> Int = options.lossTarget == .steps ? { _ in 1 } : { self.templatedMeta[$0].labelPositions.isEmpty ? 0 : 1 }
        let terms = part.reduce(0) { $0 + counts($1) }
        let allTerms = batch.reduce(0) { $0 + counts($1) }
        guard terms > 0 else { return Variable(Tensor(0)) }
        return wholeUpperLoss(part) * (Float(terms) / Float(allTerms))
    }

    /// The meta loss of `batch` computed here, whole.
    func wholeUpperLoss(_ batch: [Int]) -> Variable {
        switch options.lossTarget {
        case .steps:
            let templated = batch.map { templatedMeta[$0] }
            let f = prm.forward(templated, languageModel: false)
            return Variable.stack(prm.perInstanceLoss(templated, stacked: f.logits, counts: f.counts)).mean()
        case .stepRank:
            return stepRankingMetaLoss(labelLogits: prm.labelLogits(batch.map { templatedMeta[$0] }),
                                       stepLabels: batch.map { meta[$0].stepLabels! },
                                       plusID: prm.tokenizer.plusID, minusID: prm.tokenizer.minusID)
        case .plus, .both, .rank: break
        }
        let labels = batch.map { meta[$0].label }
        return metaLoss(labelLogits: prm.labelLogits(batch.map { templatedMeta[$0] }), labels: labels,
                        plusID: prm.tokenizer.plusID, minusID: prm.tokenizer.minusID,
                        target: options.lossTarget, aggregate: { self.options.aggregation($0) })
    }

    // MARK: running

    private func installHooks() {
        engine.hooks.afterLowerStep = { [unowned self] iteration, local in
            var weighted = local
            if engine.config.shardedLower {
                // One gather: every rank's [weighted, unweighted, its batch weights...]; sums in
                // rank order, the weights in batch order (the shards are contiguous).
                do {
                    let parts = try world.allGather([local, lastUnweighted] + lastBatchWeights, "lower loss gather at iteration \(iteration)")
                    weighted = parts.reduce(0) { $0 + $1[0] }
                    lastUnweighted = parts.reduce(0) { $0 + $1[1] }
                    lastBatchWeights = parts.flatMap { $0.dropFirst(2) }
                } catch { world.abort("reweight: \(error)") }
            }
            let stats = weightStatistics()
            history.append(ReweightRecord(iteration: iteration, lowerLoss: lastUnweighted, weightedLoss: weighted, metaLoss: nil,
                                          lr: Float(lowerOptimizer.learningRate), metaLr: Float(upperOptimizer.learningRate),
                                          weightMean: stats.mean, weightStd: stats.std, weightMin: stats.min, weightMax: stats.max,
                                          seconds: elapsed))
        }
        engine.hooks.afterUpperStep = { [unowned self] _, metaLoss in
            history[history.count - 1].metaLoss = metaLoss
        }
        engine.hooks.afterRollback = { [unowned self] event in
            history.removeAll { $0.iteration > event.restoredTo }
            snapshots.removeAll { $0.iteration > event.restoredTo }
            onRollback?(event)
        }
        engine.hooks.validate = { [unowned self] iteration in
            try checkFinite()
            if let dir = options.checkpointDirectory { try saveCheckpoint(to: dir) }
            _ = iteration
        }
    }

    /// Stops a diverged run: the newest lower loss, meta loss or weight statistic is NaN or
    /// infinite. Called before every checkpoint save, so a saved checkpoint is never overwritten
    /// with a diverged state.
    func checkFinite() throws {
        guard let r = history.last else { return }
        let bad: String? = !r.weightedLoss.isFinite ? "the lower loss is \(r.weightedLoss)"
            : r.metaLoss.map { $0.isFinite ? nil : "the meta loss is \($0)" } ?? nil
            ?? (r.weightMean.isFinite && r.weightStd.isFinite ? nil : "the instance weights are not finite (mean \(r.weightMean))")
        guard let bad else { return }
        let kept = options.checkpointDirectory.map { " its checkpoint in \($0) keeps the last state saved before it;" } ?? ""
        throw BilevelError.nonFinite("reweight: \(bad) at iteration \(r.iteration) (lr \(r.lr), meta_lr \(r.metaLr)): the run diverged and stopped;\(kept) try a lower lr or meta_lr")
    }

    /// Snapshot period actually used.
    public var snapshotPeriod: Int { options.snapshotEvery > 0 ? options.snapshotEvery : max(1, options.iterations / 100) }

    /// Runs the remaining iterations. `shouldStop` is checked once per iteration (Ctrl-C);
    /// `progress` is called after every iteration with the newest record.
    public func run(shouldStop: (() -> Bool)? = nil, progress: ((ReweightRecord) -> Void)? = nil) throws {
        if snapshots.isEmpty { snapshots.append((engine.iteration, currentSnapshot())) }
        // Before the first iteration: a folder holding another run or other files, unwritable,
        // or a file (a rerun never silently replaces a run, nor mixes two).
        if !outputPrepared, let dir = options.checkpointDirectory {
            if world.isRoot { try CheckpointFolder.prepareCheckpoint(dir, overwrite: options.overwrite, resumedFrom: resumedFrom) }
            try world.barrier("checkpoint folder \(dir)")
            outputPrepared = true
        }
        engine.hooks.shouldStop = shouldStop
        let start = Date()
        let offset = elapsed
        while engine.iteration < options.iterations {
            if shouldStop?() == true {
                // Keep what was done, marked as interrupted, so it can be resumed and is never
                // taken for a finished run.
                if let dir = options.checkpointDirectory { try saveCheckpoint(to: dir, interrupted: true) }
                throw BilevelError.interrupted(iteration: engine.iteration)
            }
            let rollbacksBefore = engine.rollbacks.count
            do {
                try engine.runIteration()
            } catch BilevelError.nonFinite(let what) {
                let kept = options.checkpointDirectory.map { " its checkpoint in \($0) keeps the last state saved before it;" } ?? ""
                let hint = options.onNonFinite == .stop ? " (or on_nonfinite: \"rollback\")" : ""
                throw BilevelError.nonFinite("reweight: \(what);\(kept) try a lower lr or meta_lr\(hint)")
            }
            // A rollback instead of an iteration: the history already ends where the run went back to.
            if engine.rollbacks.count != rollbacksBefore { continue }
            try checkFinite()
            elapsed = offset + Date().timeIntervalSince(start)
            history[history.count - 1].seconds = elapsed
            if engine.iteration % snapshotPeriod == 0 { snapshots.append((engine.iteration, currentSnapshot())) }
            progress?(history[history.count - 1])
        }
        // The lower level has moved after the final upper step; a checkpoint at the end keeps it all.
        if let dir = options.checkpointDirectory { try saveCheckpoint(to: dir) }
    }

    // MARK: weights

    private func weightStatistics() -> (mean: Float, std: Float, min: Float, max: Float) {
        let w: [Float]
        if let table = weighting as? InstanceTable { w = table.currentWeights() }
        else if let domains = weighting as? DomainTable { w = domains.domains.map { domains.currentWeights()[$0]! } }
        else { w = lastBatchWeights }
        guard !w.isEmpty else { return (0, 0, 0, 0) }
        let mean = w.reduce(0, +) / Float(w.count)
        let variance = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(w.count)
        return (mean, variance.squareRoot(), w.min()!, w.max()!)
    }

    private func currentSnapshot() -> [Float] { weights(of: snapshotSample) }

    /// Current weight of the training instances at `indices` (Instance Net runs the PRM forward).
    public func weights(of indices: [Int]) -> [Float] {
        if let table = weighting as? InstanceTable {
            let w = table.currentWeights()
            return indices.map { w[$0] }
        }
        return noGrad {
            var out: [Float] = []
            let chunk = 16
            var k = 0
            while k < indices.count {
                let part = Array(indices[k..<min(k + chunk, indices.count)])
                let templated = part.map { templatedTrain[$0] }
                let logits = weighting.readsLogits ? prm.labelLogits(templated) : []
                out += weighting.weights(for: part.map { train[$0] }, labelLogits: logits,
                                         plusID: prm.tokenizer.plusID, minusID: prm.tokenizer.minusID).value.toArray()
                k += chunk
            }
            return out
        }
    }

    /// Every training instance's current weight, in training order.
    public func allWeights() -> [Float] { weights(of: Array(train.indices)) }

    /// Mean weight per training domain (instances without a domain count as "(none)").
    public func meanWeightByDomain() -> [(domain: String, meanWeight: Float, count: Int)] {
        let w = allWeights()
        var sums: [String: (Float, Int)] = [:]
        for (inst, x) in zip(train, w) {
            let d = inst.domain ?? "(none)"
            let s = sums[d] ?? (0, 0)
            sums[d] = (s.0 + x, s.1 + 1)
        }
        return sums.keys.sorted().map { ($0, sums[$0]!.0 / Float(sums[$0]!.1), sums[$0]!.1) }
    }

    /// The `k` heaviest and `k` lightest instances with their weights.
    public func extremes(_ k: Int) -> (heaviest: [(PRMInstance, Float)], lightest: [(PRMInstance, Float)]) {
        let w = allWeights()
        let order = w.indices.sorted { w[$0] > w[$1] || (w[$0] == w[$1] && $0 < $1) }
        return (order.prefix(k).map { (train[$0], w[$0]) }, order.suffix(k).reversed().map { (train[$0], w[$0]) })
    }

    // MARK: files

    /// The history as CSV text (header + one row per iteration).
    public func historyCSV() -> String {
        ([ReweightRecord.csvHeader] + history.map(\.csvRow)).joined(separator: "\n") + "\n"
    }

    /// The weight snapshots as CSV (RFC 4180, so ids with commas, quotes or line breaks survive):
    /// `iteration` then one column per tracked instance id.
    public func snapshotsCSV() -> String {
        CSV.text([["iteration"] + snapshotIDs] + snapshots.map { [String($0.iteration)] + $0.weights.map { "\($0)" } })
    }

    /// Saves the PRM, the weighting model, both optimizers' and schedulers' state, the engine
    /// counters, the history and the weight snapshots as one checkpoint directory (atomic).
    /// `interrupted` marks a run stopped by Ctrl-C (`interrupted` in its config.json).
    public func saveCheckpoint(to directory: String, interrupted: Bool = false) throws {
        // Under mpirun every rank holds the same state: rank 0 writes it, the others wait so
        // that nobody reads the folder before it is complete (if rank 0 fails, its error ends
        // the job, so nobody waits for long).
        if world.isRoot { try writeCheckpoint(to: directory, interrupted: interrupted) }
        try world.barrier("checkpoint \(directory)")
    }

    private func writeCheckpoint(to directory: String, interrupted: Bool) throws {
        var tensors: [String: Tensor] = [:]
        // Every parameter, frozen ones included, so the strict load below restores the whole network.
        for (name, t) in prm.stateDict() { tensors["prm." + name] = t }
        for (name, t) in weighting.stateDict() { tensors["weighting." + name] = t }
        for (name, t) in lowerOptimizer.stateDict() { tensors["lower_optimizer." + name] = t }
        for (name, t) in upperOptimizer.stateDict() { tensors["upper_optimizer." + name] = t }
        var counters = engine.counters
        counters["snapshots"] = snapshots.count
        let state = CheckpointState(kind: weighting.kind, counters: counters, elapsed: elapsed,
                                    snapshotIterations: snapshots.map(\.iteration), interrupted: interrupted,
                                    rateScales: engine.rateScales == (1, 1) ? nil : [engine.rateScales.lower, engine.rateScales.upper])
        try Checkpoint.save(directory: directory, tensors: tensors, config: state,
                            extraFiles: ["history.csv": Data(historyCSV().utf8), "weights.csv": Data(snapshotsCSV().utf8)])
    }

    struct CheckpointState: Codable {
        var kind: String
        var counters: [String: Int]
        var elapsed: Double
        var snapshotIterations: [Int]
        /// True when the run was stopped by Ctrl-C before its last iteration (absent in older checkpoints).
        var interrupted: Bool?
        /// The factors rollbacks after non-finite values put on the lower and upper learning
        /// rates (absent: both 1).
        var rateScales: [Double]?
    }

    /// Restores a checkpoint written by `saveCheckpoint` into this run (built with the same
    /// options and data), so `run()` continues exactly where the saved run was.
    public func loadCheckpoint(from directory: String) throws {
        let (file, state) = try Checkpoint.load(directory: directory, configType: CheckpointState.self)
        guard state.kind == weighting.kind else {
            throw BilevelError.checkpoint("\(directory): checkpoint holds a \(state.kind), this run uses a \(weighting.kind)")
        }
        let all = try file.allTensors()
        func part(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: all.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
        }
        try prm.load(stateDict: part("prm."))
        try weighting.load(stateDict: part("weighting."))
        try lowerOptimizer.load(stateDict: part("lower_optimizer."))
        try upperOptimizer.load(stateDict: part("upper_optimizer."))
        try engine.restoreCounters(state.counters)
        if let s = state.rateScales, s.count == 2 { engine.restoreRateScales(lower: s[0], upper: s[1]) }
        elapsed = state.elapsed
        history = try Self.parseHistory(String(decoding: FileManager.default.contents(atPath: directory + "/history.csv") ?? Data(), as: UTF8.self), path: directory + "/history.csv")
        snapshots = try Self.parseSnapshots(String(decoding: FileManager.default.contents(atPath: directory + "/weights.csv") ?? Data(), as: UTF8.self), path: directory + "/weights.csv")
        resumedFrom = directory
    }

    static func parseHistory(_ text: String, path: String) throws -> [ReweightRecord] {
        var out: [ReweightRecord] = []
        for (n, f) in CSV.parse(text).enumerated().dropFirst() {
            guard f.count == 11, let it = Int(f[0]), let l = Float(f[1]), let wl = Float(f[2]), let lr = Float(f[4]),
                  let mlr = Float(f[5]), let wm = Float(f[6]), let ws = Float(f[7]), let wmin = Float(f[8]),
                  let wmax = Float(f[9]), let s = Double(f[10]) else {
                throw BilevelError.checkpoint("\(path): row \(n + 1) is not a history row")
            }
            out.append(ReweightRecord(iteration: it, lowerLoss: l, weightedLoss: wl, metaLoss: Float(f[3]), lr: lr, metaLr: mlr,
                                      weightMean: wm, weightStd: ws, weightMin: wmin, weightMax: wmax, seconds: s))
        }
        return out
    }

    static func parseSnapshots(_ text: String, path: String) throws -> [(iteration: Int, weights: [Float])] {
        try CSV.parse(text).enumerated().dropFirst().map { n, f in
            guard let it = f.first.flatMap({ Int($0) }) else { throw BilevelError.checkpoint("\(path): row \(n + 1) is not a snapshot row") }
            return (it, try f.dropFirst().map { guard let x = Float($0) else { throw BilevelError.checkpoint("\(path): row \(n + 1): bad weight '\($0)'") }; return x })
        }
    }
}

