import Foundation
import Support

/// The sizes of a BERT-family encoder, read from a Hugging Face `config.json` (snake-case keys,
/// the same names when written back, so a saved dprm checkpoint reads like theirs).
///
/// Accepted architectures: `model_type` "bert" (MiniLM, BERT, most sentence encoders), or, when
/// `model_type` is absent, an `architectures` entry starting with "Bert". Anything else
/// (RoBERTa with its offset positions, DistilBERT with its other names, GPT-2, ...) is refused
/// with an error naming what the file says, rather than loading wrong numbers.
public struct BertConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    /// `gelu` (erf form) for BERT; any name `Activation(name:)` knows.
    public var hiddenAct: String
    public var hiddenDropoutProb: Float
    public var attentionProbsDropoutProb: Float
    public var initializerRange: Float
    public var padTokenID: Int
    public var modelType: String
    public var architectures: [String]

    public init(vocabSize: Int = 30522, hiddenSize: Int = 384, numHiddenLayers: Int = 6, numAttentionHeads: Int = 12,
                intermediateSize: Int = 1536, maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2,
                layerNormEps: Float = 1e-12, hiddenAct: String = "gelu", hiddenDropoutProb: Float = 0.1,
                attentionProbsDropoutProb: Float = 0.1, initializerRange: Float = 0.02, padTokenID: Int = 0,
                architectures: [String] = ["BertModel"]) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.initializerRange = initializerRange
        self.padTokenID = padTokenID
        self.modelType = "bert"
        self.architectures = architectures
    }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps", hiddenAct = "hidden_act", hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob", initializerRange = "initializer_range"
        case padTokenID = "pad_token_id", modelType = "model_type", architectures
    }

    /// Products of sizes that are certainly parameters of the encoder (a lower bound of its size,
    /// see `ConfigBounds`): the three embedding tables and, per layer, the four attention
    /// projections and the two feed-forward matrices.
    public var parameterLowerBound: [ConfigBounds.Term] {
        [ConfigBounds.Term("vocab_size x hidden_size", [vocabSize, hiddenSize]),
         ConfigBounds.Term("max_position_embeddings x hidden_size", [maxPositionEmbeddings, hiddenSize]),
         ConfigBounds.Term("type_vocab_size x hidden_size", [typeVocabSize, hiddenSize]),
         ConfigBounds.Term("num_hidden_layers x 4 x hidden_size x hidden_size", [numHiddenLayers, 4, hiddenSize, hiddenSize]),
         ConfigBounds.Term("num_hidden_layers x 2 x hidden_size x intermediate_size", [numHiddenLayers, 2, hiddenSize, intermediateSize])]
    }

    /// The encoder's block configuration (post-norm, bidirectional).
    public var transformer: TransformerConfig {
        TransformerConfig(hiddenSize: hiddenSize, numHiddenLayers: numHiddenLayers, numAttentionHeads: numAttentionHeads,
                          intermediateSize: intermediateSize, hiddenAct: hiddenAct, hiddenDropoutProb: hiddenDropoutProb,
                          attentionProbsDropoutProb: attentionProbsDropoutProb, layerNormEps: layerNormEps,
                          initializerRange: initializerRange, normPlacement: .post, isDecoder: false)
    }

    /// Reads and checks a `config.json`. Errors name the file and the key or architecture.
    public static func load(path: String) throws -> BertConfig {
        let o = try JSONFile.object(path, what: "model config", missing: "missing model config (config.json)")
        func bad(_ why: String) -> CheckpointError { CheckpointError(path: path, problem: why) }

        let modelType = o["model_type"]?.stringValue
        let architectures = o["architectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let t = modelType {
            guard t == "bert" else {
                throw bad("unknown architecture: model_type '\(t)'\(architectures.isEmpty ? "" : " (architectures \(architectures))") is not BERT-family; dprm reads model_type 'bert'")
            }
        } else {
            guard let a = architectures.first else {
                throw bad("unknown architecture: the config has neither 'model_type' nor 'architectures'")
            }
            guard a.hasPrefix("Bert") else {
                throw bad("unknown architecture: architectures \(architectures) is not BERT-family (expected Bert*)")
            }
        }
        if let p = o["position_embedding_type"]?.stringValue, p != "absolute" {
            throw bad("position_embedding_type '\(p)' is not supported (only 'absolute')")
        }
        func int(_ key: String) throws -> Int {
            guard let n = o[key]?.intValue, n > 0 else {
                throw bad(o[key] == nil ? "missing key '\(key)'" : "key '\(key)' must be a positive integer, found \(o[key]!)")
            }
            return n
        }
        var c = BertConfig(vocabSize: try int("vocab_size"), hiddenSize: try int("hidden_size"),
                           numHiddenLayers: try int("num_hidden_layers"), numAttentionHeads: try int("num_attention_heads"),
                           intermediateSize: try int("intermediate_size"),
                           architectures: architectures.isEmpty ? ["BertModel"] : architectures)
        // Optional fields: absent or null keeps the default; present with the wrong type or out of
        // range is an error (a mistyped field used to be ignored silently).
        func number(_ key: String, _ allowed: ClosedRange<Double>, _ rule: String) throws -> Float? {
            guard let v = o[key], v != .null else { return nil }
            guard let n = v.numberValue, allowed.contains(n) else {
                throw bad("key '\(key)' must be \(rule), found \(v)")
            }
            return Float(n)
        }
        if o["max_position_embeddings"] != nil { c.maxPositionEmbeddings = try int("max_position_embeddings") }
        if o["type_vocab_size"] != nil { c.typeVocabSize = try int("type_vocab_size") }
        // A zero or negative epsilon divides by zero (or takes the root of a negative) in layer norm.
        if let e = try number("layer_norm_eps", Double.leastNonzeroMagnitude...1, "a number in (0, 1]") { c.layerNormEps = e }
        if let a = o["hidden_act"] {
            guard let s = a.stringValue, Activation(name: s) != nil else { throw bad("hidden_act \(a) is not a known activation") }
            c.hiddenAct = s
        }
        if let p = try number("hidden_dropout_prob", 0...0.999_999, "a probability >= 0 and below 1") { c.hiddenDropoutProb = p }
        if let p = try number("attention_probs_dropout_prob", 0...0.999_999, "a probability >= 0 and below 1") { c.attentionProbsDropoutProb = p }
        if let r = try number("initializer_range", 0...1e6, "a number >= 0") { c.initializerRange = r }
        if let v = o["pad_token_id"], v != .null {
            // -1 used to pass `pad < vocab` and become the padding row of the embedding: heap corruption.
            guard let p = v.intValue, p >= 0, p < c.vocabSize else {
                throw bad("key 'pad_token_id' must be a token id in 0..<\(c.vocabSize) (vocab_size), found \(v)")
            }
            c.padTokenID = p
        }
        guard c.hiddenSize % c.numAttentionHeads == 0 else {
            throw bad("hidden_size \(c.hiddenSize) is not a multiple of num_attention_heads \(c.numAttentionHeads)")
        }
        return c
    }
}
