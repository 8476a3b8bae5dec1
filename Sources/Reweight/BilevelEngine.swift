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
    /// Restore the lower state after each upper step and retake one step with the new weights.
    public var rollback = false
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

    public init() {}
}

/// The bi-level engine, step for step as the reference (Betty 0.2.1 under DreamPRM-1.5).
///
/// `lowerLoss(batch)` is L_low(theta, lam; batch): it may depend on both levels' parameters;
/// the lower backward sends gradient to theta only. `upperLoss(batch)` is L_up(theta; batch).
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
    private var rollbackState: (values: [Tensor], optimizer: [String: Tensor], schedulerSteps: Int?)?

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

    /// One lower micro-step, and the upper step when the unroll window closes.
    public func runIteration() throws {
        let window = config.unrollSteps * config.gradientAccumulation
        if config.rollback && !config.lowerOnly && count % window == 0 {
            rollbackState = (lower.parameters.copies(), lower.optimizer.stateSnapshot(), lower.scheduler?.stepsTaken)
            trace("save lower state")
        }
        count += 1
        iteration += 1
        let batch = lowerData.next()
        lastLowerBatch = batch
        let loss = lowerBackward(batch, scale: 1 / Float(config.gradientAccumulation))
        hooks.afterLowerStep?(iteration, loss)
        if count % config.gradientAccumulation == 0 { try lowerOptimizerStep() }
        if !config.rollback || config.lowerOnly {
            lower.scheduler?.step()
            trace("lower sched")
        }
        if !config.lowerOnly && count % window == 0 {
            let metaLoss = try upperStep(lastBatch: batch)
            hooks.afterUpperStep?(iteration, metaLoss)
            if config.rollback, let saved = rollbackState {
                lower.parameters.restore(saved.values)
                try lower.optimizer.restoreState(saved.optimizer)
                if let steps = saved.schedulerSteps { lower.scheduler?.stepsTaken = steps }
                lower.parameters.zeroGrad()
                trace("restore lower state")
                _ = lowerBackward(batch, scale: 1)
                try lowerOptimizerStep()
                lower.scheduler?.step()
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

    private func lowerOptimizerStep() throws {
        if config.shardedLower { try DataParallel.allReduceGradients(lower.parameters.parameters) }
        if config.lowerClipping > 0 { lower.parameters.clipGradients(maxNorm: config.lowerClipping) }
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
        let v = Array(grads[..<lower.parameters.parameters.count])
        let direct = Array(grads[lower.parameters.parameters.count...])
        let sharded = config.shardedLower
        let solver = HypergradientSolver(theta: lower.parameters, lambda: upper.parameters,
                                         lowerLoss: { [lowerLoss] in lowerLoss(lastBatch) },  // NOT divided by gradient accumulation
                                         sum: { sharded ? try DataParallel.allReduce($0, $1) : $0 })
        let hyper = try solver.hypergradient(v, method: config.method, trace: trace)
        upper.parameters.zeroGrad()
        upper.parameters.accumulate(zip(direct, hyper).map { $0 + $1 })
        if config.upperClipping > 0 { upper.parameters.clipGradients(maxNorm: config.upperClipping) }
        upper.optimizer.step()
        upper.parameters.zeroGrad()
        trace("upper opt step")
        upper.scheduler?.step()
        trace("upper sched")
        return metaValue
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
