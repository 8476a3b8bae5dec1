import Tensors
import Autodiff
import Support

/// Grouped-query self-attention of a llama-family block (Hugging Face's `LlamaAttention` /
/// `Qwen2Attention`: `q_proj`, `k_proj`, `v_proj`, `o_proj`), with rotary position embeddings.
///
/// Shapes: x [B, T, C] -> q [B, H, T, D], k and v [B, KV, T, D] with H = KV * G. Rather than
/// repeating each key/value head G times (torch's `repeat_kv`), the G query heads that share a
/// key/value head are stacked along the token axis: q viewed as [B, KV, G*T, D] multiplies
/// k^T [B, KV, D, S] in one batched product, so keys and values are never copied. The 1/sqrt(D)
/// scale is applied to q. With a cache, the new keys and values are appended to it and the
/// queries attend over cached + new keys (S = cached + T). Without a cache, passes of 128 tokens
/// or more are computed by blocks of 64 queries, each against only the keys it can see
/// (`causalBlockedContext`), so the masked upper triangle of the scores is never computed.
///
/// The query, key and value projections are one product (`projections`): their parameters lie
/// back to back in one buffer (`FusedProjection.colocate`, at construction and after loading),
/// read in place as the stacked [(H + 2 KV) D, C] weight; the backward computes one stacked
/// weight gradient whose row blocks (views) are the three parameters' gradients. The parameters
/// stay three tensors under Hugging Face's names.
public final class LlamaAttention: Module {
    public let heads: Int
    public let keyValueHeads: Int
    public let headDimension: Int
    public let qProj: Linear
    public let kProj: Linear
    public let vProj: Linear
    public let oProj: Linear
    public let rotary: RotaryEmbedding

    public init(config c: LlamaConfig, initialization: Initialization, rng: inout RandomGenerator) {
        heads = c.numAttentionHeads
        keyValueHeads = c.numKeyValueHeads
        headDimension = c.headDimension
        rotary = RotaryEmbedding(headDimension: c.headDimension, theta: c.ropeTheta)
        let (h, kv) = (c.numAttentionHeads * c.headDimension, c.numKeyValueHeads * c.headDimension)
        qProj = Linear(c.hiddenSize, h, bias: c.attentionQKVBias, initialization: initialization, rng: &rng)
        kProj = Linear(c.hiddenSize, kv, bias: c.attentionQKVBias, initialization: initialization, rng: &rng)
        vProj = Linear(c.hiddenSize, kv, bias: c.attentionQKVBias, initialization: initialization, rng: &rng)
        oProj = Linear(h, c.hiddenSize, bias: c.attentionOutputBias, initialization: initialization, rng: &rng)
        super.init()
        child("q_proj", qProj)
        child("k_proj", kProj)
        child("v_proj", vProj)
        child("o_proj", oProj)
        colocateProjections()
    }

    /// Moves the query, key and value parameters into one stacked buffer (as views: same values,
    /// same shapes), so `projections` reads them as one weight without a copy. A parameter
    /// replaced since (a state dict loaded) is stacked per pass until this runs again.
    func colocateProjections() { FusedProjection.colocate([qProj, kProj, vProj]) }

    /// The query, key and value projections of `x` [B, T, C] as [B, n, T, D] views (n = H, KV,
    /// KV), before RoPE. One product with the stacked weight (`linear(stackedWeights:biases:)`,
    /// output [B T, (H + 2 KV) D] viewed as [B, T, H + 2 KV, D] and cut along the head axis);
    /// three products when an adapter is attached to one of them or `LlamaModel.fusesProjections`
    /// is off (the composite reference of the tests).
    func projections(_ x: Variable) -> (q: Variable, k: Variable, v: Variable) {
        let (b, t, d) = (x.shape[0], x.shape[1], headDimension)
        let layers = [qProj, kProj, vProj]
        let biases = layers.compactMap(\.bias)
        guard LlamaModel.fusesProjections && layers.allSatisfy({ $0.adapter == nil }) && (biases.isEmpty || biases.count == 3) else {
            func split(_ y: Variable, _ n: Int) -> Variable { y.reshaped([b, t, n, d]).permuted([0, 2, 1, 3]) }
            return (split(qProj(x), heads), split(kProj(x), keyValueHeads), split(vProj(x), keyValueHeads))
        }
        let packed = x.reshaped([b * t, x.shape[2]])
            .linear(stackedWeights: layers.map(\.weight), biases: biases.isEmpty ? nil : biases)
            .reshaped([b, t, heads + 2 * keyValueHeads, d])
        func part(_ start: Int, _ n: Int) -> Variable { packed.sliced(axis: 2, start: start, end: start + n).permuted([0, 2, 1, 3]) }
        return (part(0, heads), part(heads, keyValueHeads), part(heads + keyValueHeads, keyValueHeads))
    }

