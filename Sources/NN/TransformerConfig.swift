/// Where a transformer block normalises.
public enum NormPlacement: String, Codable, Sendable {
    /// BERT: x = LN(x + Attn(x)); x = LN(x + FFN(x)).
    case post
    /// GPT-2 style: x = x + Attn(LN(x)); x = x + FFN(LN(x)), with a final LN after the stack.
    case pre
}

/// How a transformer learns where tokens are (Hugging Face's `position_embedding_type`).
public enum PositionEmbeddingType: String, Codable, Sendable, CaseIterable {
    /// Learned absolute position embeddings added to the input (BERT); the model owns them.
    case absolute
    /// Rotary embedding of queries and keys in every attention layer (RoPE; LLaMA, Qwen).
    case rotary
}

/// Sizes of a transformer encoder. Field names follow Hugging Face's BERT `config.json`
/// (snake case when encoded), so a config written here reads like theirs.
public struct TransformerConfig: Codable, Equatable, Sendable {
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    /// `gelu` (erf form, BERT), `gelu_new`, `relu`, ... (see `Activation(name:)`).
    public var hiddenAct: String
    public var hiddenDropoutProb: Float
    public var attentionProbsDropoutProb: Float
    public var layerNormEps: Float
    /// N(0, initializer_range) initialisation as HF BERT.
    public var initializerRange: Float
    public var normPlacement: NormPlacement
    /// Causal (decoder-style) self-attention.
    public var isDecoder: Bool
    /// `.rotary` makes every attention layer rotate queries and keys; `.absolute` leaves
    /// positions to the embeddings in front of the encoder.
    public var positionEmbeddingType: PositionEmbeddingType
    /// RoPE base frequency (`rope_theta`).
    public var ropeTheta: Float

    public init(hiddenSize: Int = 384, numHiddenLayers: Int = 6, numAttentionHeads: Int = 12,
                intermediateSize: Int = 1536, hiddenAct: String = "gelu", hiddenDropoutProb: Float = 0.1,
                attentionProbsDropoutProb: Float = 0.1, layerNormEps: Float = 1e-12,
                initializerRange: Float = 0.02, normPlacement: NormPlacement = .post, isDecoder: Bool = false,
                positionEmbeddingType: PositionEmbeddingType = .absolute, ropeTheta: Float = 10_000) {
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.layerNormEps = layerNormEps
        self.initializerRange = initializerRange
        self.normPlacement = normPlacement
        self.isDecoder = isDecoder
        self.positionEmbeddingType = positionEmbeddingType
        self.ropeTheta = ropeTheta
    }

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob", layerNormEps = "layer_norm_eps"
        case initializerRange = "initializer_range", normPlacement = "norm_placement", isDecoder = "is_decoder"
        case positionEmbeddingType = "position_embedding_type", ropeTheta = "rope_theta"
    }

    /// Reads a config, taking defaults for missing fields (HF configs carry many we ignore).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TransformerConfig()
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct
        hiddenDropoutProb = try c.decodeIfPresent(Float.self, forKey: .hiddenDropoutProb) ?? d.hiddenDropoutProb
        attentionProbsDropoutProb = try c.decodeIfPresent(Float.self, forKey: .attentionProbsDropoutProb) ?? d.attentionProbsDropoutProb
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? d.initializerRange
        normPlacement = try c.decodeIfPresent(NormPlacement.self, forKey: .normPlacement) ?? d.normPlacement
        isDecoder = try c.decodeIfPresent(Bool.self, forKey: .isDecoder) ?? d.isDecoder
        positionEmbeddingType = try c.decodeIfPresent(PositionEmbeddingType.self, forKey: .positionEmbeddingType) ?? d.positionEmbeddingType
        ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? d.ropeTheta
    }
}
