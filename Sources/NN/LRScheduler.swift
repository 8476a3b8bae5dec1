#if canImport(Glibc)
import Glibc
#endif
import Tensors

/// A learning-rate schedule as a multiplier of the base rate at each step (torch's `LambdaLR`
/// view; every schedule here is given in closed form, so `lr(at:)` is a pure function).
public enum Schedule: Sendable, Equatable {
    /// Multiplier 1.
    case constant
    /// Linear warmup from 0 over `warmup` steps, then 1 (`get_constant_schedule_with_warmup`).
    case constantWithWarmup(warmup: Int)
    /// `torch.optim.lr_scheduler.StepLR`: gamma^(step / stepSize) (integer division).
    case step(stepSize: Int, gamma: Double)
    /// HF transformers' `get_cosine_schedule_with_warmup`:
    /// step < warmup: step / max(1, warmup);
    /// else progress = (step - warmup) / max(1, total - warmup),
    /// max(0, 0.5 * (1 + cos(pi * cycles * 2 * progress))). `cycles` is 0.5 by default (one half-cosine to 0).
    case cosineWithWarmup(warmup: Int, total: Int, cycles: Double)
    /// HF transformers' `get_linear_schedule_with_warmup`:
    /// step < warmup: step / max(1, warmup); else max(0, (total - step) / max(1, total - warmup)).
    case linearWithWarmup(warmup: Int, total: Int)

    /// Cosine with warmup and the default half cycle.
    public static func cosineWithWarmup(warmup: Int, total: Int) -> Schedule {
        .cosineWithWarmup(warmup: warmup, total: total, cycles: 0.5)
    }

    /// The multiplier at `step` (0-based; step 0 is before the first optimizer step).
    public func multiplier(at step: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case .constantWithWarmup(let warmup):
            return step < warmup ? Double(step) / Double(max(1, warmup)) : 1
        case .step(let size, let gamma):
            precondition(size > 0, "StepLR step size must be positive")
            return pow(gamma, Double(step / size))
        case .cosineWithWarmup(let warmup, let total, let cycles):
            if step < warmup { return Double(step) / Double(max(1, warmup)) }
            let progress = Double(step - warmup) / Double(max(1, total - warmup))
            return max(0, 0.5 * (1 + cos(Double.pi * cycles * 2 * progress)))
        case .linearWithWarmup(let warmup, let total):
            if step < warmup { return Double(step) / Double(max(1, warmup)) }
            return max(0, Double(total - step) / Double(max(1, total - warmup)))
        }
    }
}

/// Drives an optimizer's learning rate: lr = baseLR * schedule.multiplier(step).
///
/// As torch's schedulers, creating one sets the rate for step 0, and each `step()` (called
/// after `optimizer.step()`) advances the count and sets the next rate.
public final class LRScheduler {
    public let optimizer: Optimizer
    public let schedule: Schedule
    public let baseLR: Double
    /// Number of `step()` calls so far (torch's `last_epoch`).
    public private(set) var currentStep: Int

    /// `baseLR` defaults to the optimizer's current rate.
    public init(_ optimizer: Optimizer, schedule: Schedule, baseLR: Double? = nil) {
        self.optimizer = optimizer
        self.schedule = schedule
        self.baseLR = baseLR ?? optimizer.learningRate
        currentStep = 0
        optimizer.learningRate = lr(at: 0)
    }

    /// The rate at `step`, without changing anything.
    public func lr(at step: Int) -> Double { baseLR * schedule.multiplier(at: step) }

    /// The rate now in force.
    public var currentLR: Double { lr(at: currentStep) }

    /// Advances one step and sets the optimizer's rate.
    public func step() {
        currentStep += 1
        optimizer.learningRate = lr(at: currentStep)
    }

    /// `{"last_epoch": step}` (exact up to 2^24 steps).
    public func stateDict() -> [String: Tensor] { ["last_epoch": Tensor(Float(currentStep))] }

    /// Restores the step count and sets the optimizer's rate accordingly.
    public func load(stateDict: [String: Tensor]) throws {
        guard let t = stateDict["last_epoch"], t.count == 1, t.item >= 0 else {
            throw OptimizerStateError(message: "scheduler state needs 'last_epoch' (one non-negative number); keys: \(stateDict.keys.sorted())")
        }
        currentStep = Int(t.item)
        optimizer.learningRate = lr(at: currentStep)
    }
}
