import Tensors
import PRM
import Autodiff
import Distributed

/// Settings of the bi-level engine, named after the reference flags (docs/bilevel.md, "The loop").
public struct BilevelConfig {
    /// Lower micro-steps to run (`iteration_num`); NOT upper steps.
    public var iterations = 50_000
    /// Upper steps happen every `unrollSteps * gradientAccumulation` micro-steps.
    public var unrollSteps = 1
    /// Micro-steps accumulated per lower optimizer step (`gradiant_accumulation`).
    public var gradientAccumulation = 1
    /// Global-norm clipping of the lower gradient; 0 turns it off.
    public var lowerClipping: Float = 0
    /// Global-norm clipping of the upper gradient; 0 turns it off.
    public var upperClipping: Float = 0
    /// Restore the lower state after each upper step and retake one step with the new weights
    /// (the reference's `rollback`; not about non-finite values, see `onNonFinite`).
    public var rollback = false
    /// What a NaN or infinite lower loss, meta loss, gradient norm or upper parameter does:
    /// stop with `BilevelError.nonFinite` (the default) or go back to the last good state of both
    /// levels with lower learning rates (`NonFinitePolicy`; docs/bilevel.md).
    public var onNonFinite: NonFinitePolicy = .stop
    /// Validation / checkpoint hook period in iterations; 0 turns it off.
    public var saveEvery = 500
    /// Hypergradient approximation.
    public var method: HypergradientMethod = .darts()
    /// Lower level only: no upper steps, the weights stay as they are (`baseline` / `retrain`).
    public var lowerOnly = false
    /// Data parallel lower level (docs/distributed.md): `lowerLoss` gives this rank's shard of
    /// the global batch's loss, so the lower gradients are summed over the ranks before each
    /// lower step (clipping then sees the global gradient), the Hessian products of neumann/cg
    /// too, and the hypergradient (the darts probes ran on each rank's shard of the last batch).
    public var shardedLower = false
    /// Data parallel upper level: `upperLoss` gives this rank's shard of the meta batch's loss,
    /// so v = dL_up/dtheta, the direct gradient and the meta loss are summed over the ranks.
    public var shardedUpper = false

    public init() {}

    /// Checks the settings; errors name the flag.
    public func validate() throws {
        if iterations < 0 { throw BilevelError.invalidConfiguration("iteration_num must be >= 0, got \(iterations)") }
        if unrollSteps < 1 { throw BilevelError.invalidConfiguration("unroll_steps must be >= 1, got \(unrollSteps)") }
        if gradientAccumulation < 1 { throw BilevelError.invalidConfiguration("gradiant_accumulation must be >= 1, got \(gradientAccumulation)") }
        if lowerClipping < 0 || upperClipping < 0 { throw BilevelError.invalidConfiguration("gradiant_clipping must be >= 0") }
    }
}

/// One level of the problem: its parameters, optimizer and scheduler.
public final class Level {
    public let parameters: ParameterSet
    public let optimizer: LevelOptimizer
    public let scheduler: LevelScheduler?

    public init(parameters: [Variable], optimizer: LevelOptimizer, scheduler: LevelScheduler? = nil) {
        self.parameters = ParameterSet(parameters)
        self.optimizer = optimizer
        self.scheduler = scheduler
    }
}

/// Callbacks the engine calls; all optional.
public struct BilevelHooks<LowerBatch> {
    /// After every lower micro-step: iteration (1-based) and the unscaled lower loss.
    public var afterLowerStep: ((Int, Float) -> Void)?
    /// After every upper step: iteration and the meta loss.
    public var afterUpperStep: ((Int, Float) -> Void)?
    /// Every `saveEvery` iterations (validation / checkpoint).
    public var validate: ((Int) throws -> Void)?
    /// Checked once per iteration at a safe point; returning true stops the run with `BilevelError.interrupted`.
    public var shouldStop: (() -> Bool)?
    /// Names of operations in the order they run (for tests of the reference's order).
    public var trace: ((String) -> Void)?
    /// After the engine went back to a good state (`onNonFinite: .rollback`): records of
    /// iterations after `restoredTo` belong to the stretch that was thrown away.
    public var afterRollback: ((NonFiniteRollback) -> Void)?

