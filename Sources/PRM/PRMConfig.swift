import Foundation
import Datasets
import NN

/// Sizes of the generative PRM (`ProcessRewardModel`): a decoder-only, pre-norm, causal
/// transformer with learned token embeddings, learned absolute or rotary positions, and an LM
/// head over the vocabulary.
///
/// Encoded as `config.json` in a checkpoint (snake-case keys). The vocabulary size is not part of
/// the config: it comes from the tokenizer the model is built with (and is checked on load).
public struct PRMConfig: Codable, Equatable, Sendable {
    /// Width of the residual stream.
    public var hiddenSize: Int
    public var numLayers: Int
    public var numHeads: Int
    /// Width of the feed-forward layer.
    public var intermediateSize: Int
    /// Longest templated conversation (positions; with `.absolute`, the learned ones); longer ones are truncated
    /// by the chat template (later steps dropped, see `ChatTemplate`).
    public var maxLength: Int
    /// Feed-forward activation (`Activation(name:)`).
    public var activation: String
    public var layerNormEps: Float
    /// Weights are drawn N(0, initializer_range), biases zero.
    public var initializerRange: Float
    /// Dropout on attention probabilities and residual branches (0: deterministic training).
    public var dropout: Float
    /// `.absolute`: learned position embeddings (`embed_positions`); `.rotary`: RoPE in every
    /// attention layer, no position parameters (checkpoints without the key are `.absolute`).
    public var positionEmbeddingType: PositionEmbeddingType
    /// RoPE base frequency (`rope_theta`; used with `.rotary`). Checkpoints without the key use 10000.
    public var ropeTheta: Float = 10_000
    /// Adds a learned projection of each number token's value (saturating at 100) to its embedding (`embed_numbers`,
    /// as xVal's value-scaled number embedding), so the model starts out knowing that "12" is
    /// one more than "11". Checkpoints without the key have none.
    public var numberFeatures = false
    /// What the assistant turns of a training input hold (`label_inputs`): the step labels
    /// (`.labels`, teacher forcing as the reference; the default) or `+` placeholders as in
    /// scoring (`.placeholder`; see `ChatTemplate` and the measurement in docs/prm.md).
    public var labelInputs: ChatTemplate.LabelInputs = .labels
    /// The cold-start settings this model is meant to be trained with (`recommended_cold_start`):
    /// the presets carry theirs, because a model trained from scratch needs a far larger rate and
    /// batch than the reference's defaults for a pretrained one (5e-5, batch 1). `coldstart` uses
    /// them for every setting its call does not give. nil: the reference's defaults.
    public var recommendedColdStart: RecommendedColdStart?

    public init(hiddenSize: Int, numLayers: Int, numHeads: Int, intermediateSize: Int? = nil,
                maxLength: Int = 256, activation: String = "gelu", layerNormEps: Float = 1e-5,
                initializerRange: Float = 0.02, dropout: Float = 0,
                positionEmbeddingType: PositionEmbeddingType = .absolute) {
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.intermediateSize = intermediateSize ?? 4 * hiddenSize
        self.maxLength = maxLength
        self.activation = activation
        self.layerNormEps = layerNormEps
        self.initializerRange = initializerRange
        self.dropout = dropout
        self.positionEmbeddingType = positionEmbeddingType
    }

    /// Names of the presets `preset(_:)` knows.
    public static let presetNames = ["tiny", "small"]

    /// The cold start measured on the `small` preset (docs/prm.md): AdamW at 2e-3 with batches of
    /// 64 and the language-model loss at weight 3, which gives the from-scratch PRM the arithmetic
    /// a pretrained model would bring (the test step AUROC on 8000 clean instances of the
    /// built-in benchmark went from 0.74-0.80 to 0.91). `tiny` uses the same (not tuned apart).
    public static let fromScratchColdStart = RecommendedColdStart(lr: 2e-3, batchSize: 64, languageModelWeight: 3)

    /// A named preset, both with rotary positions (RoPE, as the Qwen-family models of the
    /// reference; on the one-step checking probe of docs/prm.md it did as well as or better than
    /// learned absolute positions) and number features (a model trained from scratch has no
    /// pretraining to tell it that "12" follows "11"; trained on 8000 clean instances of the
    /// built-in benchmark they lift the test step AUROC from 0.74 to 0.85, docs/prm.md):
    /// - `tiny`: d=32, 2 layers, 2 heads, FFN 64, 256 positions. For tests (a forward and
    ///   backward on a few instances takes milliseconds in debug).
    /// - `small`: d=64, 2 layers, 4 heads, FFN 128, 256 positions. The default of the built-in
    ///   benchmark (its 2000-step cold start of batch 64 with the language-model loss takes about three minutes on 2 cores).
    public static func preset(_ name: String) throws -> PRMConfig {
        switch name {
        case "tiny":
            var c = PRMConfig(hiddenSize: 32, numLayers: 2, numHeads: 2, intermediateSize: 64, maxLength: 256, positionEmbeddingType: .rotary)
            c.numberFeatures = true
            c.recommendedColdStart = fromScratchColdStart
            return c
        case "small":
            var c = PRMConfig(hiddenSize: 64, numLayers: 2, numHeads: 4, intermediateSize: 128, maxLength: 256, positionEmbeddingType: .rotary)
            c.numberFeatures = true
            c.recommendedColdStart = fromScratchColdStart
            return c
        default: throw PRMError.unknownPreset(name, valid: presetNames)
        }
    }

