import Foundation
import Tensors
import Autodiff
import NN
import Datasets
import Distributed

/// Options of the cold start (supervised fine-tuning of the PRM), named after the reference flags.
///
/// Defaults are the reference's (lr 5e-5, weight decay 0.01, batch size 1, cosine schedule with
/// 5% warmup, clipping 1.0), which suit a pretrained model. A PRM trained from scratch needs a
/// much larger rate and batch: the presets carry theirs (`PRMConfig.recommendedColdStart`, used by
/// `init(recommendedFor:)` and by the `coldstart` builtin).
public struct ColdStartOptions: Sendable {
    /// Peak learning rate (`lr`).
    public var lr: Double = 5e-5
    /// Decoupled AdamW weight decay (`weight_decay`).
    public var weightDecay: Float = 0.01
    /// AdamW epsilon (torch's default 1e-8; transformers' AdamW class uses 1e-6).
    public var adamEps: Float = 1e-8
    /// Micro-steps to run, one batch each (`iteration_num`), as the bi-level engine counts them.
    public var iterations = 1000
    /// Instances per micro-step (`batch_size`).
    public var batchSize = 1
    /// Micro-steps whose gradients are summed before one optimizer step (`gradiant_accumulation`);
    /// each micro-step's loss is divided by it.
    public var gradientAccumulation = 1
    /// Global L2 norm the accumulated gradient is clipped to before a step; 0 turns it off (`gradiant_clipping`).
    public var gradientClipping: Float = 1.0
    /// `cosine_warmup` (alias `cosine`), `linear`, `step` (StepLR) or `constant` (`scheduler_type`).
    public var schedulerType = "cosine_warmup"
    /// Warmup length as a fraction of `iterations` (the reference uses 0.05).
    public var warmupRatio = 0.05
    /// StepLR settings (`scheduler_step_size`, `scheduler_gamma`).
    public var schedulerStepSize = 1000
    public var schedulerGamma = 0.1
    /// Seeds the batch order (`seed`).
    public var seed: UInt64 = 0
    /// Save a checkpoint every this many micro-steps (0: only at the end) (`save_every_iterations`).
    public var saveEvery = 0
    /// Where checkpoints (`checkpoint-<step>`, `checkpoint-final`) and `history.csv` go; nil: nothing is saved.
    public var checkpointDirectory: String?
    /// Replace a previous run found in `checkpointDirectory` (its history and checkpoints are
    /// removed before the first step); false: such a folder is an error (`overwrite`).
    public var overwrite = false
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    public var progress = true
    /// Weight of the auxiliary language-model loss added to the step loss (`lm_loss_weight`; 0,
    /// the reference's loss, leaves it out). See `ProcessRewardModel.forward`.
    public var languageModelWeight: Float = 0
    /// What a NaN or infinite loss or gradient norm does (`on_nonfinite`): stop with an error
    /// (the default) or roll back to the last good state with a lower rate (`NonFinitePolicy`).
    public var onNonFinite: NonFinitePolicy = .stop

    public init() {}

    /// The reference's defaults with `config`'s recommended settings (`PRMConfig.recommendedColdStart`)
    /// in place of the rate, the batch size and the language-model loss weight.
    public init(recommendedFor config: PRMConfig) {
        if let r = config.recommendedColdStart {
            lr = r.lr; batchSize = r.batchSize; languageModelWeight = r.languageModelWeight
        }
    }

    /// Warmup steps: round(warmupRatio * iterations).
    public var warmupSteps: Int { Int((warmupRatio * Double(iterations)).rounded()) }

    /// Checks the options; errors name the flag.
    public func validate() throws {
        func fail(_ s: String) -> PRMError { .invalidOption("coldstart: " + s) }
        if !(lr >= 0) { throw fail("lr must be >= 0, got \(lr)") }
        if iterations < 0 { throw fail("iteration_num must be >= 0, got \(iterations)") }
        if batchSize < 1 { throw fail("batch_size must be >= 1, got \(batchSize)") }
        if gradientAccumulation < 1 { throw fail("gradiant_accumulation must be >= 1, got \(gradientAccumulation)") }
        if gradientClipping < 0 { throw fail("gradiant_clipping must be >= 0, got \(gradientClipping)") }
        if !(warmupRatio >= 0 && warmupRatio <= 1) { throw fail("warmup ratio must be in [0, 1], got \(warmupRatio)") }
        if saveEvery < 0 { throw fail("save_every_iterations must be >= 0, got \(saveEvery)") }
        if !(languageModelWeight >= 0) { throw fail("lm_loss_weight must be >= 0, got \(languageModelWeight)") }
        _ = try schedule()
    }

    /// The learning-rate schedule these options name (NN's closed-form schedules).
    public func schedule() throws -> Schedule {
        try makeSchedule(type: schedulerType, warmup: warmupSteps, total: iterations, stepSize: schedulerStepSize,
                         gamma: schedulerGamma, caller: "coldstart")
    }
}