    public init() {}
}

/// The bi-level engine, step for step as the reference (Betty 0.2.1 under DreamPRM-1.5).
///
/// `lowerLoss(batch)` is L_low(theta, lam; batch): it may depend on both levels' parameters;
/// the lower backward sends gradient to theta only. `upperLoss(batch)` is L_up(theta; batch).
///
/// Non-finite values (the reference does not look): the lower loss is checked after every
/// forward (not with `shardedLower`, where it is this rank's part: the summed gradient shows
/// it), the lower gradient norm before every lower step, the meta loss and the upper gradient
/// norm before every upper step and the upper parameters after it. With `onNonFinite: .stop`
/// the iteration throws `BilevelError.nonFinite` naming it, before the lower weights change
/// (upper parameters an upper step made non-finite are put back first). With `.rollback`, the
/// engine keeps the state of both levels before each lower step whose micro-steps all had a
/// finite loss and whose gradient was finite (parameters, optimizer states, schedule positions,
/// batch orders, counters), goes back to it, multiplies every learning rate by the policy's
/// factor from then on (`rateScales`: the lower level's, the upper level's or both, by where the
/// value appeared) and carries on from there.
public final class BilevelEngine<LowerBatch, UpperBatch> {
    public let config: BilevelConfig
    public let lower: Level
    public let upper: Level
    public var lowerData: BatchLoader<LowerBatch>
    public var upperData: BatchLoader<UpperBatch>
    public let lowerLoss: ([LowerBatch]) -> Variable
    public let upperLoss: ([UpperBatch]) -> Variable
    public var hooks = BilevelHooks<LowerBatch>()

    /// Lower micro-steps taken so far (the reference's `count`).
    public private(set) var count = 0
    /// Iterations completed (equals `count`; kept separately for clarity in checkpoints).
    public private(set) var iteration = 0
    private var lastLowerBatch: [LowerBatch]?
    private typealias SavedLower = (values: [Tensor], optimizer: [String: Tensor], schedulerSteps: Int?)
    private var rollbackState: SavedLower?

    /// Rollbacks made after non-finite values (`onNonFinite: .rollback`), in order.
    public private(set) var rollbacks: [NonFiniteRollback] = []
    /// The factors rollbacks put on the lower and the upper level's learning rates (1 before any).
    public private(set) var rateScales = (lower: 1.0, upper: 1.0)

    /// Everything a rollback puts back; `count` / `iteration` are the micro-steps done in it.
    private struct GoodState {
        var lower: SavedLower, upper: SavedLower
        var lowerData: BatchLoader<LowerBatch>, upperData: BatchLoader<UpperBatch>
        var count: Int, iteration: Int
        var rollbackState: SavedLower?
    }
    private var good: GoodState?
    /// The lower side of the state where the current accumulation window began.
    private var windowStart: (lowerData: BatchLoader<LowerBatch>, schedulerSteps: Int?, count: Int, iteration: Int, rollbackState: SavedLower?)?
    /// A non-finite value seen inside an iteration, and the rates a rollback lowers: the upper
    /// level's when its own step overflowed, the lower level's when the meta loss (a function of
    /// the lower parameters only) is not finite, both for the lower loss and gradient (the
    /// weights the upper level gives enter them).
    private struct Divergence: Error {
        let what: String
        var lowersLower = true, lowersUpper = true
    }

    public init(config: BilevelConfig, lower: Level, upper: Level,
                lowerData: BatchLoader<LowerBatch>, upperData: BatchLoader<UpperBatch>,
                lowerLoss: @escaping ([LowerBatch]) -> Variable, upperLoss: @escaping ([UpperBatch]) -> Variable) throws {
        try config.validate()
        self.config = config
        self.lower = lower
        self.upper = upper
        self.lowerData = lowerData
        self.upperData = upperData
        self.lowerLoss = lowerLoss
        self.upperLoss = upperLoss
    }

