import Lang
import Tensors
import Autodiff
import NN

/// An NN module (`linear`, `mlp`) as a .dprm object: `m.forward(x)`, `m.parameters()`, and its
/// parameters by name as fields (`m.weight`, `m.bias` for a linear layer).
public final class ModuleValue: DocumentedObject {
    public let module: Module
    /// `linear` or `mlp`.
    public let kind: String
    /// Size of the last axis `forward` accepts.
    public let inFeatures: Int
    let apply: (Variable) -> Variable

    public init(_ module: Module, kind: String, inFeatures: Int, apply: @escaping (Variable) -> Variable) {
        self.module = module; self.kind = kind; self.inFeatures = inFeatures; self.apply = apply
    }

    public var typeName: String { "module" }
    public var summary: String { "<module \(kind), \(module.parameterCount) parameters>" }

    /// Runs the module on `x`, checking the input's last axis first.
    public func forward(_ x: Variable) throws -> Variable {
        guard x.shape.last == inFeatures else {
            throw DprmError.runtime("\(kind).forward(): input shape \(Tensor.describe(x.shape)) does not end in \(inFeatures)")
        }
        return apply(x)
    }

    var methodTable: [(name: String, signature: String, summary: String, run: (inout Arguments) throws -> Value)] {
        [
            ("forward", "m.forward(x)", "The module applied to x (last axis of size in_features).", { [self] a in
                try a.check(positional: 1...1)
                return .variable(try forward(try a.variable(0, "x")))
            }),
            ("parameters", "m.parameters()", "The parameters, as a list of tensors (for an optimizer).", { [module] a in
                try a.check(positional: 0...0)
                return .list(module.parameters().map { .variable($0) })
            }),
            ("named_parameters", "m.named_parameters()", "The parameters by dotted name, as a dict.", { [module] a in
                try a.check(positional: 0...0)
                return .dict(DictRef(module.namedParameters().map { ($0.0, .variable($0.1)) }))
            }),
            ("state_dict", "m.state_dict()", "Copies of the parameter values by name (for save_tensors).", { [module] a in
                try a.check(positional: 0...0)
                return .dict(DictRef(module.stateDict().sorted { $0.key < $1.key }.map { ($0.key, .tensor($0.value.copy())) }))
            }),
            ("load_state_dict", "m.load_state_dict(tensors)", "Copies values by name into the parameters (every name must match, shapes too).", { [module] a in
                try a.check(positional: 1...1)
                var dict: [String: Tensor] = [:]
                for (k, v) in try a.dict(0, "tensors").pairs {
                    dict[k] = try TensorValue.tensor(from: v, what: "load_state_dict() entry '\(k)'")
                }
                let own = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.0, $0.1.shape) })
                for (k, t) in dict where own[k] != nil && own[k]! != t.shape {
                    throw DprmError.runtime("load_state_dict(): '\(k)' has shape \(Tensor.describe(t.shape)), the module needs \(Tensor.describe(own[k]!))")
                }
                do { _ = try module.load(stateDict: dict, strict: true) } catch { throw DprmError.runtime("load_state_dict(): \(error)") }
                return .nil
            }),
            ("zero_grad", "m.zero_grad()", "Clears the gradients of every parameter.", { [module] a in
                try a.check(positional: 0...0)
                module.zeroGrad()
                return .nil
            }),
        ]
    }

    var fieldTable: [(name: String, summary: String, get: () -> Value)] {
        [
            ("parameter_count", "The number of scalar parameters.", { [module] in .int(module.parameterCount) }),
            ("in_features", "Size of the last axis of the input.", { [inFeatures] in .int(inFeatures) }),
            ("kind", "\"linear\" or \"mlp\".", { [kind] in .string(kind) }),
        ]
    }

    public func member(_ name: String) throws -> Value? {
        if let v = lookup(name) { return v }
        if let p = module.namedParameters().first(where: { $0.0 == name }) { return .variable(p.1) }
        return nil
    }
    public var memberNames: [String] { documentedNames + module.namedParameters().map(\.0).filter { !$0.contains(".") } }
}
