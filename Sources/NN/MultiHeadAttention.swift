import Tensors
import Autodiff
import Support

/// Multi-head scaled dot-product self-attention, laid out as Hugging Face's `BertSelfAttention`:
/// `query`, `key`, `value` projections; the result is the merged heads before the output
/// projection (which lives in `AttentionOutput`).
///
/// The three projections' parameters are colocated in one stacked buffer (`FusedProjection`), and
/// the usual path is two primitives: one sgemm for the packed [B, T, 3C] projections
/// (`Variable.linear(stackedWeights:biases:)`), then the fused attention (`Variable.attention`:
/// per sequence and head, scores through `cblas_sgemm` with the 1/sqrt(D) scale as its alpha,
/// softmax with the additive mask and dropout while the block is in cache, probs v written
/// straight into the merged [B, T, C]; the backward writes dq, dk, dv into the packed layout).
///
/// With `rotary`, or a LoRA adapter on a projection, or biases on some projections only, the
/// composite path runs instead: x [B, T, C] -> q, k, v [B, T, C] viewed as [B, T, H, D] and
/// permuted to [B, H, T, D] (strided views, no copies); scores = q k^T through batched
/// `cblas_sgemm` on those views (k^T is a transpose flag); softmax with the additive mask added in
/// its row pass; dropout; probs v; heads merged back to [B, T, C] (a copy). The 1/sqrt(D) scale is
/// applied to q there. With `rotary`, queries and keys are rotated by position (RoPE) before the
/// scores. Both paths draw the same dropout masks.
public final class MultiHeadAttention: Module {
    public let hiddenSize: Int
    public let heads: Int
    public let headDimension: Int
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let dropout: Dropout
    /// Rotary position embedding of queries and keys (nil: positions come from elsewhere).
    public let rotary: RotaryEmbedding?
    /// Use the packed projection and the fused attention primitive where they apply (default
    /// true); false runs the composite path, for comparisons.
    public var useFusedAttention = true

    public init(hiddenSize: Int, heads: Int, attentionDropout: Float = 0, rotaryTheta: Float? = nil,
                initialization: Initialization = .torchDefault, rng: inout RandomGenerator) {
        precondition(heads > 0 && hiddenSize % heads == 0, "attention: hidden size \(hiddenSize) is not a multiple of \(heads) heads")
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.headDimension = hiddenSize / heads
        rotary = rotaryTheta.map { RotaryEmbedding(headDimension: hiddenSize / heads, theta: $0) }
        query = Linear(hiddenSize, hiddenSize, initialization: initialization, rng: &rng)
        key = Linear(hiddenSize, hiddenSize, initialization: initialization, rng: &rng)
        value = Linear(hiddenSize, hiddenSize, initialization: initialization, rng: &rng)
        dropout = Dropout(attentionDropout, seed: rng.next())
        super.init()
        child("query", query)
        child("key", key)
        child("value", value)
        child("dropout", dropout)
        FusedProjection.colocate([query, key, value])
    }

    /// Attention of `x` [B, T, C] over itself with `mask`. Returns [B, T, C].
    public func callAsFunction(_ x: Variable, mask: AttentionMask = .none) -> Variable {
        precondition(x.shape.count == 3 && x.shape[2] == hiddenSize,
                     "attention expects [batch, tokens, \(hiddenSize)], got \(Tensor.describe(x.shape))")
        let (b, t) = (x.shape[0], x.shape[1])
        let scale = 1 / Float(headDimension).squareRoot()
        let projections = [query, key, value]
        let biases = projections.compactMap(\.bias)
        if useFusedAttention && rotary == nil && projections.allSatisfy({ $0.adapter == nil }) && (biases.isEmpty || biases.count == 3) {
            let packed = x.reshaped([b * t, hiddenSize])
                .linear(stackedWeights: projections.map(\.weight), biases: biases.isEmpty ? nil : biases)
            return packed.reshaped([b, t, 3 * hiddenSize])
                .attention(heads: heads, scale: scale, mask: mask.additive(batch: b, queries: t, keys: t),
                           dropout: dropout.mask([b, heads, t, t]))
        }
        func split(_ y: Variable) -> Variable {
            y.reshaped([b, t, heads, headDimension]).permuted([0, 2, 1, 3])
        }
        var q = split(query(x) * scale)
        var k = split(key(x))
        if let rotary {
            q = rotary(q)
            k = rotary(k)
        }
        let v = split(value(x))
        let scores = q.matmul(k.transposed())                          // [B, H, T, T]
        // The (constant) mask is added inside the softmax's row pass, read through its
        // broadcast strides: no [B, H, T, T] copy of it and no separate add.
        let probs = dropout(mask.additive(batch: b, queries: t, keys: t).map { scores.softmax(addingMask: $0) } ?? scores.softmax())
        let context = probs.matmul(v)                                   // [B, H, T, D]
        return context.permuted([0, 2, 1, 3]).reshaped([b, t, hiddenSize])
    }
}
