import Foundation
import Tensors

extension LlamaConfig {
    /// The config of a llama-family GGUF file, from its metadata (`general.architecture` and
    /// `ARCH.block_count`, `ARCH.embedding_length`, `ARCH.attention.head_count`, ...).
    /// Tied embeddings are recognised by the absence of `output.weight`, q/k/v biases by the
    /// presence of `blk.0.attn_q.bias`. Errors name the file and the key.
    public init(gguf file: GGUFFile) throws {
        let arch = try file.string("general.architecture")
        guard let architecture = LlamaArchitecture(rawValue: arch) else {
            throw CheckpointError(path: file.path, problem: "unknown architecture: general.architecture is '\(arch)'; "
                                  + "supported: 'llama' and 'qwen2'")
        }
        func int(_ key: String) throws -> Int { try file.int("\(arch).\(key)") }
        func optionalInt(_ key: String) throws -> Int? { file["\(arch).\(key)"] == nil ? nil : try int(key) }
        func double(_ key: String) throws -> Double? { file["\(arch).\(key)"] == nil ? nil : try file.double("\(arch).\(key)") }
        if let scaling = file["\(arch).rope.scaling.type"]?.stringValue, scaling != "none" {
            throw CheckpointError(path: file.path, problem: "\(arch).rope.scaling.type '\(scaling)' is not supported (only unscaled rotary embeddings)")
        }
        let embedding = try file.info("token_embd.weight").shape
        guard embedding.count == 2 else {
            throw CheckpointError(path: file.path, problem: "token_embd.weight has shape \(Tensor.describe(embedding)), expected [vocab, hidden]")
        }
        let heads = try int("attention.head_count")
        let hidden = try int("embedding_length")
        let vocab = try optionalInt("vocab_size") ?? file["tokenizer.ggml.tokens"]?.arrayValue?.count ?? embedding[0]
        let ropeDimension = try optionalInt("rope.dimension_count")
        let headDimension = try optionalInt("attention.key_length") ?? hidden / Swift.max(heads, 1)
        if let r = ropeDimension, r != headDimension {
            throw CheckpointError(path: file.path, problem: "\(arch).rope.dimension_count \(r) differs from the head size \(headDimension): partial rotary embeddings are not supported")
        }
        let hasTensor = { (name: String) in file.tensorNames.contains(name) }
        let eos = file["tokenizer.ggml.eos_token_id"]?.intValue
        self.init(architecture: architecture, vocabSize: vocab, hiddenSize: hidden,
                  intermediateSize: try int("feed_forward_length"), numHiddenLayers: try int("block_count"),
                  numAttentionHeads: heads, numKeyValueHeads: try optionalInt("attention.head_count_kv"),
                  headDimension: headDimension,
                  rmsNormEps: Float(try double("attention.layer_norm_rms_epsilon") ?? 1e-6),
                  ropeTheta: Float(try double("rope.freq_base") ?? 10_000),
                  maxPositionEmbeddings: try optionalInt("context_length") ?? 2048,
                  tieWordEmbeddings: !hasTensor("output.weight"),
                  attentionQKVBias: hasTensor("blk.0.attn_q.bias"), attentionOutputBias: hasTensor("blk.0.attn_output.bias"),
                  mlpBias: hasTensor("blk.0.ffn_up.bias"),
                  bosTokenID: file["tokenizer.ggml.bos_token_id"]?.intValue, eosTokenIDs: eos.map { [$0] } ?? [],
                  padTokenID: file["tokenizer.ggml.padding_token_id"]?.intValue)
        try validate(path: file.path)
        // Before anything loops over the layers or allocates (block_count 1e9 grew memory forever).
        try ConfigBounds.check(parameterLowerBound, configPath: file.path, weightsPath: file.path,
                               held: ConfigBounds.elements(of: file.tensorInfos.map(\.shape)))
    }
}

