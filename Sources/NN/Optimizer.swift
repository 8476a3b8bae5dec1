import Tensors
import Autodiff

/// An optimizer updates its parameters' `value` in place from their `grad`.
///
/// In-place means a parameter's storage changes: code that keeps a parameter value for later
/// (a bi-level engine saving theta) must `copy()` it. Parameters without a gradient are skipped
/// (their per-parameter step does not advance), as torch.
///
/// The state (`stateDict()`) is keyed by parameter name: `<name>.step`, `<name>.exp_avg`,
/// `<name>.exp_avg_sq`, `<name>.momentum_buffer`. Steps are stored as 0-d Float tensors, exact up
/// to 2^24 steps. `load(stateDict:)` restores it exactly (the saved tensors are copied both ways,
/// so a saved state is not changed by later steps). Hyperparameters, including the learning
/// rate, are not part of the state: the scheduler sets the rate from its own step.
public protocol Optimizer: AnyObject {
    /// Current learning rate (schedulers write it).
    var learningRate: Double { get set }
    /// The parameters with their names, in order.
    var namedParameters: [(String, Variable)] { get }
    /// One update from the current gradients.
    func step()
    /// A copy of the state, by parameter name.
    func stateDict() -> [String: Tensor]
    /// Replaces the state with `stateDict` (copied). Parameters with no entry get a fresh state.
    func load(stateDict: [String: Tensor]) throws
}

extension Optimizer {
    /// Clears every parameter's gradient.
    public func zeroGrad() { for (_, p) in namedParameters { p.grad = nil } }
    /// The parameters, in order.
    public var parameters: [Variable] { namedParameters.map(\.1) }
}

/// A state dict that does not fit an optimizer.
public struct OptimizerStateError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "cannot load optimizer state: " + message }
}

/// Names for an unnamed parameter list: "0", "1", ... (as torch's optimizer state dicts).
func indexNames(_ parameters: [Variable]) -> [(String, Variable)] {
    parameters.enumerated().map { (String($0.offset), $0.element) }
}

/// Shared state bookkeeping: one record of named buffers and a step per parameter.
struct ParameterStates {
    let names: [String]
    let bufferNames: [String]
    var steps: [Int]
    var buffers: [[Tensor]?]

    init(names: [String], bufferNames: [String]) {
        precondition(Set(names).count == names.count, "optimizer: parameter names must be unique, got \(names)")
        self.names = names
        self.bufferNames = bufferNames
        steps = Array(repeating: 0, count: names.count)
        buffers = Array(repeating: nil, count: names.count)
    }

    func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (i, name) in names.enumerated() {
            guard let bs = buffers[i] else { continue }
            out[name + ".step"] = Tensor(Float(steps[i]))
            for (b, t) in zip(bufferNames, bs) { out[name + "." + b] = t.copy() }
        }
        return out
    }

    mutating func load(_ dict: [String: Tensor], shapes: [[Int]]) throws {
        var known = Set<String>()
        var newSteps = steps, newBuffers = buffers
        for (i, name) in names.enumerated() {
            let keys = [name + ".step"] + bufferNames.map { name + "." + $0 }
            keys.forEach { known.insert($0) }
            let present = keys.filter { dict[$0] != nil }
            if present.isEmpty { newSteps[i] = 0; newBuffers[i] = nil; continue }
            guard present.count == keys.count else {
                throw OptimizerStateError(message: "parameter '\(name)' has \(present.joined(separator: ", ")) but not \(keys.filter { dict[$0] == nil }.joined(separator: ", "))")
            }
            let s = dict[name + ".step"]!
            guard s.count == 1, s.item >= 0, s.item == s.item.rounded() else {
                throw OptimizerStateError(message: "'\(name).step' must be one non-negative integer, got shape \(Tensor.describe(s.shape))")
            }
            var bs: [Tensor] = []
            for b in bufferNames {
                let t = dict[name + "." + b]!
                guard t.shape == shapes[i] else {
                    throw OptimizerStateError(message: "'\(name).\(b)' has shape \(Tensor.describe(t.shape)), parameter has \(Tensor.describe(shapes[i]))")
                }
                bs.append(t.copy())
            }
            newSteps[i] = Int(s.item)
            newBuffers[i] = bs
        }
        let unexpected = dict.keys.filter { !known.contains($0) }.sorted()
        if !unexpected.isEmpty { throw OptimizerStateError(message: "unexpected keys: " + unexpected.joined(separator: ", ")) }
        steps = newSteps
        buffers = newBuffers
    }
}

extension Variable {
    /// Makes `value` a contiguous tensor this variable can write in place.
    func ensureWritableValue() {
        if !value.isContiguous { value = value.copy() }
    }
}
