import Foundation
import Support

/// The llama-family decoders dprm runs. Both share one implementation (`LlamaModel`); they
/// differ in which projections carry biases.
public enum LlamaArchitecture: String, Sendable, CaseIterable {
    /// `LlamaForCausalLM` (SmolLM2, TinyLlama, Llama 2/3 without rope scaling).
    case llama
    /// `Qwen2ForCausalLM` (Qwen2 / Qwen2.5, the language half of InternVL3): biases on q, k, v.
    case qwen2

    /// The Hugging Face class name (`architectures` in `config.json`).
    public var huggingFaceClass: String { self == .llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM" }

    /// What dprm accepts, for error messages.
    public static let supportedDescription = "model_type 'llama' (LlamaForCausalLM) or 'qwen2' (Qwen2ForCausalLM)"
}

/// The sizes of a llama-family decoder, as Hugging Face's `config.json` names them.
///
/// Read with `load(path:)` from a model folder, or built from GGUF metadata. Settings dprm does
/// not implement (rope scaling, sliding-window attention, an activation other than SiLU) are
/// refused with an error naming the key rather than silently giving different numbers.
public struct LlamaConfig: Equatable, Sendable {
    public var architecture: LlamaArchitecture
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    /// Key/value heads (grouped-query attention when fewer than `numAttentionHeads`; each key/value
    /// head serves `numAttentionHeads / numKeyValueHeads` query heads).
    public var numKeyValueHeads: Int
    /// Per-head width (`head_dim`; hidden_size / num_attention_heads unless the config says).
    public var headDimension: Int
    public var rmsNormEps: Float
    /// RoPE base frequency (`rope_theta`, or `rope_parameters.rope_theta` in transformers 5).
    public var ropeTheta: Float
    public var maxPositionEmbeddings: Int
    /// The LM head reuses the token embedding matrix (no `lm_head.weight`).
    public var tieWordEmbeddings: Bool
    /// Biases on the query, key and value projections (Qwen2; llama's `attention_bias`).
    public var attentionQKVBias: Bool
    /// A bias on the attention output projection (llama's `attention_bias`; never for Qwen2).
    public var attentionOutputBias: Bool
    /// Biases on the three feed-forward projections (llama's `mlp_bias`).
    public var mlpBias: Bool
    public var initializerRange: Float
    public var bosTokenID: Int?
    /// End-of-sequence ids (`eos_token_id` may be one id or a list); generation stops at any.
    public var eosTokenIDs: [Int]
    public var padTokenID: Int?

    public init(architecture: LlamaArchitecture = .llama, vocabSize: Int, hiddenSize: Int, intermediateSize: Int,
                numHiddenLayers: Int, numAttentionHeads: Int, numKeyValueHeads: Int? = nil, headDimension: Int? = nil,
                rmsNormEps: Float = 1e-6, ropeTheta: Float = 10_000, maxPositionEmbeddings: Int = 2048,
                tieWordEmbeddings: Bool = false, attentionQKVBias: Bool? = nil, attentionOutputBias: Bool = false,
                mlpBias: Bool = false, initializerRange: Float = 0.02, bosTokenID: Int? = nil, eosTokenIDs: [Int] = [],
                padTokenID: Int? = nil) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads ?? numAttentionHeads
        self.headDimension = headDimension ?? hiddenSize / numAttentionHeads
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionQKVBias = attentionQKVBias ?? (architecture == .qwen2)
        self.attentionOutputBias = attentionOutputBias
        self.mlpBias = mlpBias
        self.initializerRange = initializerRange
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.padTokenID = padTokenID
    }

    /// Products of sizes that are certainly parameters of the decoder (a lower bound of its size,
    /// see `ConfigBounds`): the token embedding and, per layer, the attention and SwiGLU matrices.
    public var parameterLowerBound: [ConfigBounds.Term] {
        [ConfigBounds.Term("vocab_size x hidden_size", [vocabSize, hiddenSize]),
         ConfigBounds.Term("num_hidden_layers x 2 x num_attention_heads x head_dim x hidden_size", [numHiddenLayers, 2, numAttentionHeads, headDimension, hiddenSize]),
         ConfigBounds.Term("num_hidden_layers x 2 x num_key_value_heads x head_dim x hidden_size", [numHiddenLayers, 2, numKeyValueHeads, headDimension, hiddenSize]),
         ConfigBounds.Term("num_hidden_layers x 3 x hidden_size x intermediate_size", [numHiddenLayers, 3, hiddenSize, intermediateSize])]
    }

