import Tensors
import Autodiff
import Datasets

/// DreamPRM (v1) domain reweighting: one raw weight per `domain`, softplus, then divided by the
/// mean over domains so the weights average 1.
public final class DomainTable: InstanceWeighting {
    public let kind = "domain_table"
    public let raw: Variable
    /// Domains in table order (sorted).
    public let domains: [String]
    private let indexOf: [String: Int]

    /// A table over the domains of `instances`; an instance without a domain is an error naming it.
    public init(instances: [PRMInstance], initialization: Float = 1.0) throws {
        var set = Set<String>()
        for (i, inst) in instances.enumerated() {
            guard let d = inst.domain else {
                throw BilevelError.invalidConfiguration("instance '\(inst.id)' (record \(i)) has no domain; the Domain Table needs a `dataset` field on every instance")
            }
            set.insert(d)
        }
        domains = set.sorted()
        indexOf = Dictionary(uniqueKeysWithValues: domains.enumerated().map { ($1, $0) })
        raw = Variable(Tensor.full([domains.count], initialization), requiresGrad: true, name: "domain_table.raw")
    }

    public var parameters: [Variable] { [raw] }
    public var namedParameters: [(String, Variable)] { [("domain_table.raw", raw)] }
    public var readsLogits: Bool { false }

    /// softplus(raw) / mean(softplus(raw)).
    func normalized() -> Variable {
        let soft = (raw.exp() + 1).log()
        return soft / soft.mean()
    }

    public func weights(for instances: [PRMInstance], labelLogits: [Variable], plusID: Int, minusID: Int) -> Variable {
        normalized().indexSelect(axis: 0, indices: instances.map { indexOf[$0.domain ?? ""] ?? 0 })
    }

    /// Current weight of each domain.
    public func currentWeights() -> [String: Float] {
        let w = noGrad { normalized() }.value.toArray()
        return Dictionary(uniqueKeysWithValues: zip(domains, w))
    }
}
