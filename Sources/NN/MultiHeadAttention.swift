import Tensors
import Autodiff
import Support

/// Multi-head scaled dot-product self-attention, laid out as Hugging Face's `BertSelfAttention`:
/// `query`, `key`, `value` projections; the result is the merged heads before the output
/// projection (which lives in `AttentionOutput`).
///
/// Shapes: x [B, T, C] -> q, k, v [B, T, C] viewed as [B, T, H, D] and permuted to [B, H, T, D]
/// (strided views, no copies); scores = q k^T through batched `cblas_sgemm` on those views (k^T
/// is a transpose flag); softmax with the additive mask added in its row pass; dropout; probs v; heads merged back to [B, T, C]
/// (the one copy, as in torch). The 1/sqrt(D) scale is applied to q, which is cheaper than
/// scaling the [B, H, T, T] scores. With `rotary`, queries and keys are rotated by position
/// (RoPE) before the scores.
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
    }

    /// Attention of `x` [B, T, C] over itself with `mask`. Returns [B, T, C].
    public func callAsFunction(_ x: Variable, mask: AttentionMask = .none) -> Variable {
        precondition(x.shape.count == 3 && x.shape[2] == hiddenSize,
                     "attention expects [batch, tokens, \(hiddenSize)], got \(Tensor.describe(x.shape))")
        let (b, t) = (x.shape[0], x.shape[1])
        let scale = 1 / Float(headDimension).squareRoot()
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
