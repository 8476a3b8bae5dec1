import Tensors
import Autodiff

/// A layer or model: named parameters and named child modules, a train/eval flag, and a state dict.
///
/// Subclasses create their parameters and children in `init` and register them with
/// `parameter(_:_:)` and `child(_:_:)`, in the order they should be listed. Names join with dots
/// (`encoder.layer.0.attention.self.query.weight`), following Hugging Face BERT where it applies.
/// Registration is explicit rather than by reflection so names like `self` or `LayerNorm` can be
/// used exactly as the checkpoints spell them, and so the order is stable.
///
/// A module's forward pass is its `callAsFunction` (signatures differ between layers).
open class Module {
    /// Parameters owned directly by this module, in registration order.
    public private(set) var ownParameters: [(name: String, variable: Variable)] = []
    /// Child modules, in registration order.
    public private(set) var children: [(name: String, module: Module)] = []
    /// Training mode (dropout active). Set through `train()` / `eval()` so children follow.
    public private(set) var isTraining = true

    public init() {}

    /// A new trainable leaf holding a contiguous copy-free `value` (register it with `parameter`).
    public static func makeParameter(_ value: Tensor) -> Variable {
        Variable(value.contiguous(), requiresGrad: true)
    }

    /// Registers `variable` as a parameter called `name` (sets its `name` too) and returns it.
    /// Subclasses create their parameters before `super.init()` and register them after.
    @discardableResult
    public func parameter(_ name: String, _ variable: Variable) -> Variable {
        precondition(!ownParameters.contains { $0.name == name } && !children.contains { $0.name == name },
                     "\(type(of: self)): name '\(name)' registered twice")
        precondition(variable.requiresGrad, "\(type(of: self)): parameter '\(name)' must require a gradient")
        if variable.name.isEmpty { variable.name = name }
        ownParameters.append((name, variable))
        return variable
    }

    /// Registers `module` as a child called `name` (may contain dots, e.g. `layer.0`) and returns it.
    @discardableResult
    public func child<M: Module>(_ name: String, _ module: M) -> M {
        precondition(!ownParameters.contains { $0.name == name } && !children.contains { $0.name == name },
                     "\(type(of: self)): name '\(name)' registered twice")
        children.append((name, module))
        module.setTraining(isTraining)
        return module
    }

    /// Unregisters the child called `name` (LoRA adapters are removed this way when merged).
    func removeChild(_ name: String) {
        children.removeAll { $0.name == name }
    }

    /// Every parameter with its full dotted name, depth first in registration order.
    /// A parameter shared by two children is listed once, under its first name (as torch).
    public func namedParameters(prefix: String = "") -> [(String, Variable)] {
        var out: [(String, Variable)] = []
        var seen = Set<ObjectIdentifier>()
        collect(prefix: prefix, into: &out, seen: &seen)
        return out
    }

    private func collect(prefix: String, into out: inout [(String, Variable)], seen: inout Set<ObjectIdentifier>) {
        for (name, v) in ownParameters where seen.insert(ObjectIdentifier(v)).inserted {
            out.append((prefix + name, v))
        }
        for (name, m) in children { m.collect(prefix: prefix + name + ".", into: &out, seen: &seen) }
    }

    /// Every module below this one (itself first, named ""), with dotted names.
    public func namedModules(prefix: String = "") -> [(String, Module)] {
        var out: [(String, Module)] = [(prefix, self)]
        for (name, m) in children {
            out += m.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
        return out
    }

    /// The parameters in `namedParameters()` order.
    public func parameters() -> [Variable] { namedParameters().map(\.1) }

    /// Total number of scalar parameters.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }

    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters() { p.grad = nil } }

    /// Training mode: dropout active. Applies to every child.
    public func train() { setTraining(true) }
    /// Evaluation mode: dropout is the identity. Applies to every child.
    public func eval() { setTraining(false) }

    private func setTraining(_ on: Bool) {
        isTraining = on
        for (_, m) in children { m.setTraining(on) }
    }

    /// Parameter values by full name. The tensors share storage with the parameters: copy them
    /// (`copy()`) to keep a snapshot, because optimizers update parameters in place.
    public func stateDict() -> [String: Tensor] {
        Dictionary(namedParameters().map { ($0.0, $0.1.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// Copies `stateDict` into the parameters (fresh storage; the caller's tensors are not shared).
    ///
    /// With `strict` (default) every parameter must be present and no other key may appear.
    /// Shapes must always match. Nothing is changed when an error is thrown.
    /// Returns the keys that were not loaded (missing) and the keys that were ignored (unexpected).
    @discardableResult
    public func load(stateDict: [String: Tensor], strict: Bool = true) throws -> (missing: [String], unexpected: [String]) {
        let named = namedParameters()
        let names = Set(named.map(\.0))
        let missing = named.map(\.0).filter { stateDict[$0] == nil }
        let unexpected = stateDict.keys.filter { !names.contains($0) }.sorted()
        var mismatched: [String] = []
        for (name, p) in named {
            if let t = stateDict[name], t.shape != p.value.shape {
                mismatched.append("\(name): checkpoint \(Tensor.describe(t.shape)), model \(Tensor.describe(p.value.shape))")
            }
        }
        if !mismatched.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw StateDictError(missing: strict ? missing : [], unexpected: strict ? unexpected : [], mismatched: mismatched)
        }
        for (name, p) in named {
            if let t = stateDict[name] { p.value = t.copy() }
        }
        return (missing, unexpected)
    }
}

/// A state dict that does not fit a module: lists every missing, unexpected and mis-shaped key.
public struct StateDictError: Error, CustomStringConvertible {
    public let missing: [String]
    public let unexpected: [String]
    public let mismatched: [String]

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { parts.append("unexpected keys: " + unexpected.joined(separator: ", ")) }
        if !mismatched.isEmpty { parts.append("shape mismatch: " + mismatched.joined(separator: "; ")) }
        return "cannot load state dict: " + parts.joined(separator: "; ")
    }
}