    /// Query heads per key/value head.
    public var groupSize: Int { numAttentionHeads / numKeyValueHeads }

    /// Checks the sizes fit together; the message names the keys.
    public func validate(path: String) throws {
        func bad(_ why: String) -> CheckpointError { CheckpointError(path: path, problem: why) }
        for (key, v) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                         ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
                         ("num_key_value_heads", numKeyValueHeads), ("head_dim", headDimension),
                         ("max_position_embeddings", maxPositionEmbeddings)] where v <= 0 {
            throw bad("\(key) must be positive, found \(v)")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw bad("num_attention_heads \(numAttentionHeads) is not a multiple of num_key_value_heads \(numKeyValueHeads)")
        }
        guard headDimension % 2 == 0 else { throw bad("head_dim \(headDimension) must be even for rotary embeddings") }
        guard rmsNormEps > 0, rmsNormEps.isFinite, ropeTheta > 0, ropeTheta.isFinite else {
            throw bad("rms_norm_eps and rope_theta must be positive and finite, found \(rmsNormEps) and \(ropeTheta)")
        }
        for (key, id) in [("bos_token_id", bosTokenID), ("pad_token_id", padTokenID)] + eosTokenIDs.map({ ("eos_token_id", $0) }) {
            if let id, id < 0 || id >= vocabSize { throw bad("\(key) \(id) is not a token id in 0..<\(vocabSize) (vocab_size)") }
        }
    }

    /// Reads a Hugging Face `config.json`. Errors name the file and the key or architecture.
    public static func load(path: String) throws -> LlamaConfig {
        let o = try JSONFile.object(path, what: "model config", missing: "missing model config (config.json)")
        return try LlamaConfig(json: o, path: path)
    }

    /// The architecture a `config.json` object declares, or nil when it is not llama-family.
    public static func architecture(of o: JSONValue) -> LlamaArchitecture? {
        if let t = o["model_type"]?.stringValue { return LlamaArchitecture(rawValue: t) }
        let classes = o["architectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return LlamaArchitecture.allCases.first { classes.contains($0.huggingFaceClass) }
    }

    /// A config from a parsed `config.json` object (`path` names the file in errors).
    public init(json o: JSONValue, path: String) throws {
        func bad(_ why: String) -> CheckpointError { CheckpointError(path: path, problem: why) }
        guard let architecture = LlamaConfig.architecture(of: o) else {
            let said = o["model_type"]?.stringValue.map { "model_type '\($0)'" }
                ?? o["architectures"]?.arrayValue.map { "architectures \($0.compactMap(\.stringValue))" } ?? "neither model_type nor architectures"
            throw bad("unknown architecture: the config has \(said); supported: \(LlamaArchitecture.supportedDescription)")
        }
        func int(_ key: String) throws -> Int {
            guard let n = o[key]?.intValue else {
                throw bad(o[key] == nil ? "missing key '\(key)'" : "key '\(key)' must be an integer, found \(o[key]!)")
            }
            return n
        }
        func optionalInt(_ key: String) throws -> Int? { o[key] == nil || o[key] == .null ? nil : try int(key) }
        func float(_ key: String, in dict: JSONValue? = nil) throws -> Float? {
            let d = dict ?? o
            guard let v = d[key], v != .null else { return nil }
            guard let n = v.numberValue else { throw bad("key '\(key)' must be a number, found \(v)") }
            return Float(n)
        }
        func bool(_ key: String) throws -> Bool? {
            guard let v = o[key], v != .null else { return nil }
            guard let b = v.boolValue else { throw bad("key '\(key)' must be true or false, found \(v)") }
            return b
        }
        if let act = o["hidden_act"]?.stringValue, act != "silu" {
            throw bad("hidden_act '\(act)' is not supported (llama-family models use 'silu')")
        }
        // Rope: transformers 4 writes rope_theta (+ rope_scaling), transformers 5 rope_parameters.
        var theta = try float("rope_theta") ?? 10_000
        for key in ["rope_scaling", "rope_parameters"] {
            guard let v = o[key], v != .null else { continue }
            guard v.objectValue != nil else { throw bad("key '\(key)' must be an object, found \(v)") }
            let p = v
            let type = (p["rope_type"] ?? p["type"])?.stringValue ?? "default"
            guard type == "default" else {
                throw bad("\(key): rope_type '\(type)' is not supported (only 'default' rotary embeddings)")
            }
            if let t = try float("rope_theta", in: p) { theta = t }
        }
        if try bool("use_sliding_window") == true {
            throw bad("use_sliding_window is true: sliding-window attention is not supported")
        }
        let eos: [Int]
        switch o["eos_token_id"] {
        case .number?: eos = o["eos_token_id"]?.intValue.map { [$0] } ?? []
        case .array(let a)?: eos = a.compactMap(\.intValue)
        default: eos = []
        }
        let attentionBias = try bool("attention_bias")
        let heads = try int("num_attention_heads")
        self.init(architecture: architecture, vocabSize: try int("vocab_size"), hiddenSize: try int("hidden_size"),
                  intermediateSize: try int("intermediate_size"), numHiddenLayers: try int("num_hidden_layers"),
                  numAttentionHeads: heads, numKeyValueHeads: try optionalInt("num_key_value_heads"),
                  headDimension: try optionalInt("head_dim"), rmsNormEps: try float("rms_norm_eps") ?? 1e-6,
                  ropeTheta: theta, maxPositionEmbeddings: try optionalInt("max_position_embeddings") ?? 2048,
                  tieWordEmbeddings: try bool("tie_word_embeddings") ?? false,  // LlamaConfig and Qwen2Config default
                  attentionQKVBias: architecture == .qwen2 ? true : (attentionBias ?? false),
                  attentionOutputBias: architecture == .llama ? (attentionBias ?? false) : false,
                  mlpBias: try bool("mlp_bias") ?? false, initializerRange: try float("initializer_range") ?? 0.02,
                  bosTokenID: try optionalInt("bos_token_id"), eosTokenIDs: eos, padTokenID: try optionalInt("pad_token_id"))
        try validate(path: path)
    }
}

