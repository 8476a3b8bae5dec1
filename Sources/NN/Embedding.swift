import Tensors
import Autodiff
import Support

/// A lookup table `weight` [count, dim]: token ids to rows.
///
/// With `paddingIndex`, that row starts at zero and never receives a gradient (as torch's
/// `padding_idx`): the looked-up rows for padding ids go through a detached copy.
public final class Embedding: Module {
    public let count: Int
    public let dimension: Int
    public let paddingIndex: Int?
    public let weight: Variable

    /// Torch's default init is N(0, 1); Hugging Face BERT uses N(0, 0.02) (`.bert`).
    public init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil,
                initialization: Initialization = .torchDefault, rng: inout RandomGenerator) {
        self.count = count
        self.dimension = dimension
        self.paddingIndex = paddingIndex
        let std: Float
        switch initialization {
        case .torchDefault: std = 1
        case .normal(let s): std = s
        case .zeros: std = 0
        }
        let table = std == 0 ? Tensor.zeros([count, dimension]) : Tensor.randn([count, dimension], std: std, rng: &rng)
        if let p = paddingIndex {
            precondition(p >= 0 && p < count, "Embedding: padding index \(p) out of range 0..<\(count)")
            table.withMutablePointer { ($0 + p * dimension).update(repeating: 0, count: dimension) }
        }
        weight = Module.makeParameter(table)
        super.init()
        parameter("weight", weight)
    }

    /// Rows for `ids`, shaped `shape + [dimension]` (`shape` defaults to `[ids.count]`).
    public func callAsFunction(_ ids: [Int], shape: [Int]? = nil) -> Variable {
        let outShape = (shape ?? [ids.count]) + [dimension]
        precondition(Tensor.count(of: shape ?? [ids.count]) == ids.count,
                     "Embedding: \(ids.count) ids do not fill shape \(Tensor.describe(shape ?? []))")
        for id in ids where id < 0 || id >= count {
            preconditionFailure("Embedding: id \(id) out of range 0..<\(count)")
        }
        var rows = weight.indexSelect(axis: 0, indices: ids)
        if let p = paddingIndex, ids.contains(p) {
            let keep = Tensor(shape: [ids.count, 1], scalars: ids.map { $0 == p ? 0 : 1 })
            rows = Variable.select(keep, rows, rows.detached())
        }
        return rows.reshaped(outShape)
    }
}
