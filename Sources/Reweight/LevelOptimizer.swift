import Tensors
import Autodiff

/// What the bi-level engine needs from one level's optimizer. NN's optimizers conform
/// through `OptimizerLevel` (`NNLevelAdapters.swift`); tests use tiny hand-written ones.
public protocol LevelOptimizer: AnyObject {
    /// One update of the parameters from their accumulated `.grad`.
    func step()
    /// The learning rate the next `step()` uses.
    var learningRate: Float { get set }
    /// A deep copy of the optimizer's state (moments, step counts), for rollback and checkpoints.
    func stateSnapshot() -> [String: Tensor]
    /// Puts back a state taken by `stateSnapshot()`.
    func restoreState(_ state: [String: Tensor]) throws
}

/// What the engine needs from a learning-rate scheduler.
public protocol LevelScheduler: AnyObject {
    /// Advances one scheduler step and sets the optimizer's learning rate.
    func step()
    /// Number of steps taken so far (checkpointed so a resumed run continues the schedule).
    var stepsTaken: Int { get set }
}
