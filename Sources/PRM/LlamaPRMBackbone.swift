import Foundation
import Support
import Tensors
import Autodiff
import NN
import Datasets

/// A pretrained llama-family causal LM (`LlamaModel`: SmolLM2, Qwen2, ...) as the PRM backbone:
/// the generative PRM of DreamPRM-1.5, whose step score is p(`+`) of the model's own next-token
/// distribution at the label position.
///
/// - Weights: a copy of the loaded model's (`init(copying:...)`), so training never changes the
///   model `load_model` returned. Parameter names are the Hugging Face ones (`model.embed_tokens.weight`,
///   `model.layers.N.self_attn.q_proj.weight`, ..., `model.norm.weight`, `lm_head.weight` unless
///   tied), so the state dict is the HF model's and a checkpoint is a model folder transformers loads.
/// - `hidden`: the decoder's final-norm hidden states with the causal mask and the padding mask of
///   the right-padded batch (positions 0..<T in every row, as transformers without position ids).
/// - `stepLogits`: the LM head (tied to the embeddings or not) applied to the rows it is given,
///   which `ProcessRewardModel` restricts to the label positions: the [B, T, vocab] logits of a
///   whole batch are never formed.
/// - Trainable set (`trainableLayers`): nil trains every parameter (full fine-tuning, the
///   reference's setting). K trains the top K blocks, the final norm and an untied `lm_head`; the
///   embeddings and lower blocks are frozen (`requiresGrad` off, run under `noGrad`). A tied head
///   is the embedding matrix the frozen blocks read, so it stays frozen too (training it would
///   change every frozen output). The frozen part's output of a row depends only on that row's
///   tokens, so `frozenCache` can keep it (see `FrozenPrefixCache`).
public final class LlamaPRMBackbone: Module, PRMBackbone {
    /// The decoder (registered as `model`, as in transformers).
    public let decoder: LlamaDecoder
    /// The untied output projection (`lm_head`), nil when the head is the embedding matrix.
    public let lmHead: Linear?
    public let config: LlamaConfig
    /// Positions used (at most the model's `max_position_embeddings`).
    public let maxPositions: Int
    /// The GGUF file or model folder the weights came from (a checkpoint copies its tokenizer
    /// files when it is a folder).
    public let source: String
    /// Blocks trained from the top (nil: every parameter trains). Set with `setTrainableLayers`.
    public private(set) var trainableLayers: Int?
    /// Keeps the frozen blocks' outputs per token sequence (only with `trainableLayers`); nil: recompute.
    public var frozenCache: FrozenPrefixCache?

    /// A backbone with its own copy of `model`'s weights. `maxLength` caps the positions
    /// (default: the model's `max_position_embeddings`).
    public init(copying model: LlamaModel, source: String, maxLength: Int? = nil, trainableLayers: Int? = nil) throws {
        let twin = LlamaModel(config: model.config, initialize: false)
        try twin.load(stateDict: model.stateDict().mapValues { $0.copy() })
        config = model.config
        self.source = source
        decoder = twin.model
        lmHead = twin.lmHead
        maxPositions = Swift.min(maxLength ?? model.config.maxPositionEmbeddings, model.config.maxPositionEmbeddings)
        super.init()
        child("model", decoder)
        if let lmHead { child("lm_head", lmHead) }
        eval()
        try setTrainableLayers(trainableLayers)
    }

