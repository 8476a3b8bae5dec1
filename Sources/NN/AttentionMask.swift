import Tensors

/// Which keys each query may attend to: all (bidirectional), only earlier ones (`causal`), and
/// never padding keys (`padding`, shape [batch, keys], 1 for a real token and 0 for padding,
/// as Hugging Face's `attention_mask`).
///
/// Applied as an additive mask: allowed positions add 0, masked ones add `maskValue` (-1e9)
/// before the softmax. A finite value (rather than -inf or float min) keeps a fully masked row
/// finite (uniform) instead of NaN, and adding it twice cannot overflow.
public struct AttentionMask {
    public var causal: Bool
    public var padding: Tensor?

    /// The large negative number masked scores receive.
    public static let maskValue: Float = -1e9

    public init(causal: Bool = false, padding: Tensor? = nil) {
        self.causal = causal
        self.padding = padding
    }

    /// No masking.
    public static var none: AttentionMask { AttentionMask() }
    /// Causal masking, no padding.
    public static var causal: AttentionMask { AttentionMask(causal: true) }

    /// True when the mask changes nothing.
    public var isEmpty: Bool { !causal && padding == nil }

    /// The additive mask, shape [batch or 1, 1, queries, keys], or nil when nothing is masked.
    public func additive(batch: Int, queries: Int, keys: Int) -> Tensor? {
        if isEmpty { return nil }
        if let p = padding {
            precondition(p.shape == [batch, keys],
                         "attention padding mask has shape \(Tensor.describe(p.shape)), expected \(Tensor.describe([batch, keys]))")
        }
        let b = padding == nil ? 1 : batch
        let out = Tensor.zeros([b, 1, queries, keys])
        let pad = padding?.contiguous()
        out.withMutablePointer { o in
            for bi in 0..<b {
                for q in 0..<queries {
                    let row = o + (bi * queries + q) * keys
                    for k in 0..<keys {
                        // Causal with queries == keys: key k is visible to query q when k <= q;
                        // with a cache (keys > queries) the queries are the last ones.
                        let hidden = (causal && k > q + (keys - queries)) || (pad.map { $0.basePointer[bi * keys + k] == 0 } ?? false)
                        if hidden { row[k] = AttentionMask.maskValue }
                    }
                }
            }
        }
        return out
    }
}
