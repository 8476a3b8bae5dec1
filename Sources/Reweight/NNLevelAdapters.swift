import Tensors
import Autodiff
import NN

/// An NN optimizer seen as one level of the bi-level engine.
public final class OptimizerLevel: LevelOptimizer {
    public let optimizer: Optimizer
    public init(_ optimizer: Optimizer) { self.optimizer = optimizer }
    public func step() { optimizer.step() }
    public var learningRate: Float {
        get { Float(optimizer.learningRate) }
        set { optimizer.learningRate = Double(newValue) }
    }
    public func stateSnapshot() -> [String: Tensor] { optimizer.stateDict() }
    public func restoreState(_ state: [String: Tensor]) throws { try optimizer.load(stateDict: state) }
}

/// An NN learning-rate scheduler seen as one level's scheduler of the engine.
public final class SchedulerLevel: LevelScheduler {
    public let scheduler: LRScheduler
    public init(_ scheduler: LRScheduler) { self.scheduler = scheduler }
    public func step() { scheduler.step() }
    public var stepsTaken: Int {
        get { scheduler.currentStep }
        set { try? scheduler.load(stateDict: ["last_epoch": Tensor(Float(newValue))]) }
    }
}

/// The schedule named by the reference flags: `cosine_warmup` / `cosine` (with warmup, the
/// DreamPRM-1.5 default), `linear` (with warmup), `step` (StepLR), `constant`. The one mapping
/// used by cold start and reweighting; `caller` prefixes error messages.
public func makeSchedule(type: String, warmup: Int, total: Int, stepSize: Int, gamma: Double,
                         caller: String = "reweight") throws -> Schedule {
    switch type.lowercased() {
    case "cosine", "cosine_warmup", "cosine_with_warmup": return .cosineWithWarmup(warmup: warmup, total: total)
    case "linear", "linear_warmup": return .linearWithWarmup(warmup: warmup, total: total)
    case "step", "steplr":
        guard stepSize >= 1 else {
            throw BilevelError.invalidConfiguration("\(caller): scheduler_step_size must be >= 1, got \(stepSize)")
        }
        return .step(stepSize: stepSize, gamma: gamma)
    case "constant": return warmup > 0 ? .constantWithWarmup(warmup: warmup) : .constant
    default:
        throw BilevelError.invalidConfiguration("\(caller): unknown scheduler_type '\(type)'; choose cosine_warmup, linear, step or constant")
    }
}