    private func trace(_ event: String) { hooks.trace?(event) }

    /// Runs iterations until `config.iterations` have been done in total (a resumed engine
    /// continues from `iteration`).
    public func run() throws {
        while iteration < config.iterations {
            if hooks.shouldStop?() == true { throw BilevelError.interrupted(iteration: iteration) }
            try runIteration()
        }
    }

    /// One lower micro-step, and the upper step when the unroll window closes. A non-finite
    /// value stops the run or rolls it back (`BilevelConfig.onNonFinite`).
    public func runIteration() throws {
        do {
            try iterate()
        } catch let d as Divergence {
            try recover(from: d)
        }
    }

    private func iterate() throws {
        let window = config.unrollSteps * config.gradientAccumulation
        if config.rollback && !config.lowerOnly && count % window == 0 {
            rollbackState = (lower.parameters.copies(), lower.optimizer.stateSnapshot(), lower.scheduler?.stepsTaken)
            trace("save lower state")
        }
        if config.onNonFinite.keepsGoodState && count % config.gradientAccumulation == 0 {
            windowStart = (lowerData, lower.scheduler?.stepsTaken, count, iteration, rollbackState)
        }
        count += 1
        iteration += 1
        let batch = lowerData.next()
        lastLowerBatch = batch
        let loss = lowerBackward(batch, scale: 1 / Float(config.gradientAccumulation))
        try checkLowerLoss(loss)
        hooks.afterLowerStep?(iteration, loss)
        if count % config.gradientAccumulation == 0 { try lowerOptimizerStep(keepGoodState: true) }
        if !config.rollback || config.lowerOnly {
            stepScheduler(lower)
            trace("lower sched")
        }
        if !config.lowerOnly && count % window == 0 {
            let metaLoss = try upperStep(lastBatch: batch)
            hooks.afterUpperStep?(iteration, metaLoss)
            if config.rollback, let saved = rollbackState {
                lower.parameters.restore(saved.values)
                try lower.optimizer.restoreState(saved.optimizer)
                if let steps = saved.schedulerSteps { setSchedulerSteps(lower, steps) }
                lower.parameters.zeroGrad()
                trace("restore lower state")
                try checkLowerLoss(lowerBackward(batch, scale: 1))
                try lowerOptimizerStep(keepGoodState: false)
                stepScheduler(lower)
                trace("lower sched")
            }
        }
        if config.saveEvery > 0 && iteration % config.saveEvery == 0 {
            trace("validate")
            try hooks.validate?(iteration)
        }
    }

    /// Forward and backward of the lower loss into theta only (lam is frozen). Returns the
    /// unscaled loss (with `shardedLower`, this rank's part of it).
    private func lowerBackward(_ batch: [LowerBatch], scale: Float) -> Float {
        frozen(upper.parameters.parameters) {
            let loss = lowerLoss(batch)
            (loss * scale).backward()
            trace("lower fwd/bwd")
            return loss.value.item
        }
    }

    /// A non-finite lower loss (not under `shardedLower`: a rank's part may be NaN alone, and the
    /// summed gradient, the same on every rank, shows it).
    private func checkLowerLoss(_ loss: Float) throws {
        if !config.shardedLower && !loss.isFinite { throw Divergence(what: "the lower loss is \(loss)") }
    }

    private func rateScale(_ level: Level) -> Double { level === lower ? rateScales.lower : rateScales.upper }

    /// The scheduler's step, then the rollbacks' factor on top of the rate it set.
    private func stepScheduler(_ level: Level) {
        guard let scheduler = level.scheduler else { return }
        scheduler.step()
        let scale = rateScale(level)
        if scale != 1 { level.optimizer.learningRate *= Float(scale) }
    }

