import Foundation

/// The sizes of a model config checked against the weights they must match *before* the model
/// is built.
///
/// A loader builds the model from its config and only then compares parameter shapes with the
/// file, so a config saying `hidden_size: 1e9` or `num_hidden_layers: 1e9` used to allocate
/// (and abort the process, or grow memory without end) before any shape was compared. Every
/// parameter of a model is stored in its weights, so the parameters a config implies can never
/// exceed the values the weights hold: each loader lists a few products of config fields that
/// are certainly parameters (a lower bound of the model's size, computed with checked
/// arithmetic because release builds do not trap on overflow), and `check` refuses the config
/// when their sum is far larger than the weights, naming the file and the fields. Configs that
/// pass allocate a bounded multiple of what the weights hold; exact shape mismatches are then
/// named by the loader's own comparison.
public enum ConfigBounds {
    /// One term of the lower bound: a description naming the config fields and their product.
    public struct Term: Sendable {
        public let fields: String
        public let factors: [Int]
        public init(_ fields: String, _ factors: [Int]) { self.fields = fields; self.factors = factors }

        /// The product, or nil when it overflows (or a factor is negative).
        public var product: Int? {
            var n = 1
            for f in factors {
                guard f >= 0 else { return nil }
                let (p, overflow) = n.multipliedReportingOverflow(by: f)
                if overflow { return nil }
                n = p
            }
            return n
        }
    }

    /// Values held by `weights` (a checked sum of its tensors' element counts; saturates).
    public static func elements(of weights: ModelWeights) -> Int {
        elements(of: weights.tensorNames.compactMap { weights.shape(of: $0) })
    }

    /// Values held by tensors of these shapes (a checked sum; saturates at `Int.max`).
    public static func elements(of shapes: [[Int]]) -> Int {
        var total = 0
        for shape in shapes {
            guard let n = Term("", shape).product else { return .max }
            let (sum, overflow) = total.addingReportingOverflow(n)
            if overflow { return .max }
            total = sum
        }
        return total
    }

    /// Throws unless the parameters `terms` describe fit in `held` values.
    /// `configPath` names the config in the message, `weightsPath` the weights.
    public static func check(_ terms: [Term], configPath: String, weightsPath: String, held: Int) throws {
        var total = 0
        var overflowed = false
        for t in terms {
            guard let p = t.product else { overflowed = true; break }
            let (sum, overflow) = total.addingReportingOverflow(p)
            if overflow { overflowed = true; break }
            total = sum
        }
        // A margin (four times the weights, plus 16 Mi values, 64 MiB of Float32) lets near
        // misses through to the loader's exact shape comparison, which names every mismatched
        // tensor; what it allows is still a bounded allocation.
        let (times4, o1) = held.multipliedReportingOverflow(by: 4)
        let (limit, o2) = times4.addingReportingOverflow(1 << 24)
        guard overflowed || (!o1 && !o2 && total > limit) else { return }
        let largest = terms.max { ($0.product ?? .max) < ($1.product ?? .max) }!
        let size = largest.product.map { "\($0)" } ?? "more than 2^63"
        let factors = largest.factors.map(String.init).joined(separator: " x ")
        throw CheckpointError(path: configPath, problem: "the sizes do not fit the weights: \(largest.fields) = \(factors) = \(size) parameters"
                              + (overflowed ? "" : " (\(total) in all, at least)")
                              + ", but \((weightsPath as NSString).lastPathComponent) holds \(held) values")
    }
}