    /// Chooses the trainable set: nil trains everything, K in 0...numLayers the top K blocks, the
    /// final norm and an untied head. Frozen parameters get `requiresGrad` false, so no op on
    /// them records a graph and optimizers built from `trainableNamedParameters` never see them.
    /// Empties the frozen-output cache and keys it to the new frozen set (its entries depend on
    /// which blocks are frozen); a cache shared with a copy is left to the copy and replaced here
    /// by an empty in-memory one.
    public func setTrainableLayers(_ k: Int?) throws {
        guard adapters.isEmpty else { throw PRMError.invalidOption("trainable_layers cannot change once LoRA adapters are attached (they sit on the trainable blocks)") }
        if let k, k < 0 || k > config.numHiddenLayers {
            throw PRMError.invalidOption("trainable_layers must be in 0...\(config.numHiddenLayers) for this \(config.numHiddenLayers)-block model, got \(k)")
        }
        trainableLayers = k
        let trainable = Set(trainableNamedParameters.map { ObjectIdentifier($0.1) })
        for (_, p) in namedParameters() { p.requiresGrad = trainable.contains(ObjectIdentifier(p)) }
        // A cache shared with a copy (`copy()`) is left to the copy, which still has the old
        // frozen set: this backbone continues with an empty one of its own.
        if !isKnownUniquelyReferenced(&frozenCache) { frozenCache = frozenCache?.emptyCopy() }
        frozenCache?.reset(key: frozenFingerprint())
    }

    /// Keeps the frozen blocks' outputs of every instance in a cache of at most `limitBytes`:
    /// in memory, or in the memory-mapped file at `path` (created if missing; a file an earlier
    /// run left for the same frozen weights and settings is reused, any other is rebuilt; see
    /// `FrozenPrefixCache`). A limit of 0 (or no frozen blocks) removes the cache. Throws a
    /// `FileError` naming `path` when the file cannot be created, locked or mapped.
    public func useFrozenCache(limitBytes: Int, path: String? = nil) throws {
        guard limitBytes >= 0 else { throw PRMError.invalidOption("the frozen-output cache limit must not be negative, got \(limitBytes) bytes") }
        frozenCache = nil   // closes (and unlocks) a previous file first, so the same path can be reopened
        guard limitBytes > 0, frozenLayers > 0 else { return }
        let key = frozenFingerprint()
        if let path {
            frozenCache = try FrozenPrefixCache(width: hiddenSize, limitBytes: limitBytes, path: path, key: key)
        } else {
            frozenCache = FrozenPrefixCache(width: hiddenSize, limitBytes: limitBytes, key: key)
        }
    }

    /// Bumped whenever the computation of the frozen blocks changes its results (a kernel
    /// rewritten), so cache files written by an older build are rebuilt, not read.
    /// 2: causal attention by query blocks (`LlamaAttention.causalBlockedContext`).
    static let frozenComputationVersion: UInt64 = 2

    /// A checksum of everything a frozen output depends on: the computation version, the
    /// architecture and the settings of the blocks (sizes, heads, norm epsilon, RoPE theta), the
    /// number of frozen blocks, and the bytes of the embeddings and of every frozen block's
    /// parameters with their names. About 0.1 s for SmolLM2's 120M frozen floats.
    public func frozenFingerprint() -> UInt64 {
        var c = Checksum64()
        c.add("dprm llama frozen outputs")
        c.add(Self.frozenComputationVersion)
        c.add(config.architecture.rawValue)
        for v in [config.hiddenSize, config.numHiddenLayers, config.numAttentionHeads, config.numKeyValueHeads,
                  config.headDimension, config.intermediateSize, config.vocabSize, frozenLayers] { c.add(UInt64(v)) }
        c.add(UInt64(config.rmsNormEps.bitPattern))
        c.add(UInt64(config.ropeTheta.bitPattern))
        var named = decoder.embedTokens.namedParameters(prefix: "model.embed_tokens.")
        for i in 0..<frozenLayers { named += decoder.layers[i].namedParameters(prefix: "model.layers.\(i).") }
        for (name, p) in named {
            c.add(name)
            c.add(UInt64(p.value.count))
            p.value.withContiguousPointer { c.add(UnsafeRawBufferPointer(start: $0, count: p.value.count * MemoryLayout<Float>.size)) }
        }
        return c.value
    }

    /// Number of blocks below the trainable ones (0 with full fine-tuning).
    public var frozenLayers: Int { trainableLayers.map { config.numHiddenLayers - $0 } ?? 0 }

