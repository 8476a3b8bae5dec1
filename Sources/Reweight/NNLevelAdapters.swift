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
