import Support
import Tensors
import PRM

/// Settings of a reweighting run, one per reference flag (names in comments). Defaults are the
/// DreamPRM-1.5 reference run's for the Instance Table, except `iterations`.
public struct ReweightOptions {
    /// `iteration_num`: lower micro-steps.
    public var iterations = 3000
    /// `save_every_iterations`: checkpoint period (0: only at the end when a directory is set).
    public var saveEvery = 0
    /// `unroll_steps`.
    public var unrollSteps = 1
    /// `gradiant_accumulation` (sic).
    public var gradientAccumulation = 1
    /// `gradiant_clipping`, on both levels (0 turns it off).
    public var gradientClipping: Float = 1.0
    /// `rollback`.
    public var rollback = false
    /// `baseline`: lower level only with every weight 1 (plain fine-tuning on the same schedule).
    public var baseline = false
    /// `retrain`: lower level only with the weighting model frozen as it is (retrain with learned weights).
    public var retrain = false
    /// `seed`: data order (and nothing else: models are seeded where they are built).
    public var seed: UInt64 = 1
    /// `optimizer` of both levels: `adamw` (reference) or `sgd` (uses `momentum` / `meta_momentum`).
    public var optimizer = "adamw"
    /// `lr`, `momentum`, `weight_decay`, `batch_size`.
    public var lr = 5e-5
    public var momentum = 0.0
    public var weightDecay: Float = 0.01
    public var batchSize = 1
    /// `scheduler_type` (cosine | linear | step | constant), `scheduler_step_size`, `scheduler_gamma`.
    public var schedulerType = "cosine"
    public var schedulerStepSize = 1000
    public var schedulerGamma = 0.1
    /// Warmup as a fraction of `iterations` (the reference uses 0.05 on both levels).
    public var warmupRatio = 0.05
    /// `meta_lr`, `meta_momentum`, `meta_weight_decay`, `meta_batch_size`.
    public var metaLr = 5e-3
    public var metaMomentum = 0.0
    public var metaWeightDecay: Float = 1e-3
    public var metaBatchSize = 1
    /// `meta_scheduler_step_size`, `meta_scheduler_gamma` (the meta level uses `scheduler_type` too).
    public var metaSchedulerStepSize = 1000
    public var metaSchedulerGamma = 0.1
    /// `aggregation_function` used by the meta loss (mean in the reference).
    public var aggregation: Aggregation = .mean
    /// `loss_target`.
    public var lossTarget: LossTarget = .both
    /// Hypergradient method (darts in DreamPRM).
    public var hypergradient: HypergradientMethod = .darts()
    /// AdamW epsilon; HF transformers' AdamW (which the reference uses) has 1e-6.
    public var adamEpsilon: Float = 1e-6
    /// Weight snapshots every N iterations for weight curves (0: about 100 snapshots per run).
    public var snapshotEvery = 0
    /// Where checkpoints go (nil: no checkpoints): one folder, replaced whole at each save.
    public var checkpointDirectory: String?
    /// Replace a previous run's checkpoint found in `checkpointDirectory`; false: that is an
    /// error before the first iteration, unless this run was resumed from it (`overwrite`).
    public var overwrite = false
    /// `precision`: only fp32 is implemented on the CPU; bf16 is rejected with a clear message.
    public var precision = "fp32"
    /// `lm_loss_weight`: the auxiliary language-model loss added to the lower loss, unweighted
    /// (it is about the text, which is not what the instance weights judge; 0 leaves it out, as
    /// the reference). See `ColdStartOptions.languageModelWeight`.
    public var languageModelWeight: Float = 0
    /// What a NaN or infinite loss, gradient or weight does (`on_nonfinite`): stop (the default)
    /// or roll back to the last good state with lower rates (`BilevelConfig.onNonFinite`).
    public var onNonFinite: NonFinitePolicy = .stop

    public init() {}

    /// Checks flag values; errors name the flag.
    public func validate() throws {
        if batchSize < 1 { throw BilevelError.invalidConfiguration("batch_size must be >= 1, got \(batchSize)") }
        if metaBatchSize < 1 { throw BilevelError.invalidConfiguration("meta_batch_size must be >= 1, got \(metaBatchSize)") }
        if lr <= 0 || metaLr < 0 { throw BilevelError.invalidConfiguration("lr must be > 0 and meta_lr >= 0") }
        if !(languageModelWeight >= 0) { throw BilevelError.invalidConfiguration("lm_loss_weight must be >= 0, got \(languageModelWeight)") }
        if !["adamw", "sgd"].contains(optimizer.lowercased()) {
            throw BilevelError.invalidConfiguration("unknown optimizer '\(optimizer)'; choose adamw or sgd")
        }
        if precision.lowercased() != "fp32" {
            throw BilevelError.invalidConfiguration("precision '\(precision)' is not supported on the CPU; use fp32")
        }
        if lossTarget == .rank && !LossTarget.shiftEquivariant.contains(aggregation.kind) {
            throw BilevelError.invalidConfiguration("loss_target 'rank' needs an aggregation_function that commutes with adding a constant to every step (mean, min, max or last), got '\(aggregation.name)'")
        }
        if baseline && retrain { throw BilevelError.invalidConfiguration("baseline and retrain exclude each other") }
    }
}

/// One row of a run's history (one lower micro-step).
public struct ReweightRecord: Equatable {
    public var iteration: Int
    /// Mean unweighted cross-entropy of the lower batch.
    public var lowerLoss: Float
    /// The weighted lower loss mean_i(w_i * CE_i) that was minimised.
    public var weightedLoss: Float
    /// Meta loss when an upper step ran at this iteration.
    public var metaLoss: Float?
    /// Learning rates of both levels after this iteration's scheduler steps.
    public var lr: Float
    public var metaLr: Float
    /// Statistics of the weights (all instances for tables, the batch for Instance Net).
    public var weightMean: Float
    public var weightStd: Float
    public var weightMin: Float
    public var weightMax: Float
    public var seconds: Double

    /// Column names of `csvRow`.
    public static let csvHeader = "iteration,lower_loss,weighted_loss,meta_loss,lr,meta_lr,weight_mean,weight_std,weight_min,weight_max,seconds"

    public var csvRow: String {
        CSV.line([String(iteration), "\(lowerLoss)", "\(weightedLoss)", metaLoss.map { "\($0)" } ?? "",
                  "\(lr)", "\(metaLr)", "\(weightMean)", "\(weightStd)", "\(weightMin)", "\(weightMax)", "\(seconds)"])
    }
}