    /// The parameters an optimizer updates, with their names (all of them unless `trainableLayers`).
    public var trainableNamedParameters: [(String, Variable)] {
        if !adapters.isEmpty { return adapterParameters() }   // LoRA: only the adapters (LlamaPRMBackbone+LoRA.swift)
        guard trainableLayers != nil else { return namedParameters() }
        var out: [(String, Variable)] = []
        for i in frozenLayers..<config.numHiddenLayers {
            out += decoder.layers[i].namedParameters(prefix: "model.layers.\(i).")
        }
        out += decoder.norm.namedParameters(prefix: "model.norm.")
        if let lmHead { out += lmHead.namedParameters(prefix: "lm_head.") }
        return out
    }

    public var hiddenSize: Int { config.hiddenSize }
    public var outputSize: Int { config.vocabSize }

    /// The [vocab, hidden] matrix of the head: `lm_head.weight`, or the embeddings when tied.
    public var outputWeight: Variable { lmHead?.weight ?? decoder.embedTokens.weight }

    public func hidden(ids: [Int], batch: Int, length: Int, lengths: [Int]) -> Variable {
        hidden(ids: ids, batch: batch, length: length, lengths: lengths, images: nil)
    }

    /// Image tokens replace the token embeddings of their rows. Only with every block trainable:
    /// the frozen blocks' cache is keyed by token ids, which do not identify a picture.
    public var acceptsImageTokens: Bool { trainableLayers == nil }

    public func hidden(ids: [Int], batch: Int, length: Int, lengths: [Int], images: ImageTokenRows?) -> Variable {
        precondition(images == nil || frozenLayers == 0, "LlamaPRMBackbone: image tokens need every block trainable (trainable_layers nil)")
        precondition(length <= maxPositions, "LlamaPRMBackbone: \(length) tokens exceed \(maxPositions) positions")
        precondition(ids.count == batch * length && lengths.count == batch, "LlamaPRMBackbone: ids do not fill [\(batch)x\(length)]")
        let rope = decoder.layers.first?.selfAttention.rotary.tables(length: length)
            ?? (Tensor.zeros([length, config.headDimension]), Tensor.zeros([length, config.headDimension]))
        let mask = scoreMask(batch: batch, length: length, lengths: lengths)
        var h: Variable
        if frozenLayers > 0 {
            h = Variable(frozenOutputs(ids: ids, batch: batch, length: length, lengths: lengths))
        } else {
            h = decoder.embedTokens(ids, shape: [batch, length])
            if let images { h = images.substitute(into: h) }
        }
        for layer in decoder.layers[frozenLayers...] { h = layer(h, rope: rope, mask: mask) }
        return decoder.norm(h)
    }

    /// The additive attention mask of right-padded rows (causal, padding keys masked).
    func scoreMask(batch: Int, length: Int, lengths: [Int]) -> Variable? {
        var mask = AttentionMask.causal
        if lengths.contains(where: { $0 < length }) {
            var pad = [Float](repeating: 0, count: batch * length)
            for (b, n) in lengths.enumerated() { for t in 0..<n { pad[b * length + t] = 1 } }
            mask.padding = Tensor(shape: [batch, length], scalars: pad)
        }
        return decoder.layers.first?.selfAttention.scoreMask(mask, batch: batch, queries: length, keys: length)
    }