    /// Attention of `x` [B, T, C] at positions offset..<offset + T (`rope` holds their cos/sin
    /// tables), over the cached keys of `cache` (when given; the new ones are appended) and its
    /// own. `mask` is the additive mask at the scores' shape (`scoreMask`), nil for none.
    /// Returns [B, T, C].
    public func callAsFunction(_ x: Variable, rope: (cos: Tensor, sin: Tensor), mask: Variable?,
                               cache: LlamaKVCache.Layer? = nil) -> Variable {
        let (b, t) = (x.shape[0], x.shape[1])
        let (g, d) = (heads / keyValueHeads, headDimension)
        let scale = 1 / Float(d).squareRoot()
        let projected = projections(x)
        let q = rotary.rotate(projected.q, cos: rope.cos, sin: rope.sin, scale: scale)                // [B, H, T, D]
        var k = rotary.rotate(projected.k, cos: rope.cos, sin: rope.sin)                              // [B, KV, T, D]
        var v = projected.v
        if let cache {
            (k, v) = cache.append(keys: k, values: v)
        }
        let s = k.shape[2]
        if let mask {
            let expected = [b, keyValueHeads, g * t, s]
            precondition(mask.shape == expected || (mask.shape[0] == 1 && Array(mask.shape.dropFirst()) == Array(expected.dropFirst())),
                         "attention mask \(Tensor.describe(mask.shape)) does not fit scores \(Tensor.describe(expected))")
        }
        let context: Variable                                                                          // [B, KV, G*T, D] in (g, t) row order
        let blocks = cache == nil && mask != nil ? Self.causalBlocks(queries: t) : 1
        if blocks > 1 {
            context = causalBlockedContext(q: q, k: k, v: v, mask: mask!, blocks: blocks).reshaped([b, keyValueHeads, g * t, d])
        } else {
            let grouped = q.reshaped([b, keyValueHeads, g * t, d])
            let scores = grouped.matmul(k.transposed())                                               // [B, KV, G*T, S]
            let probs = mask.map { scores.softmax(addingMask: $0.value) } ?? scores.softmax()         // one pass: add and softmax
            context = probs.matmul(v)
        }
        let merged = context.reshaped([b, heads, t, d]).permuted([0, 2, 1, 3]).reshaped([b, t, heads * d])
        return oProj(merged)
    }

    /// Query tokens per block of `causalBlockedContext` (passes of at least twice this many are
    /// blocked). Tests set it above the length to compare with the unblocked product.
    public static var causalBlockTokens = 64

    /// How many query blocks a pass of `queries` tokens without a cache is cut into (1: none).
    static func causalBlocks(queries t: Int) -> Int { t >= 2 * causalBlockTokens ? (t + causalBlockTokens - 1) / causalBlockTokens : 1 }

