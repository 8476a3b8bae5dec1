import Tensors

/// A node of the reverse-mode graph: a tensor value, and how to send a gradient back to the
/// variables it was computed from.
///
/// Leaves created with `requiresGrad: true` are parameters; `backward()` accumulates into their
/// `grad`. Every op records its inputs and its gradient rule only when gradient recording is on
/// (`GradMode`) and some input requires a gradient, so inference builds no graph.
public final class Variable {
    /// The forward value. Optimizers replace it in place for parameters.
    public var value: Tensor
    /// Accumulated gradient (same shape as `value`), filled by `backward()`; nil until then.
    public var grad: Tensor?
    /// True for parameters and for every result computed from one while recording.
    /// An engine may switch it off on parameters for a while (`frozen`) so that ops on them
    /// record nothing: the bi-level darts probes differentiate the weights, never the PRM.
    public var requiresGrad: Bool
    /// Optional name (dotted parameter names like `encoder.layer.0.attention.self.query.weight`).
    public var name: String

    /// Inputs of the op that produced this variable (empty for leaves).
    let parents: [Variable]
    /// Maps the gradient of this variable to one gradient per parent (nil: no gradient).
    let gradientRule: ((Tensor) -> [Tensor?])?

    /// A leaf.
    public init(_ value: Tensor, requiresGrad: Bool = false, name: String = "") {
        self.value = value
        self.requiresGrad = requiresGrad
        self.name = name
        self.parents = []
        self.gradientRule = nil
    }

    init(value: Tensor, parents: [Variable], rule: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.requiresGrad = true
        self.name = ""
        self.parents = parents
        self.gradientRule = rule
    }

    /// The result of an op: records `rule` when recording is on and an input needs a gradient.
    @inline(__always)
    static func result(_ value: Tensor, _ parents: [Variable], _ rule: @escaping (Tensor) -> [Tensor?]) -> Variable {
        if GradMode.isEnabled && parents.contains(where: { $0.requiresGrad }) {
            return Variable(value: value, parents: parents, rule: rule)
        }
        return Variable(value)
    }

    /// Shape of the value.
    public var shape: [Int] { value.shape }
    /// True when the variable was not produced by a recorded op.
    public var isLeaf: Bool { gradientRule == nil }

    /// The same value, cut from the graph.
    public func detached() -> Variable { Variable(value) }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }
}

/// Runs `body` with `parameters` treated as constants (no graph through them), then restores them.
@discardableResult
public func frozen<R>(_ parameters: [Variable], _ body: () throws -> R) rethrows -> R {
    let saved = parameters.map(\.requiresGrad)
    for p in parameters { p.requiresGrad = false }
    defer { for (p, s) in zip(parameters, saved) { p.requiresGrad = s } }
    return try body()
}

/// Whether ops record the graph. Off inside `noGrad { }`.
public enum GradMode {
    /// Recording flag. The engine is single-threaded at the graph level (kernels parallelise inside).
    nonisolated(unsafe) public static var isEnabled = true
}

/// Runs `body` without recording gradients (inference, optimizer updates, darts probes).
@discardableResult
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    let saved = GradMode.isEnabled
    GradMode.isEnabled = false
    defer { GradMode.isEnabled = saved }
    return try body()
}