/// A llama-family GGUF file seen under Hugging Face tensor names, so `LlamaModel.load` reads it
/// like a model folder.
///
/// Names follow llama.cpp: `token_embd`, `blk.N.attn_norm`, `blk.N.attn_q` / `attn_k` / `attn_v` /
/// `attn_output`, `blk.N.ffn_norm`, `blk.N.ffn_gate` / `ffn_up` / `ffn_down`, `output_norm`,
/// `output`. Tensors are dequantised to Float32 when read.
///
/// llama.cpp's converter (`convert_hf_to_gguf.py`, `LlamaModel.permute`) stores the query and key
/// projections of `llama` models with the rows of each head reordered for its own RoPE, which
/// rotates adjacent pairs (x0, x1), (x2, x3), ... where Hugging Face rotates halves (x_j, x_j+D/2).
/// Row (h, j, p) of the file (head h, pair j < D/2, member p < 2) is row (h, p, j) of the Hugging
/// Face matrix; reading undoes that, for weights and biases alike, so dprm's outputs equal the
/// Hugging Face model's. Qwen2 files are not permuted (llama.cpp uses the half-rotation for them).
public final class GGUFLlamaWeights: ModelWeights {
    public let file: GGUFFile
    public let config: LlamaConfig
    /// The file's tensor name for every Hugging Face name it holds.
    let fileNames: [String: String]

    public init(file: GGUFFile, config: LlamaConfig) {
        self.file = file
        self.config = config
        let own = Set(file.tensorNames)
        var map: [String: String] = [:]
        func add(_ hf: String, _ gguf: String) { if own.contains(gguf) { map[hf] = gguf } }
        for kind in ["weight", "bias"] {
            add("model.embed_tokens.\(kind)", "token_embd.\(kind)")
            add("model.norm.\(kind)", "output_norm.\(kind)")
            add("lm_head.\(kind)", "output.\(kind)")
            for i in 0..<config.numHiddenLayers {
                let (hf, g) = ("model.layers.\(i).", "blk.\(i).")
                for (a, b) in [("input_layernorm", "attn_norm"), ("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"),
                               ("self_attn.v_proj", "attn_v"), ("self_attn.o_proj", "attn_output"),
                               ("post_attention_layernorm", "ffn_norm"), ("mlp.gate_proj", "ffn_gate"),
                               ("mlp.up_proj", "ffn_up"), ("mlp.down_proj", "ffn_down")] {
                    add(hf + a + "." + kind, g + b + "." + kind)
                }
            }
        }
        fileNames = map
    }

    public var path: String { file.path }

    /// The Hugging Face names of the tensors the file holds (tensors without one are left out).
    public var tensorNames: [String] { fileNames.keys.sorted() }

    public func shape(of name: String) -> [Int]? {
        guard let g = fileNames[name] else { return nil }
        return try? file.info(g).shape
    }

    public func tensor(_ name: String) throws -> Tensor {
        guard let g = fileNames[name] else {
            throw CheckpointError(path: path, problem: "no tensor for '\(name)' (llama.cpp names it differently or the file lacks it)")
        }
        let t = try file.tensor(g)
        guard config.architecture == .llama else { return t }
        if g.hasSuffix(".attn_q.weight") || g.hasSuffix(".attn_q.bias") {
            return try unpermuted(t, heads: config.numAttentionHeads, name: g)
        }
        if g.hasSuffix(".attn_k.weight") || g.hasSuffix(".attn_k.bias") {
            return try unpermuted(t, heads: config.numKeyValueHeads, name: g)
        }
        return t
    }

    /// Undoes llama.cpp's per-head pair interleaving of the rows of `t` [heads * D, ...].
    func unpermuted(_ t: Tensor, heads: Int, name: String) throws -> Tensor {
        let rows = t.shape[0]
        guard heads > 0, rows % (2 * heads) == 0 else {
            throw CheckpointError(path: path, problem: "tensor '\(name)' has \(rows) rows, not a multiple of 2 x \(heads) heads")
        }
        let (d, columns) = (rows / heads, t.count / rows)
        let half = d / 2
        let src = t.contiguous()
        let out = Tensor(uninitializedShape: t.shape)
        out.withMutablePointer { o in
            let s = src.basePointer
            for h in 0..<heads {
                for j in 0..<half {
                    for p in 0..<2 {
                        let from = h * d + j * 2 + p, to = h * d + p * half + j
                        (o + to * columns).update(from: s + from * columns, count: columns)
                    }
                }
            }
        }
        withExtendedLifetime(src) {}
        return out
    }
}

extension LlamaModel {
    /// Loads a llama-family GGUF file (`general.architecture` 'llama' or 'qwen2'): the config from
    /// its metadata, the weights dequantised to Float32 (see `GGUFLlamaWeights`). Eval mode.
    public static func load(gguf path: String) throws -> LlamaModel {
        let file = try GGUFFile(path: path)
        let config = try LlamaConfig(gguf: file)
        return try load(config: config, weights: GGUFLlamaWeights(file: file, config: config))
    }
}