    /// Causal attention by blocks of queries: the queries t0..<t1 only see keys 0..<t1 (every
    /// later key is masked by the causal mask), so each block multiplies, normalises and weights
    /// only those keys. With 4 blocks of 64 queries out of 256 that is 10/16 of the score and
    /// value products and of the softmax's work, and the masked upper triangle is never computed.
    /// The result equals the full masked product up to the summation order of the softmax (the
    /// skipped keys would contribute exp(-inf) = 0). Keys stay unrepeated: each block's query
    /// rows [B, KV, G, t1 - t0, D] multiply the keys [B, KV, 1, t1, D] broadcast over the G heads
    /// of a group. `mask` [B|1, KV, G*T, S] must include the causal mask (every caller's does:
    /// llama models are causal). Returns [B, KV, G, T, D].
    func causalBlockedContext(q: Variable, k: Variable, v: Variable, mask: Variable, blocks: Int) -> Variable {
        let (b, t, d, g) = (q.shape[0], q.shape[2], headDimension, heads / keyValueHeads)
        let s = k.shape[2]
        precondition(s == t, "causal blocks need as many keys as queries (no cache), got \(s) and \(t)")
        let q5 = q.reshaped([b, keyValueHeads, g, t, d])
        let k5 = k.unsqueezed(2), v5 = v.unsqueezed(2)                                                // [B, KV, 1, S, D]
        let m5 = mask.value.reshaped([mask.shape[0], keyValueHeads, g, t, s])
        var parts: [Variable] = []
        for j in 0..<blocks {
            let (t0, t1) = (j * t / blocks, (j + 1) * t / blocks)
            let scores = q5.sliced(axis: 3, start: t0, end: t1).matmul(k5.sliced(axis: 3, start: 0, end: t1).transposed())   // [B, KV, G, t1-t0, t1]
            let blockMask = m5.sliced(axis: 3, start: t0, end: t1).sliced(axis: 4, start: 0, end: t1)
            let probs = scores.softmax(addingMask: blockMask)
            parts.append(probs.matmul(v5.sliced(axis: 3, start: 0, end: t1)))                           // [B, KV, G, t1-t0, D]
        }
        return Variable.concat(parts, axis: 3)
    }

    /// `mask` as an additive constant at the scores' shape [B, KV, G*T, S] (row g*T + t is query
    /// t of the g-th head of a group), or nil when it masks nothing. Built once per forward pass
    /// and shared by every layer; materialised so each layer's add is one contiguous pass.
    public func scoreMask(_ mask: AttentionMask, batch b: Int, queries t: Int, keys s: Int) -> Variable? {
        guard let m = mask.additive(batch: b, queries: t, keys: s) else { return nil }
        let g = heads / keyValueHeads
        // [b|1, 1, T, S] -> [b|1, 1, 1, T, S] broadcast to [B, KV, G, T, S].
        let m5 = m.reshaped([m.shape[0], 1, 1, t, s]).expanded(to: [b, keyValueHeads, g, t, s]).contiguous()
        return Variable(m5.reshaped([b, keyValueHeads, g * t, s]))
    }
}

/// The SwiGLU feed-forward (`LlamaMLP`: `gate_proj`, `up_proj`, `down_proj`):
/// down(silu(gate(x)) * up(x)). The gate and up projections are one product with their
/// parameters colocated (as `LlamaAttention`'s q/k/v), and SwiGLU reads its two halves in place.
public final class LlamaMLP: Module {
    public let gateProj: Linear
    public let upProj: Linear
    public let downProj: Linear

    public init(config c: LlamaConfig, initialization: Initialization, rng: inout RandomGenerator) {
        gateProj = Linear(c.hiddenSize, c.intermediateSize, bias: c.mlpBias, initialization: initialization, rng: &rng)
        upProj = Linear(c.hiddenSize, c.intermediateSize, bias: c.mlpBias, initialization: initialization, rng: &rng)
        downProj = Linear(c.intermediateSize, c.hiddenSize, bias: c.mlpBias, initialization: initialization, rng: &rng)
        super.init()
        child("gate_proj", gateProj)
        child("up_proj", upProj)
        child("down_proj", downProj)
        colocateProjections()
    }

    /// Moves the gate and up parameters into one stacked buffer (views), as
    /// `LlamaAttention.colocateProjections`.
    func colocateProjections() { FusedProjection.colocate([gateProj, upProj]) }

    /// One product for gate and up ([..., 2I], gate | up) and one SwiGLU primitive reading both
    /// halves (one pass forward and backward, whose gradient is the packed one); two products
    /// when either has an adapter or `LlamaModel.fusesProjections` is off.
    public func callAsFunction(_ x: Variable) -> Variable {
        let biases = [gateProj, upProj].compactMap(\.bias)
        guard LlamaModel.fusesProjections && gateProj.adapter == nil && upProj.adapter == nil && biases.count != 1 else {
            return downProj(Variable.swiglu(gate: gateProj(x), up: upProj(x)))
        }
        let width = x.shape.last!
        let lead = Array(x.shape.dropLast())
        let packed = x.reshaped([-1, width]).linear(stackedWeights: [gateProj.weight, upProj.weight], biases: biases.isEmpty ? nil : biases)
        return downProj(Variable.swiglu(packed: packed).reshaped(lead + [gateProj.outFeatures]))
    }
}

