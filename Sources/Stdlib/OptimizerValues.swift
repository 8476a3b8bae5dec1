import Lang
import Tensors
import Autodiff
import NN

/// An optimizer (`sgd`, `adam`, `adamw`) over a fixed list of parameters.
public final class OptimizerValue: TabledObject {
    public let optimizer: Optimizer
    /// `sgd`, `adam` or `adamw`.
    public let kind: String

    public init(_ optimizer: Optimizer, kind: String) { self.optimizer = optimizer; self.kind = kind }

    public var typeName: String { "optimizer" }
    public var summary: String {
        "<optimizer \(kind) lr=\(formatNumber(optimizer.learningRate)), \(optimizer.parameters.count) parameters>"
    }

    public static let members = MemberTable<OptimizerValue>([
        .method("step", parameters: [], "One update of every parameter from its gradient (parameters without one are skipped).") { o, a in
            noGrad { o.optimizer.step() }
            return .nil
        },
        .method("zero_grad", parameters: [], "Clears the gradients of the parameters.") { o, a in
            o.optimizer.zeroGrad()
            return .nil
        },
        .field("lr", "The learning rate (settable; a scheduler sets it on each step).", get: { .number($0.optimizer.learningRate) }) { o, value in
            guard case .number(let x) = value, x >= 0, x.isFinite else {
                throw DprmError.type("optimizer lr must be a non-negative number, got \(value.description)")
            }
            o.optimizer.learningRate = x
        },
        .field("params", "The parameters, as a list of tensors.") { .list($0.optimizer.parameters.map { .variable($0) }) },
        .field("kind", "\"sgd\", \"adam\" or \"adamw\".") { .string($0.kind) },
    ])
}

/// A learning-rate scheduler driving one optimizer.
public final class SchedulerValue: TabledObject {
    public let scheduler: LRScheduler
    public let kind: String

    public init(_ scheduler: LRScheduler, kind: String) { self.scheduler = scheduler; self.kind = kind }

    public var typeName: String { "scheduler" }
    public var summary: String { "<scheduler \(kind) step=\(scheduler.currentStep) lr=\(formatNumber(scheduler.currentLR))>" }

    public static let members = MemberTable<SchedulerValue>([
        .method("step", parameters: [], "Advances one step and sets the optimizer's learning rate (call after opt.step()).") { s, a in
            s.scheduler.step()
            return .nil
        },
        .field("lr", "The learning rate now in force.") { .number($0.scheduler.currentLR) },
        .field("steps", "How many times step() was called.") { .int($0.scheduler.currentStep) },
        .field("base_lr", "The rate the schedule multiplies.") { .number($0.scheduler.baseLR) },
        .field("kind", "The schedule's name.") { .string($0.kind) },
    ])
}