    /// Puts a scheduler at `steps` (which sets the scheduled rate), with the rollbacks' factor on top.
    private func setSchedulerSteps(_ level: Level, _ steps: Int) {
        guard let scheduler = level.scheduler else { return }
        scheduler.stepsTaken = steps
        let scale = rateScale(level)
        if scale != 1 { level.optimizer.learningRate *= Float(scale) }
    }

    private func saved(_ level: Level) -> SavedLower {
        (level.parameters.copies(), level.optimizer.stateSnapshot(), level.scheduler?.stepsTaken)
    }

    private func lowerOptimizerStep(keepGoodState: Bool) throws {
        if config.shardedLower { try DataParallel.allReduceGradients(lower.parameters.parameters) }
        let norm = config.lowerClipping > 0 ? lower.parameters.clipGradients(maxNorm: config.lowerClipping)
                                            : ParameterSet.norm(lower.parameters.parameters.compactMap(\.grad))
        guard norm.isFinite else { throw Divergence(what: "the lower gradient norm is \(norm)") }
        // Both levels as they are now gave a finite loss and gradient: a state to come back to
        // (the lower side as it was when this step's accumulation began).
        if keepGoodState, config.onNonFinite.keepsGoodState, let w = windowStart {
            var lowerState = saved(lower)
            lowerState.schedulerSteps = w.schedulerSteps
            good = GoodState(lower: lowerState, upper: saved(upper), lowerData: w.lowerData, upperData: upperData,
                             count: w.count, iteration: w.iteration, rollbackState: w.rollbackState)
        }
        lower.optimizer.step()
        lower.parameters.zeroGrad()
        trace("lower opt step")
    }

    /// The upper step on the next meta batch, with the lower's current theta.
    private func upperStep(lastBatch: [LowerBatch]) throws -> Float {
        let metaBatch = upperData.next()
        let metaLoss = upperLoss(metaBatch)
        trace("meta fwd")
        // v = dL_up/dtheta and the direct term dL_up/dlam, from one backward.
        let all = lower.parameters.parameters + upper.parameters.parameters
        var grads = gradients(of: metaLoss, wrt: all)
        var metaValue = metaLoss.value.item
        if config.shardedUpper {
            // One message: every rank's v, direct gradient and meta loss, summed in rank order.
            let summed = try DataParallel.allReduce(grads + [Tensor(metaValue)], "upper gradient allreduce")
            grads = Array(summed.dropLast())
            metaValue = summed.last!.item
        }
        guard metaValue.isFinite else { throw Divergence(what: "the meta loss is \(metaValue)", lowersUpper: false) }
        let v = Array(grads[..<lower.parameters.parameters.count])
        let direct = Array(grads[lower.parameters.parameters.count...])
        let sharded = config.shardedLower
        let solver = HypergradientSolver(theta: lower.parameters, lambda: upper.parameters,
                                         lowerLoss: { [lowerLoss] in lowerLoss(lastBatch) },  // NOT divided by gradient accumulation
                                         sum: { sharded ? try DataParallel.allReduce($0, $1) : $0 })
        let hyper = try solver.hypergradient(v, method: config.method, trace: trace)
        upper.parameters.zeroGrad()
        upper.parameters.accumulate(zip(direct, hyper).map { $0 + $1 })
        let norm = config.upperClipping > 0 ? upper.parameters.clipGradients(maxNorm: config.upperClipping)
                                            : ParameterSet.norm(upper.parameters.parameters.compactMap(\.grad))
        guard norm.isFinite else {
            upper.parameters.zeroGrad()
            throw Divergence(what: "the upper gradient norm is \(norm)", lowersLower: false)
        }
        // A finite gradient times a huge rate can still overflow: the values before the step
        // are put back when it does (the upper level is small: a table, a net or domain weights).
        let before = upper.parameters.copies()
        upper.optimizer.step()
        upper.parameters.zeroGrad()
        if let bad = upper.parameters.parameters.firstIndex(where: { !ParameterSet.isFinite($0.value) }) {
            upper.parameters.restore(before)
            throw Divergence(what: "the upper-level parameters are not finite after the upper step (parameter \(bad))", lowersLower: false)
        }
        trace("upper opt step")
        stepScheduler(upper)
        trace("upper sched")
        return metaValue
    }