    /// The NN transformer config of the blocks: pre-norm, causal, no dropout unless asked.
    public var transformer: TransformerConfig {
        TransformerConfig(hiddenSize: hiddenSize, numHiddenLayers: numLayers, numAttentionHeads: numHeads,
                          intermediateSize: intermediateSize, hiddenAct: activation,
                          hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout,
                          layerNormEps: layerNormEps, initializerRange: initializerRange,
                          normPlacement: .pre, isDecoder: true, positionEmbeddingType: positionEmbeddingType,
                          ropeTheta: ropeTheta)
    }

    /// Checks sizes; errors name the field.
    public func validate() throws {
        if hiddenSize < 1 || numLayers < 0 || numHeads < 1 || intermediateSize < 1 || maxLength < 1 {
            throw PRMError.invalidConfig("sizes must be positive: hidden_size \(hiddenSize), num_layers \(numLayers), num_heads \(numHeads), intermediate_size \(intermediateSize), max_length \(maxLength)")
        }
        if hiddenSize % numHeads != 0 {
            throw PRMError.invalidConfig("hidden_size \(hiddenSize) is not a multiple of num_heads \(numHeads)")
        }
        if Activation(name: activation) == nil {
            throw PRMError.invalidConfig("unknown activation '\(activation)'")
        }
        // A zero or negative epsilon gives NaN outputs in layer norm; dropout 1 zeroes everything.
        if !(layerNormEps > 0 && layerNormEps.isFinite) { throw PRMError.invalidConfig("layer_norm_eps must be positive and finite, found \(layerNormEps)") }
        if !(dropout >= 0 && dropout < 1) { throw PRMError.invalidConfig("dropout must be >= 0 and below 1, found \(dropout)") }
        if !(initializerRange >= 0 && initializerRange.isFinite) { throw PRMError.invalidConfig("initializer_range must be >= 0 and finite, found \(initializerRange)") }
        if !(ropeTheta > 0 && ropeTheta.isFinite) { throw PRMError.invalidConfig("rope_theta must be positive and finite, found \(ropeTheta)") }
    }

    /// Products of sizes that are certainly parameters of the network (a lower bound of its size,
    /// checked against a checkpoint's weights before the model is built; see NN's `ConfigBounds`).
    public func parameterLowerBound(vocabularySize: Int) -> [ConfigBounds.Term] {
        var terms = [ConfigBounds.Term("vocabulary_size x hidden_size", [vocabularySize, hiddenSize]),
                     ConfigBounds.Term("num_layers x 4 x hidden_size x hidden_size", [numLayers, 4, hiddenSize, hiddenSize]),
                     ConfigBounds.Term("num_layers x 2 x hidden_size x intermediate_size", [numLayers, 2, hiddenSize, intermediateSize])]
        if positionEmbeddingType == .absolute { terms.append(ConfigBounds.Term("max_length x hidden_size", [maxLength, hiddenSize])) }
        return terms
    }

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", numLayers = "num_layers", numHeads = "num_heads"
        case intermediateSize = "intermediate_size", maxLength = "max_length", activation
        case layerNormEps = "layer_norm_eps", initializerRange = "initializer_range", dropout
        case positionEmbeddingType = "position_embedding_type", ropeTheta = "rope_theta"
        case numberFeatures = "number_features", labelInputs = "label_inputs"
        case recommendedColdStart = "recommended_cold_start"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numLayers = try c.decode(Int.self, forKey: .numLayers)
        numHeads = try c.decode(Int.self, forKey: .numHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        maxLength = try c.decode(Int.self, forKey: .maxLength)
        activation = try c.decode(String.self, forKey: .activation)
        layerNormEps = try c.decode(Float.self, forKey: .layerNormEps)
        initializerRange = try c.decode(Float.self, forKey: .initializerRange)
        dropout = try c.decode(Float.self, forKey: .dropout)
        positionEmbeddingType = try c.decodeIfPresent(PositionEmbeddingType.self, forKey: .positionEmbeddingType) ?? .absolute
        ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? 10_000
        numberFeatures = try c.decodeIfPresent(Bool.self, forKey: .numberFeatures) ?? false
        labelInputs = try c.decodeIfPresent(ChatTemplate.LabelInputs.self, forKey: .labelInputs) ?? .labels
        recommendedColdStart = try c.decodeIfPresent(RecommendedColdStart.self, forKey: .recommendedColdStart)
    }
}

/// The cold-start settings a model carries (`PRMConfig.recommendedColdStart`).
public struct RecommendedColdStart: Codable, Equatable, Sendable {
    public var lr: Double
    public var batchSize: Int
    public var languageModelWeight: Float

    public init(lr: Double, batchSize: Int, languageModelWeight: Float) {
        self.lr = lr; self.batchSize = batchSize; self.languageModelWeight = languageModelWeight
    }

    enum CodingKeys: String, CodingKey {
        case lr, batchSize = "batch_size", languageModelWeight = "lm_loss_weight"
    }
}

/// Errors of the PRM, its checkpoints and its training that a user can cause.
public enum PRMError: Error, CustomStringConvertible, Equatable {
    case unknownPreset(String, valid: [String])
    case invalidConfig(String)
    /// A checkpoint directory that cannot be loaded: the path and what is wrong.
    case badCheckpoint(path: String, problem: String)
    /// A training option out of range: names the flag.
    case invalidOption(String)
    /// Training diverged: a loss or gradient became NaN or infinite (names the step).
    case nonFinite(String)

    public var description: String {
        switch self {
        case let .unknownPreset(name, valid):
            return "unknown PRM preset '\(name)'; valid presets: \(valid.joined(separator: ", "))"
        case .invalidConfig(let why): return "invalid PRM config: \(why)"
        case let .badCheckpoint(path, problem): return "cannot load PRM checkpoint \(path): \(problem)"
        case .invalidOption(let why): return why
        case .nonFinite(let why): return why
        }
    }
}
