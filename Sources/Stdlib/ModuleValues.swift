import Lang
import Tensors
import Autodiff
import NN

/// An NN module (`linear`, `mlp`) as a .dprm object: `m.forward(x)`, `m.parameters()`, and its
/// parameters by name as fields (`m.weight`, `m.bias` for a linear layer).
public final class ModuleValue: TabledObject {
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

    public static let members = MemberTable<ModuleValue>([
        .method("forward", parameters: [.positional("x", "tensor", "the input (last axis of size in_features)")], "The module applied to x (last axis of size in_features).") { m, a in
            return .variable(try m.forward(try a.variable(0, "x")))
        },
        .method("parameters", parameters: [], "The parameters, as a list of tensors (for an optimizer).") { m, a in
            return .list(m.module.parameters().map { .variable($0) })
        },
        .method("named_parameters", parameters: [], "The parameters by dotted name, as a dict.") { m, a in
            return .dict(DictRef(m.module.namedParameters().map { ($0.0, .variable($0.1)) }))
        },
        .method("state_dict", parameters: [], "Copies of the parameter values by name (for save_tensors).") { m, a in
            return .dict(DictRef(m.module.stateDict().sorted { $0.key < $1.key }.map { ($0.key, .tensor($0.value.copy())) }))
        },
        .method("load_state_dict", parameters: [.positional("tensors", "dict of tensors", "a dict of tensors by parameter name")], "Copies values by name into the parameters (every name must match, shapes too).") { m, a in
            let module = m.module
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
        },
        .method("zero_grad", parameters: [], "Clears the gradients of every parameter.") { m, a in
            m.module.zeroGrad()
            return .nil
        },
        .field("parameter_count", "The number of scalar parameters.") { .int($0.module.parameterCount) },
        .field("in_features", "Size of the last axis of the input.") { .int($0.inFeatures) },
        .field("kind", "\"linear\" or \"mlp\".") { .string($0.kind) },
    ])

    /// The table's members, then the module's own parameters by name (`m.weight`, `m.bias`).
    public func member(_ name: String) throws -> Value? {
        if let v = try Self.members.value(name, on: self) { return v }
        if let p = module.namedParameters().first(where: { $0.0 == name }) { return .variable(p.1) }
        return nil
    }
    /// Top-level parameters (a linear layer's `weight` and `bias`); an mlp's are dotted, reached
    /// through named_parameters().
    var parameterFields: [(String, Variable)] { module.namedParameters().filter { !$0.0.contains(".") } }
    public var memberNames: [String] { Self.members.names + parameterFields.map(\.0) }
    public var memberDocs: [MemberDoc] {
        Self.members.docs + parameterFields.map {
            MemberDoc(name: $0.0, signature: $0.0, summary: "The parameter \($0.0), a tensor \(Tensor.describe($0.1.shape)).", kind: .field)
        }
    }
}