    /// The residual stream after the frozen blocks, [B, T, C], without recording a graph. Rows
    /// found in `frozenCache` are copied from it; the others are computed together (padded to
    /// their longest) and stored. Padding positions hold zeros: only real positions are ever read
    /// (causal attention with padding keys masked), so their content does not matter.
    func frozenOutputs(ids: [Int], batch: Int, length: Int, lengths: [Int]) -> Tensor {
        noGrad {
            guard let cache = frozenCache else { return runFrozen(ids: ids, batch: batch, length: length, lengths: lengths) }
            let c = config.hiddenSize
            var out = [Float](repeating: 0, count: batch * length * c)
            var missing: [Int] = []
            let rows = (0..<batch).map { b in Array(ids[(b * length)..<(b * length + lengths[b])]) }
            out.withUnsafeMutableBufferPointer { dst in
                for b in 0..<batch {
                    if !cache.read(rows[b], into: UnsafeMutableBufferPointer(rebasing: dst[(b * length * c)..<((b * length + lengths[b]) * c)])) {
                        missing.append(b)
                    }
                }
            }
            if !missing.isEmpty {
                let m = missing.map { lengths[$0] }.max()!
                var sub = [Int](repeating: ids[0], count: missing.count * m)
                for (j, b) in missing.enumerated() { for t in 0..<lengths[b] { sub[j * m + t] = rows[b][t] } }
                let computed = runFrozen(ids: sub, batch: missing.count, length: m, lengths: missing.map { lengths[$0] }).toArray()
                for (j, b) in missing.enumerated() {
                    let n = lengths[b]
                    let slice = Array(computed[(j * m * c)..<((j * m + n) * c)])
                    out.replaceSubrange((b * length * c)..<((b * length + n) * c), with: slice)
                    cache.store(rows[b], slice)
                }
            }
            return Tensor(shape: [batch, length, c], scalars: out)
        }
    }

    /// Embeddings and the frozen blocks on a padded batch (no graph).
    func runFrozen(ids: [Int], batch: Int, length: Int, lengths: [Int]) -> Tensor {
        noGrad {
            let rope = decoder.layers.first!.selfAttention.rotary.tables(length: length)
            let mask = scoreMask(batch: batch, length: length, lengths: lengths)
            var h = decoder.embedTokens(ids, shape: [batch, length])
            for layer in decoder.layers[..<frozenLayers] { h = layer(h, rope: rope, mask: mask) }
            return h.value.contiguous()
        }
    }

    public func stepLogits(_ hidden: Variable) -> Variable {
        hidden.linear(weight: outputWeight, bias: nil)
    }

    /// The weights as a `LlamaModel` (copies, LoRA adapters merged; e.g. to run `generate` on a trained PRM).
    public func languageModel() throws -> LlamaModel {
        let m = LlamaModel(config: config, initialize: false)
        try m.load(stateDict: stateDictForSaving.mapValues { $0.copy() })   // adapters merged
        return m
    }

    public func copy() throws -> any PRMBackbone {
        let twin = try LlamaPRMBackbone(copying: try languageModel(), source: source, maxLength: maxPositions, trainableLayers: trainableLayers)
        try copyAdapters(to: twin)
        // Shared, not copied: the twin's frozen blocks are bit-identical copies that neither
        // side ever writes, so a row's frozen outputs are the same for both, and the methods a
        // comparison continues from one PRM (vanilla, Instance Table, ...) fill the cache once.
        // A twin that changes its trainable set gets its own cache (`setTrainableLayers`). The
        // object is shared in this process, so a cache file keeps its one owner.
        twin.frozenCache = frozenCache
        if isTraining { twin.train() }
        return twin
    }
}

extension PRMConfig {
    /// The config a llama-backbone PRM reports: the decoder's sizes, SiLU, RMSNorm eps, rotary
    /// positions with the model's theta, no dropout, `maxLength` the positions the PRM uses.
    public init(llama c: LlamaConfig, maxLength: Int) {
        self.init(hiddenSize: c.hiddenSize, numLayers: c.numHiddenLayers, numHeads: c.numAttentionHeads,
                  intermediateSize: c.intermediateSize, maxLength: maxLength, activation: "silu",
                  layerNormEps: c.rmsNormEps, initializerRange: c.initializerRange, dropout: 0,
                  positionEmbeddingType: .rotary)
        ropeTheta = c.ropeTheta
    }
}