    /// Stops the run (`BilevelError.nonFinite`), or puts back the last good state and lowers
    /// every learning rate by the policy's factor.
    private func recover(from d: Divergence) throws {
        lower.parameters.zeroGrad()
        upper.parameters.zeroGrad()
        let at = iteration
        guard let factor = config.onNonFinite.allowsRollback(after: rollbacks.count), let g = good else {
            throw BilevelError.nonFinite("\(d.what) at iteration \(at) (lr \(lower.optimizer.learningRate), meta_lr \(upper.optimizer.learningRate))"
                                         + config.onNonFinite.exhaustedNote(rollbacks: rollbacks.count) + ": the run diverged and stopped")
        }
        let lowered = (lower: d.lowersLower, upper: d.lowersUpper && !config.lowerOnly)
        if lowered.lower { rateScales.lower *= factor }
        if lowered.upper { rateScales.upper *= factor }
        for (level, state, lowers) in [(lower, g.lower, lowered.lower), (upper, g.upper, lowered.upper)] {
            // Copies again: the kept state must survive in-place optimizer updates (a second
            // rollback may come back to it).
            level.parameters.restore(state.values.map { $0.copy() })
            try level.optimizer.restoreState(state.optimizer)
            if let steps = state.schedulerSteps { setSchedulerSteps(level, steps) } else if lowers { level.optimizer.learningRate *= Float(factor) }
        }
        lowerData = g.lowerData
        upperData = g.upperData
        count = g.count
        iteration = g.iteration
        rollbackState = g.rollbackState
        let event = NonFiniteRollback(step: at, restoredTo: g.iteration, reason: d.what, rateScale: rateScales.lower,
                                      upperRateScale: config.lowerOnly ? nil : rateScales.upper)
        rollbacks.append(event)
        trace("nonfinite rollback")
        hooks.afterRollback?(event)
    }

    /// Sets `rateScales` from a checkpoint (after `restoreCounters`, which put the scheduled
    /// rates back) and applies them to the levels' current rates.
    public func restoreRateScales(lower lowerScale: Double, upper upperScale: Double) {
        for (level, old, new) in [(lower, rateScales.lower, lowerScale), (upper, rateScales.upper, upperScale)]
        where new.isFinite && new > 0 && new != old {
            level.optimizer.learningRate *= Float(new / old)
        }
        rateScales = (lowerScale.isFinite && lowerScale > 0 ? lowerScale : rateScales.lower,
                      upperScale.isFinite && upperScale > 0 ? upperScale : rateScales.upper)
    }

    // MARK: checkpoint state

    /// Counters and loader positions; with both levels' parameters and optimizer states this is
    /// everything a resumed run needs to continue exactly.
    public var counters: [String: Int] {
        ["count": count, "iteration": iteration,
         "lower_epoch": lowerData.epoch, "lower_position": lowerData.position,
         "upper_epoch": upperData.epoch, "upper_position": upperData.position,
         "lower_sched_steps": lower.scheduler?.stepsTaken ?? 0, "upper_sched_steps": upper.scheduler?.stepsTaken ?? 0]
    }

    /// Restores counters saved from `counters`.
    public func restoreCounters(_ c: [String: Int]) throws {
        guard let count = c["count"], let iteration = c["iteration"] else {
            throw BilevelError.checkpoint("checkpoint counters lack 'count' or 'iteration'")
        }
        self.count = count
        self.iteration = iteration
        lowerData.seek(epoch: c["lower_epoch"] ?? 0, position: c["lower_position"] ?? 0)
        upperData.seek(epoch: c["upper_epoch"] ?? 0, position: c["upper_position"] ?? 0)
        lower.scheduler?.stepsTaken = c["lower_sched_steps"] ?? 0
        upper.scheduler?.stepsTaken = c["upper_sched_steps"] ?? 0
    }
}
