import Tensors
import Autodiff
import Datasets

/// One learnable raw weight per training instance, keyed by instance id, passed through an
/// activation (DreamPRM-1.5's Instance Table). Its darts probes need only the PRM's forward losses.
public final class InstanceTable: InstanceWeighting {
    public let kind = "instance_table"
    /// Raw weights, one per instance, in the order of `ids`.
    public let raw: Variable
    public let activation: WeightActivation
    /// Instance ids in table order.
    public let ids: [String]
    private let indexOf: [String: Int]

    /// A table over `instances` with every raw weight `initialization`. Duplicate ids are an error.
    public convenience init(instances: [PRMInstance], activation: WeightActivation = .clip, initialization: Float = 1.0) throws {
        try self.init(ids: instances.map(\.id), activation: activation, initialization: initialization)
    }

    /// A table over any instances named by `ids` (one row each, in order).
    public init(ids: [String], activation: WeightActivation = .clip, initialization: Float = 1.0) throws {
        var index: [String: Int] = [:]
        for (i, id) in ids.enumerated() {
            if let first = index[id] {
                throw BilevelError.invalidConfiguration("instance id '\(id)' appears twice (records \(first) and \(i)); the Instance Table keys weights by id")
            }
            index[id] = i
        }
        self.ids = ids
        self.indexOf = index
        self.activation = activation
        self.raw = Variable(Tensor.full([ids.count], initialization), requiresGrad: true, name: "instance_table.raw")
    }

    /// Weights of the table rows `rows` (differentiable in the raw weights).
    public func weights(rows: [Int]) -> Variable { activation(raw.indexSelect(axis: 0, indices: rows)) }

    public var parameters: [Variable] { [raw] }
    public var namedParameters: [(String, Variable)] { [("instance_table.raw", raw)] }
    public var readsLogits: Bool { false }

    public func weights(for instances: [PRMInstance], labelLogits: [Variable], plusID: Int, minusID: Int) -> Variable {
        let rows = instances.map { inst -> Int in
            guard let i = indexOf[inst.id] else { preconditionFailure("instance '\(inst.id)' is not in the Instance Table") }
            return i
        }
        return weights(rows: rows)
    }

    /// Current weight (after the activation) of every instance, in table order.
    public func currentWeights() -> [Float] { noGrad { activation(raw) }.value.toArray() }
}
