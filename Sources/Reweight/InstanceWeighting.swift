import Tensors
import Autodiff
import Datasets

/// The upper-level model of bi-level reweighting: it maps a lower batch to one weight per
/// instance. The weighted lower loss is mean_i(w_i * CE_i).
public protocol InstanceWeighting: AnyObject {
    /// Short name for tables and checkpoints (`instance_table`, `instance_net`, `domain_table`).
    var kind: String { get }
    /// The upper-level parameters lam.
    var parameters: [Variable] { get }
    /// Named parameters for checkpoints.
    var namedParameters: [(String, Variable)] { get }
    /// Weights [batch] for `instances`, given their label-position logits (each [k_i, vocab]) and
    /// the token ids of `+` and `-`. Table models ignore the logits; Instance Net reads them.
    func weights(for instances: [PRMInstance], labelLogits: [Variable], plusID: Int, minusID: Int) -> Variable
    /// Whether `weights` reads the logits (then the PRM forward must run before weighting).
    var readsLogits: Bool { get }
}

extension InstanceWeighting {
    /// A state dict of the weighting parameters.
    public func stateDict() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.0, $0.1.value.copy()) })
    }

    /// Loads parameters saved by `stateDict()`; errors name a missing or mis-shaped tensor.
    public func load(stateDict: [String: Tensor]) throws {
        for (name, p) in namedParameters {
            guard let t = stateDict[name] else { throw BilevelError.checkpoint("weighting checkpoint lacks '\(name)'") }
            guard t.shape == p.value.shape else {
                throw BilevelError.checkpoint("weighting tensor '\(name)' has shape \(Tensor.describe(t.shape)), expected \(Tensor.describe(p.value.shape))")
            }
            p.value = t.copy()
        }
    }
}
