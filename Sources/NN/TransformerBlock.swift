import Tensors
import Autodiff
import Support

/// A projection back to the residual stream: `dense`, dropout, residual add, and `LayerNorm`
/// (Hugging Face's `BertSelfOutput` / `BertOutput`). In a post-norm block the norm follows the
/// residual add; in a pre-norm block the same `LayerNorm` is applied to the block's input
/// instead (see `TransformerBlock`), so both variants share parameter names.
public final class ResidualOutput: Module {
    public let dense: Linear
    public let layerNorm: LayerNorm
    public let dropout: Dropout

    public init(_ inFeatures: Int, _ hiddenSize: Int, eps: Float, dropout p: Float,
                initialization: Initialization, rng: inout RandomGenerator) {
        dense = Linear(inFeatures, hiddenSize, initialization: initialization, rng: &rng)
        layerNorm = LayerNorm(hiddenSize, eps: eps)
        dropout = Dropout(p, seed: rng.next())
        super.init()
        child("dense", dense)
        child("LayerNorm", layerNorm)
        child("dropout", dropout)
    }

    /// Post-norm: LN(dropout(dense(h)) + residual).
    public func postNorm(_ h: Variable, residual: Variable) -> Variable {
        layerNorm(dropout(dense(h)) + residual)
    }

    /// Pre-norm: residual + dropout(dense(h)) (the norm was applied before the sub-layer).
    public func preNorm(_ h: Variable, residual: Variable) -> Variable {
        residual + dropout(dense(h))
    }
}

/// Self-attention plus its output projection (`BertAttention`: `self`, `output`).
public final class AttentionLayer: Module {
    public let attention: MultiHeadAttention
    public let output: ResidualOutput

    public init(config c: TransformerConfig, rng: inout RandomGenerator) {
        let initialization = Initialization.normal(std: c.initializerRange)
        attention = MultiHeadAttention(hiddenSize: c.hiddenSize, heads: c.numAttentionHeads,
                                       attentionDropout: c.attentionProbsDropoutProb,
                                       rotaryTheta: c.positionEmbeddingType == .rotary ? c.ropeTheta : nil,
                                       initialization: initialization, rng: &rng)
        output = ResidualOutput(c.hiddenSize, c.hiddenSize, eps: c.layerNormEps, dropout: c.hiddenDropoutProb,
                                initialization: initialization, rng: &rng)
        super.init()
        child("self", attention)
        child("output", output)
    }
}

/// The first FFN projection and its activation (`BertIntermediate`: `dense`).
public final class Intermediate: Module {
    public let dense: Linear
    public let activation: Activation

    public init(_ hiddenSize: Int, _ intermediateSize: Int, activation: Activation,
                initialization: Initialization, rng: inout RandomGenerator) {
        dense = Linear(hiddenSize, intermediateSize, initialization: initialization, rng: &rng)
        self.activation = activation
        super.init()
        child("dense", dense)
    }

    public func callAsFunction(_ x: Variable) -> Variable { activation(dense(x)) }
}

/// One transformer layer (`BertLayer`): `attention` (`self` + `output`), `intermediate`, `output`.
///
/// Post-norm (BERT):  a = LN1(x + Drop(Wo Attn(x)));   y = LN2(a + Drop(W2 act(W1 a)))
/// Pre-norm:          a = x + Drop(Wo Attn(LN1(x)));   y = a + Drop(W2 act(W1 LN2(a)))
/// where LN1 = `attention.output.LayerNorm` and LN2 = `output.LayerNorm` in both variants.
/// Weights are initialised N(0, initializer_range) with zero biases, as Hugging Face BERT.
public final class TransformerBlock: Module {
    public let config: TransformerConfig
    public let attention: AttentionLayer
    public let intermediate: Intermediate
    public let output: ResidualOutput

    public init(config c: TransformerConfig, rng: inout RandomGenerator) {
        guard let act = Activation(name: c.hiddenAct) else { preconditionFailure("unknown activation '\(c.hiddenAct)'") }
        let initialization = Initialization.normal(std: c.initializerRange)
        config = c
        attention = AttentionLayer(config: c, rng: &rng)
        intermediate = Intermediate(c.hiddenSize, c.intermediateSize, activation: act, initialization: initialization, rng: &rng)
        output = ResidualOutput(c.intermediateSize, c.hiddenSize, eps: c.layerNormEps, dropout: c.hiddenDropoutProb,
                                initialization: initialization, rng: &rng)
        super.init()
        child("attention", attention)
        child("intermediate", intermediate)
        child("output", output)
    }

    /// The block applied to `x` [B, T, C]. The mask defaults to causal for a decoder config.
    public func callAsFunction(_ x: Variable, mask: AttentionMask? = nil) -> Variable {
        let m = mask ?? (config.isDecoder ? .causal : .none)
        switch config.normPlacement {
        case .post:
            let a = attention.output.postNorm(attention.attention(x, mask: m), residual: x)
            return output.postNorm(intermediate(a), residual: a)
        case .pre:
            let a = attention.output.preNorm(attention.attention(attention.output.layerNorm(x), mask: m), residual: x)
            return output.preNorm(intermediate(output.layerNorm(a)), residual: a)
        }
    }
}

/// A stack of `TransformerBlock`s named `layer.0`, `layer.1`, ... (`BertEncoder`). A pre-norm
/// stack ends with `final_layer_norm` (post-norm blocks already end normalised).
/// Register it as `encoder` in a model to get BERT's parameter names.
public final class TransformerEncoder: Module {
    public let config: TransformerConfig
    public let layers: [TransformerBlock]
    public let finalLayerNorm: LayerNorm?

    public init(config c: TransformerConfig, rng: inout RandomGenerator) {
        config = c
        var ls: [TransformerBlock] = []
        for _ in 0..<c.numHiddenLayers { ls.append(TransformerBlock(config: c, rng: &rng)) }
        layers = ls
        finalLayerNorm = c.normPlacement == .pre ? LayerNorm(c.hiddenSize, eps: c.layerNormEps) : nil
        super.init()
        for (i, l) in layers.enumerated() { child("layer.\(i)", l) }
        if let f = finalLayerNorm { child("final_layer_norm", f) }
    }

    /// Hidden states [B, T, C] after every block (and the final norm for pre-norm).
    public func callAsFunction(_ x: Variable, mask: AttentionMask? = nil) -> Variable {
        var h = x
        for l in layers { h = l(h, mask: mask) }
        if let f = finalLayerNorm { h = f(h) }
        return h
    }
}