/// What a cold start did.
public struct ColdStartResult {
    public var history: TrainingHistory
    /// Micro-steps completed (less than `iterations` when stopped early).
    public var stepsDone: Int
    /// True when `shouldStop` ended the run early.
    public var stopped: Bool
    public var seconds: Double
    /// Checkpoint directories written, in order (those of a rolled-back stretch are removed and
    /// left out).
    public var checkpoints: [String]
    /// The rollbacks `onNonFinite: .rollback` made, in order (empty with `.stop`).
    public var rollbacks: [NonFiniteRollback] = []
}

/// Supervised fine-tuning of `prm` on step-labelled instances: cross-entropy at the label
/// positions (`ProcessRewardModel.perInstanceLoss`, averaged over the batch; plus the weighted
/// language-model loss when `languageModelWeight > 0`), AdamW, a learning rate schedule,
/// global-norm gradient clipping. The history records the loss that is minimised.
///
/// Loop, per micro-step 1...iterations (the bi-level engine's order without the upper level):
/// next batch (shuffled with `seed`, restarting each epoch), loss / gradient_accumulation,
/// backward; every `gradientAccumulation` micro-steps: clip, optimizer step, zero grads; then
/// one scheduler step (every micro-step, as the engine's lower level). The history records each
/// micro-step's unscaled loss and the rate it used. `shouldStop` is checked before every step;
/// when it returns true (Ctrl-C), the run ends cleanly: gradients of an unfinished accumulation
/// are dropped, and the final checkpoint and history hold what was done.
///
/// A non-finite loss (checked every micro-step, before its backward) or gradient norm (checked
/// before every optimizer step) stops the run with an error naming the step, before the bad
/// step touches the weights or a checkpoint. With `onNonFinite: .rollback` the run instead puts
/// back the last good state (see `NonFinitePolicy`): the state before the last optimizer step
/// whose accumulated micro-steps all had a finite loss and whose gradient norm was finite, with
/// the batch order, the schedule position and the history as they were then; checkpoints
/// written after that point are removed (they belong to the stretch that is thrown away); the
/// rate is multiplied by the policy's factor from then on; and the same steps run again.
///
/// Under `mpirun` (`World.shared.size > 1`) the run is data-parallel (docs/distributed.md):
/// every rank draws the same global batch, computes its shard's part of the loss
/// (`shardMeanLoss`), and the gradients are summed over the ranks before clipping, so clipping,
/// accumulation and the schedule see the global batch and every rank holds the same weights.
/// The recorded loss is the ranks' sum of shard losses. Rank 0 alone writes checkpoints and the
/// history and draws the progress bar; every rank returns the same result (the checks read the
/// summed loss and gradient, so every rank rolls back or stops at the same step).
public func coldStart(_ prm: ProcessRewardModel, train: [PRMInstance], options: ColdStartOptions = ColdStartOptions(),
                      shouldStop: () -> Bool = { false },
                      onStep: ((TrainingRecord) -> Void)? = nil,
                      onRollback: ((NonFiniteRollback) -> Void)? = nil) throws -> ColdStartResult {
    try options.validate()
    guard !train.isEmpty else { throw PRMError.invalidOption("coldstart: the training set is empty") }
    try prm.loadImages(train.map(\.image))
    let templated = train.map { prm.template($0) }
    if !templated.contains(where: { !$0.labelPositions.isEmpty }) {
        throw PRMError.invalidOption("coldstart: no training instance has a label position (every one is longer than max_length \(prm.config.maxLength) before its first step)")
    }
    var loader = BatchLoader(templated, batchSize: options.batchSize, shuffle: true, seed: options.seed)
    let optimizer = AdamW(prm.namedParameters, lr: options.lr, eps: options.adamEps, weightDecay: options.weightDecay)
    let scheduler = LRScheduler(optimizer, schedule: try options.schedule())
    let parameters = prm.parameters
    var history = TrainingHistory()
    var checkpoints: [(step: Int, path: String)] = []
    let world = World.shared
    let bar = ProgressBar(total: options.iterations, label: "coldstart", enabled: options.progress ? nil : false)
    let start = Date()
    var stopped = false

    /// A state the run can go back to; `done` micro-steps had been completed in it.
    struct GoodState {
        var values: [Tensor], optimizer: [String: Tensor]
        var loader: BatchLoader<TemplatedInstance>, schedulerStep: Int, done: Int, historyCount: Int
    }
    var good: GoodState?
    var rollbacks: [NonFiniteRollback] = []
    var rateScale = 1.0

    func diverged(_ what: String, step: Int, lr: Double) -> PRMError {
        bar.finish()
        let kept = checkpoints.last.map { " the last checkpoint, \(($0.path as NSString).lastPathComponent), holds the weights before it;" } ?? ""
        let note = options.onNonFinite.exhaustedNote(rollbacks: rollbacks.count)
        return .nonFinite("coldstart: \(what) at step \(step) (lr \(lr))\(note): training diverged and stopped;\(kept) try a lower lr or gradient clipping")
    }

    func save(_ name: String, step: Int) throws {
        guard let dir = options.checkpointDirectory else { return }
        let path = dir + "/" + name
        if world.isRoot {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try prm.save(to: path)
            try history.writeCSV(to: dir + "/history.csv")
        }
        // The other ranks may read the checkpoint as soon as this returns.
        try world.barrier("coldstart checkpoint \(name)")
        checkpoints.append((step, path))
    }

    // Before the first step: a folder holding another run, unwritable, or a file (NN's CheckpointFolder).
    if let dir = options.checkpointDirectory, world.isRoot { try CheckpointFolder.prepare(dir, overwrite: options.overwrite) }
    prm.network.train()
    defer { prm.network.eval() }
    optimizer.zeroGrad()
    var done = 0
    // Where the current accumulation window began (a good state's batch order and counters).
    var windowStart = (loader: loader, schedulerStep: scheduler.currentStep, done: 0, historyCount: 0)
    while done < options.iterations {
        if shouldStop() { stopped = true; break }
        let step = done + 1
        if done % options.gradientAccumulation == 0 {
            windowStart = (loader, scheduler.currentStep, done, history.records.count)
        }
        let batch = loader.next()
        let lr = optimizer.learningRate
        // A non-finite value found at this micro-step, or nil.
        var bad: String?
        let loss: Variable?, value: Float
        if world.isDistributed {
            loss = prm.shardMeanLoss(batch, shard: world.shard(count: batch.count), languageModelWeight: options.languageModelWeight)
            value = try world.allReduced([loss?.value.item ?? 0], "coldstart loss at step \(step)")[0]
        } else {
            loss = prm.meanLoss(batch, languageModelWeight: options.languageModelWeight)
            value = loss!.value.item
        }
        // A diverged run stops here, before the bad step touches the weights or any checkpoint
        // (those already written stay the last good ones).
        if !value.isFinite {
            bad = "the loss is \(value)"
        } else {
            if let loss {
                let scaled = options.gradientAccumulation == 1 ? loss : loss / Float(options.gradientAccumulation)
                scaled.backward()
            }
            if step % options.gradientAccumulation == 0 {
                // The accumulated sum of every rank's shards: the global batch's gradient.
                try DataParallel.allReduceGradients(parameters, world: world)
                let norm = options.gradientClipping > 0 ? clipGradNorm(parameters, maxNorm: options.gradientClipping)
                                                        : clipGradNorm(parameters, maxNorm: .infinity) // the norm only: never scales
                if !norm.isFinite {
                    bad = "the gradient norm is \(norm)"
                } else {
                    // The weights about to be stepped gave a finite loss and gradient: a good state.
                    if options.onNonFinite.keepsGoodState {
                        good = GoodState(values: parameters.map { $0.value.copy() }, optimizer: optimizer.stateDict(),
                                         loader: windowStart.loader, schedulerStep: windowStart.schedulerStep,
                                         done: windowStart.done, historyCount: windowStart.historyCount)
                    }
                    optimizer.step()
                    optimizer.zeroGrad()
                }
            }
        }
        if let bad {
            guard let factor = options.onNonFinite.allowsRollback(after: rollbacks.count), let g = good else {
                throw diverged(bad, step: step, lr: lr)
            }
            // Copies again: the kept state must survive the optimizer's in-place updates, for a
            // second rollback to the same point.
            for (p, v) in zip(parameters, g.values) { p.value = v.copy() }
            try optimizer.load(stateDict: g.optimizer)
            optimizer.zeroGrad()
            rateScale *= factor
            try scheduler.load(stateDict: ["last_epoch": Tensor(Float(g.schedulerStep))])
            optimizer.learningRate *= rateScale
            loader = g.loader
            done = g.done
            history.records.removeLast(history.records.count - g.historyCount)
            // Checkpoints of the stretch thrown away; the run writes them again when it gets there.
            let stale = checkpoints.filter { $0.step > g.done }
            if world.isRoot, !stale.isEmpty, let dir = options.checkpointDirectory {
                for c in stale { try? FileManager.default.removeItem(atPath: c.path) }
                try history.writeCSV(to: dir + "/history.csv")
            }
            checkpoints.removeAll { $0.step > g.done }
            rollbacks.append(NonFiniteRollback(step: step, restoredTo: g.done, reason: bad, rateScale: rateScale))
            onRollback?(rollbacks[rollbacks.count - 1])
            continue
        }
        scheduler.step()
        if rateScale != 1 { optimizer.learningRate *= rateScale }
        let record = TrainingRecord(step: step, loss: value, lr: lr, seconds: Date().timeIntervalSince(start))
        history.records.append(record)
        done = step
        onStep?(record)
        bar.update(done: step, losses: [("loss", record.loss)])
        if options.saveEvery > 0, step % options.saveEvery == 0, step < options.iterations {
            try save("checkpoint-\(step)", step: step)
        }
    }
    optimizer.zeroGrad()
    bar.finish()
    // A run stopped by Ctrl-C is never taken for a finished one: its last checkpoint says so.
    try save(stopped ? "checkpoint-\(done)-interrupted" : "checkpoint-final", step: done)
    return ColdStartResult(history: history, stepsDone: done, stopped: stopped,
                           seconds: Date().timeIntervalSince(start), checkpoints: checkpoints.map(\.path), rollbacks: rollbacks)
}
