import Lang
import Tensors
import Autodiff
import NN

/// A native object with a small table of documented methods and fields (optimizers, schedulers,
/// modules): completion and "did you mean" come from the table.
protocol DocumentedObject: NativeObject {
    /// (name, signature, summary, implementation) for each method.
    var methodTable: [(name: String, signature: String, summary: String, run: (inout Arguments) throws -> Value)] { get }
    /// (name, summary, getter) for each field.
    var fieldTable: [(name: String, summary: String, get: () -> Value)] { get }
}

extension DocumentedObject {
    func lookup(_ name: String) -> Value? {
        if let f = fieldTable.first(where: { $0.name == name }) { return f.get() }
        if let m = methodTable.first(where: { $0.name == name }) { return .function(Function(name: name, m.run)) }
        return nil
    }
    var documentedNames: [String] { fieldTable.map(\.name) + methodTable.map(\.name) }
}

/// An optimizer (`sgd`, `adam`, `adamw`) over a fixed list of parameters.
public final class OptimizerValue: DocumentedObject {
    public let optimizer: Optimizer
    /// `sgd`, `adam` or `adamw`.
    public let kind: String

    public init(_ optimizer: Optimizer, kind: String) { self.optimizer = optimizer; self.kind = kind }

    public var typeName: String { "optimizer" }
    public var summary: String {
        "<optimizer \(kind) lr=\(formatNumber(optimizer.learningRate)), \(optimizer.parameters.count) parameters>"
    }

    var methodTable: [(name: String, signature: String, summary: String, run: (inout Arguments) throws -> Value)] {
        [
            ("step", "opt.step()", "One update of every parameter from its gradient (parameters without one are skipped).", { [optimizer] a in
                try a.check(positional: 0...0)
                noGrad { optimizer.step() }
                return .nil
            }),
            ("zero_grad", "opt.zero_grad()", "Clears the gradients of the parameters.", { [optimizer] a in
                try a.check(positional: 0...0)
                optimizer.zeroGrad()
                return .nil
            }),
        ]
    }
    var fieldTable: [(name: String, summary: String, get: () -> Value)] {
        [
            ("lr", "The learning rate (settable; a scheduler sets it on each step).", { [optimizer] in .number(optimizer.learningRate) }),
            ("params", "The parameters, as a list of tensors.", { [optimizer] in .list(optimizer.parameters.map { .variable($0) }) }),
            ("kind", "\"sgd\", \"adam\" or \"adamw\".", { [kind] in .string(kind) }),
        ]
    }

    public func member(_ name: String) throws -> Value? { lookup(name) }
    public var memberNames: [String] { documentedNames }

    public func setMember(_ name: String, _ value: Value) throws -> Bool {
        guard name == "lr" else { return false }
        guard case .number(let x) = value, x >= 0, x.isFinite else {
            throw DprmError.type("optimizer lr must be a non-negative number, got \(value.description)")
        }
        optimizer.learningRate = x
        return true
    }
}

/// A learning-rate scheduler driving one optimizer.
public final class SchedulerValue: DocumentedObject {
    public let scheduler: LRScheduler
    public let kind: String

    public init(_ scheduler: LRScheduler, kind: String) { self.scheduler = scheduler; self.kind = kind }

    public var typeName: String { "scheduler" }
    public var summary: String { "<scheduler \(kind) step=\(scheduler.currentStep) lr=\(formatNumber(scheduler.currentLR))>" }

    var methodTable: [(name: String, signature: String, summary: String, run: (inout Arguments) throws -> Value)] {
        [
            ("step", "sched.step()", "Advances one step and sets the optimizer's learning rate (call after opt.step()).", { [scheduler] a in
                try a.check(positional: 0...0)
                scheduler.step()
                return .nil
            }),
        ]
    }
    var fieldTable: [(name: String, summary: String, get: () -> Value)] {
        [
            ("lr", "The learning rate now in force.", { [scheduler] in .number(scheduler.currentLR) }),
            ("steps", "How many times step() was called.", { [scheduler] in .int(scheduler.currentStep) }),
            ("base_lr", "The rate the schedule multiplies.", { [scheduler] in .number(scheduler.baseLR) }),
            ("kind", "The schedule's name.", { [kind] in .string(kind) }),
        ]
    }

    public func member(_ name: String) throws -> Value? { lookup(name) }
    public var memberNames: [String] { documentedNames }
}