/// One pre-norm decoder block (`LlamaDecoderLayer`):
/// a = x + Attn(RMSNorm1(x));  y = a + MLP(RMSNorm2(a)),
/// with RMSNorm1 = `input_layernorm` and RMSNorm2 = `post_attention_layernorm`.
public final class LlamaBlock: Module {
    public let selfAttention: LlamaAttention
    public let mlp: LlamaMLP
    public let inputNorm: RMSNorm
    public let postAttentionNorm: RMSNorm

    public init(config c: LlamaConfig, initialization: Initialization, rng: inout RandomGenerator) {
        selfAttention = LlamaAttention(config: c, initialization: initialization, rng: &rng)
        mlp = LlamaMLP(config: c, initialization: initialization, rng: &rng)
        inputNorm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        postAttentionNorm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        super.init()
        child("self_attn", selfAttention)
        child("mlp", mlp)
        child("input_layernorm", inputNorm)
        child("post_attention_layernorm", postAttentionNorm)
    }

    public func callAsFunction(_ x: Variable, rope: (cos: Tensor, sin: Tensor), mask: Variable?,
                               cache: LlamaKVCache.Layer? = nil) -> Variable {
        let a = x + selfAttention(inputNorm(x), rope: rope, mask: mask, cache: cache)
        return a + mlp(postAttentionNorm(a))
    }
}

/// The decoder stack (`LlamaModel` in transformers, registered as `model`): `embed_tokens`,
/// `layers.N`, and the final `norm`.
public final class LlamaDecoder: Module {
    public let config: LlamaConfig
    public let embedTokens: Embedding
    public let layers: [LlamaBlock]
    public let norm: RMSNorm

    public init(config c: LlamaConfig, initialization: Initialization, rng: inout RandomGenerator) {
        config = c
        embedTokens = Embedding(c.vocabSize, c.hiddenSize, initialization: initialization, rng: &rng)
        var blocks: [LlamaBlock] = []
        for _ in 0..<c.numHiddenLayers { blocks.append(LlamaBlock(config: c, initialization: initialization, rng: &rng)) }
        layers = blocks
        norm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        super.init()
        child("embed_tokens", embedTokens)
        for (i, l) in layers.enumerated() { child("layers.\(i)", l) }
        child("norm", norm)
    }
}

/// A llama-family causal language model (`LlamaForCausalLM` / `Qwen2ForCausalLM`) with Hugging
/// Face's parameter names: `model.embed_tokens.weight`, `model.layers.N.self_attn.q_proj.weight`,
/// ..., `model.norm.weight`, and `lm_head.weight` unless the embeddings are tied.
///
/// Everything runs through `Variable`, so the model trains with `Autodiff` (as a PRM backbone);
/// inside `noGrad` the same code builds no graph. Token ids are row-major [batch, length]; an
/// attention mask (1 real, 0 padding) keeps padding keys out of every query's attention, and the
/// causal mask is always on. Positions are 0..<length for every row (as transformers when no
/// `position_ids` are given), so pad on the right. Generation with a key/value cache is in
/// `LlamaModel+Generation.swift`; loading from Hugging Face folders and GGUF files in
/// `LlamaModel+Loading.swift`.
public final class LlamaModel: Module {
    public let config: LlamaConfig
    public let model: LlamaDecoder
    /// The output projection when the embeddings are not tied (`lm_head`).
    public let lmHead: Linear?

    /// A randomly initialised model (N(0, initializer_range) weights, zero biases, unit norms);
    /// with `initialize: false`, zero weights for a checkpoint to fill.
    public init(config c: LlamaConfig, seed: UInt64 = 0, initialize: Bool = true) {
        var rng = RandomGenerator(seed: seed)
        let initialization = initialize ? Initialization.normal(std: c.initializerRange) : .zeros
        config = c
        model = LlamaDecoder(config: c, initialization: initialization, rng: &rng)
        lmHead = c.tieWordEmbeddings ? nil : Linear(c.hiddenSize, c.vocabSize, bias: false, initialization: initialization, rng: &rng)
        super.init()
        child("model", model)
        if let h = lmHead { child("lm_head", h) }
    }