extension LlamaConfig {
    /// The config as a Hugging Face `config.json` (`LlamaForCausalLM` / `Qwen2ForCausalLM`, float32
    /// weights), which `LlamaConfig(json:path:)` and transformers read back to the same model.
    public func huggingFaceJSON() -> JSONValue {
        func n(_ x: Int) -> JSONValue { .number(Double(x)) }
        // Through the shortest decimal that reads back as the same Float (1e-05, not 9.99999974737875e-06).
        func f(_ x: Float) -> JSONValue { .number(Double("\(x)") ?? Double(x)) }
        var fields: [(key: String, value: JSONValue)] = [
            ("architectures", .array([.string(architecture.huggingFaceClass)])), ("model_type", .string(architecture.rawValue)),
            ("vocab_size", n(vocabSize)), ("hidden_size", n(hiddenSize)), ("intermediate_size", n(intermediateSize)),
            ("num_hidden_layers", n(numHiddenLayers)), ("num_attention_heads", n(numAttentionHeads)),
            ("num_key_value_heads", n(numKeyValueHeads)), ("head_dim", n(headDimension)), ("hidden_act", .string("silu")),
            ("rms_norm_eps", f(rmsNormEps)), ("rope_theta", f(ropeTheta)), ("max_position_embeddings", n(maxPositionEmbeddings)),
            ("tie_word_embeddings", .bool(tieWordEmbeddings)), ("initializer_range", f(initializerRange)),
            ("torch_dtype", .string("float32")),
        ]
        if architecture == .llama {
            // transformers' llama has one `attention_bias` for q, k, v and o.
            fields.append(("attention_bias", .bool(attentionQKVBias)))
            fields.append(("mlp_bias", .bool(mlpBias)))
        } else {
            fields.append(("use_sliding_window", .bool(false)))
        }
        fields.append(("bos_token_id", bosTokenID.map(n) ?? .null))
        fields.append(("eos_token_id", eosTokenIDs.count == 1 ? n(eosTokenIDs[0]) : eosTokenIDs.isEmpty ? .null : .array(eosTokenIDs.map(n))))
        fields.append(("pad_token_id", padTokenID.map(n) ?? .null))
        return .object(fields)
    }
}
