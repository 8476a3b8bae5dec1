import Tensors

extension Variable {
    /// Multi-head scaled dot-product self-attention of the packed projections `self`
    /// [B, T, 3C] (query, key and value as column blocks, e.g. from `linear(stackedWeights:)`),
    /// as one primitive: probs = softmax(scale q k^T + mask) per head, context = dropout(probs) v,
    /// heads merged into [B, T, C]. `mask` is additive and broadcasts to [B, heads, T, T];
    /// `dropout` is a [B, heads, T, T] multiplier (0 or 1/(1-p)) or nil. Both are constants.
    /// The backward (`Tensor.attentionBackward`) keeps the probabilities and writes the gradient of
    /// the packed input in its own layout. Without recording, no probabilities are kept.
    public func attention(heads: Int, scale: Float, mask: Tensor?, dropout: Tensor?) -> Variable {
        let qkv = value
        let recording = GradMode.isEnabled && requiresGrad
        let (context, probabilities) = Tensor.attention(packed: qkv, heads: heads, scale: scale, mask: mask, dropout: dropout,
                                                        keepProbabilities: recording)
        guard recording, let probabilities else { return Variable(context) }
        return Variable.result(context, [self]) { g in
            [Tensor.attentionBackward(packed: qkv, heads: heads, scale: scale, probabilities: probabilities, dropout: dropout,
                                      outputGradient: g)]
        }
    }
}