    /// Whether blocks run their query/key/value and gate/up projections as one product each
    /// (default true); false runs them separately, the composite reference of the tests.
    nonisolated(unsafe) public static var fusesProjections = true

    /// Loads `stateDict` (`Module.load`) and colocates every block's stacked projections again
    /// (loading gives each parameter fresh storage).
    @discardableResult
    public override func load(stateDict: [String: Tensor], strict: Bool = true) throws -> (missing: [String], unexpected: [String]) {
        let result = try super.load(stateDict: stateDict, strict: strict)
        colocateProjections()
        return result
    }

    /// Puts each block's q/k/v and gate/up parameters back to back in one buffer per group (after
    /// their values were replaced), so each group is read as one stacked weight.
    public func colocateProjections() {
        for layer in model.layers {
            layer.selfAttention.colocateProjections()
            layer.mlp.colocateProjections()
        }
    }

    /// The matrix that maps hidden states to logits, [vocab, hidden]: `lm_head.weight`, or the
    /// token embeddings when tied.
    public var outputWeight: Variable { lmHead?.weight ?? model.embedTokens.weight }

    /// Hidden states after the final norm, [batch, length, hidden], for `ids` (row-major
    /// [batch, length]) at positions offset..<offset + length, where offset is what `cache`
    /// already holds (0 without a cache). `attentionMask` (1 real, 0 padding) covers every key:
    /// the cached ones and the new ones, [batch, offset + length].
    public func hiddenStates(ids: [Int], batch: Int, length: Int, attentionMask: [Int]? = nil,
                             cache: LlamaKVCache? = nil) -> Variable {
        precondition(ids.count == batch * length, "LlamaModel: \(ids.count) ids do not fill [\(batch)x\(length)]")
        let offset = cache?.length ?? 0
        if let cache { precondition(cache.batch == batch, "LlamaModel: the cache holds \(cache.batch) sequences, not \(batch)") }
        for id in ids where id < 0 || id >= config.vocabSize {
            preconditionFailure("LlamaModel: token id \(id) out of range 0..<\(config.vocabSize)")
        }
        var mask = AttentionMask.causal
        if let m = attentionMask {
            precondition(m.count == batch * (offset + length),
                         "LlamaModel: attention mask has \(m.count) entries for [\(batch)x\(offset + length)] keys")
            if m.contains(0) { mask.padding = Tensor(shape: [batch, offset + length], scalars: m.map { $0 == 0 ? 0 : 1 }) }
        }
        let rope = model.layers.first?.selfAttention.rotary.tables(length: length, offset: offset)
            ?? (Tensor.zeros([length, config.headDimension]), Tensor.zeros([length, config.headDimension]))
        let scores = model.layers.first?.selfAttention.scoreMask(mask, batch: batch, queries: length, keys: offset + length)
        var h = model.embedTokens(ids, shape: [batch, length])
        for (i, layer) in model.layers.enumerated() {
            h = layer(h, rope: rope, mask: scores, cache: cache?.layers[i])
        }
        cache?.length += length
        return model.norm(h)
    }

    /// Logits [..., vocab] of hidden states [..., hidden] (the LM head).
    public func logits(hidden: Variable) -> Variable {
        let lead = Array(hidden.shape.dropLast())
        let flat = hidden.reshaped([-1, config.hiddenSize])
        return flat.linear(weight: outputWeight, bias: nil).reshaped(lead + [config.vocabSize])
    }

    /// Logits [batch, length, vocab] for `ids` (see `hiddenStates`).
    public func logits(ids: [Int], batch: Int, length: Int, attentionMask: [Int]? = nil, cache: LlamaKVCache? = nil) -> Variable {
        logits(hidden: hiddenStates(ids: ids, batch: batch, length: length, attentionMask: attentionMask, cache: cache))
    }

    /// Logits [length, vocab] of one sequence.
    public func logits(_ ids: [Int]) -> Tensor {
        noGrad { logits(ids: ids, batch: 1, length: ids.count).value.reshaped([ids.count, config.vocabSize]) }
    }
}
