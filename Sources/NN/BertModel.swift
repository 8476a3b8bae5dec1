import Foundation
import Tensors
import Autodiff
import Support

/// Word + position + token type embeddings, then `LayerNorm` and dropout
/// (Hugging Face's `BertEmbeddings`: `word_embeddings`, `position_embeddings`,
/// `token_type_embeddings`, `LayerNorm`).
public final class BertEmbeddings: Module {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm
    public let dropout: Dropout

    public init(config c: BertConfig, rng: inout RandomGenerator) {
        let initialization = Initialization.normal(std: c.initializerRange)
        wordEmbeddings = Embedding(c.vocabSize, c.hiddenSize, paddingIndex: c.padTokenID < c.vocabSize ? c.padTokenID : nil,
                                   initialization: initialization, rng: &rng)
        positionEmbeddings = Embedding(c.maxPositionEmbeddings, c.hiddenSize, initialization: initialization, rng: &rng)
        tokenTypeEmbeddings = Embedding(c.typeVocabSize, c.hiddenSize, initialization: initialization, rng: &rng)
        layerNorm = LayerNorm(c.hiddenSize, eps: c.layerNormEps)
        dropout = Dropout(c.hiddenDropoutProb, seed: rng.next())
        super.init()
        child("word_embeddings", wordEmbeddings)
        child("position_embeddings", positionEmbeddings)
        child("token_type_embeddings", tokenTypeEmbeddings)
        child("LayerNorm", layerNorm)
        child("dropout", dropout)
    }

    /// Embeddings of `ids` (row-major [batch, length]) with positions 0..<length; [B, T, H].
    public func callAsFunction(ids: [Int], batch: Int, length: Int, typeIDs: [Int]? = nil) -> Variable {
        let words = wordEmbeddings(ids, shape: [batch, length])
        let positions = positionEmbeddings(Array(0..<length), shape: [1, length])
        let types = tokenTypeEmbeddings(typeIDs ?? Array(repeating: 0, count: ids.count), shape: [batch, length])
        return dropout(layerNorm(words + positions + types))
    }
}

/// `tanh(dense(h[:, 0]))`: the `[CLS]` summary of Hugging Face's `BertPooler` (`pooler.dense`).
public final class BertPooler: Module {
    public let dense: Linear

    public init(config c: BertConfig, rng: inout RandomGenerator) {
        dense = Linear(c.hiddenSize, c.hiddenSize, initialization: .normal(std: c.initializerRange), rng: &rng)
        super.init()
        child("dense", dense)
    }

    /// [B, T, H] -> [B, H].
    public func callAsFunction(_ hidden: Variable) -> Variable {
        dense(hidden.selecting(axis: 1, index: 0)).tanh()
    }
}

/// A BERT-family encoder (MiniLM, BERT, sentence encoders) with Hugging Face's parameter names:
/// `embeddings.*`, `encoder.layer.N.*` (post-norm `TransformerBlock`s, GELU), optional `pooler.*`.
///
/// The forward pass takes token ids as a row-major [batch, length] list with an optional
/// attention mask (1 real, 0 padding) and returns the last hidden state [B, T, H] as a `Variable`,
/// so a head on top trains with gradients flowing into the encoder. When no graph is needed
/// (inside `noGrad`, or with every parameter frozen) and dropout is off (eval mode), the same
/// numbers come from a fused inference path (`BertModel+Inference.swift`) that is several times
/// faster; `useFastInference` switches it off for comparisons.
///
/// A model loaded with `load(directory:)` starts in eval mode, as Hugging Face's `from_pretrained`.
public final class BertModel: Module {
    public let config: BertConfig
    public let embeddings: BertEmbeddings
    public let encoder: TransformerEncoder
    public let pooler: BertPooler?
    /// Use the fused inference path when no graph is needed (default true).
    public var useFastInference = true

    /// A randomly initialised model (N(0, initializer_range) weights, zero biases, as HF BERT).
    public init(config c: BertConfig, pooler withPooler: Bool = true, seed: UInt64 = 0) {
        var rng = RandomGenerator(seed: seed)
        config = c
        embeddings = BertEmbeddings(config: c, rng: &rng)
        encoder = TransformerEncoder(config: c.transformer, rng: &rng)
        pooler = withPooler ? BertPooler(config: c, rng: &rng) : nil
        super.init()
        child("embeddings", embeddings)
        child("encoder", encoder)
        if let p = pooler { child("pooler", p) }
        colocateAttentionProjections()
    }

    /// Puts each block's query, key and value parameters side by side in one buffer (as views), so
    /// the inference path runs the three projections as one matrix product without copying
    /// weights (`FusedProjection`). Called after the parameters are created or loaded.
    func colocateAttentionProjections() {
        for block in encoder.layers {
            let attention = block.attention.attention
            FusedProjection.colocate([attention.query, attention.key, attention.value])
        }
    }

    /// The last hidden state [batch, length, hidden] for `ids` (row-major [batch, length]).
    ///
    /// `attentionMask` (same layout; 1 for real tokens, 0 for padding) keeps padding keys out of
    /// every query's attention; `typeIDs` default to 0. Sequences longer than
    /// `max_position_embeddings` are a programmer error (truncate when tokenizing).
    public func callAsFunction(ids: [Int], batch: Int, length: Int, attentionMask: [Int]? = nil, typeIDs: [Int]? = nil) -> Variable {
        precondition(ids.count == batch * length, "BertModel: \(ids.count) ids do not fill [\(batch)x\(length)]")
        precondition(length <= config.maxPositionEmbeddings,
                     "BertModel: \(length) tokens exceed max_position_embeddings \(config.maxPositionEmbeddings); truncate the input")
        if let m = attentionMask { precondition(m.count == ids.count, "BertModel: attention mask has \(m.count) entries for \(ids.count) ids") }
        if let t = typeIDs { precondition(t.count == ids.count, "BertModel: \(t.count) type ids for \(ids.count) ids") }
        for id in ids where id < 0 || id >= config.vocabSize {
            preconditionFailure("BertModel: token id \(id) out of range 0..<\(config.vocabSize)")
        }
        if useFastInference && canUseFastInference() {
            return Variable(inference(ids: ids, batch: batch, length: length, attentionMask: attentionMask, typeIDs: typeIDs))
        }
        let mask: AttentionMask
        if let m = attentionMask, m.contains(where: { $0 == 0 }) {
            mask = AttentionMask(padding: Tensor(shape: [batch, length], scalars: m.map { $0 == 0 ? 0 : 1 }))
        } else {
            mask = .none
        }
        let x = embeddings(ids: ids, batch: batch, length: length, typeIDs: typeIDs)
        return encoder(x, mask: mask)
    }

    /// Hidden states of a batch given as rows of equal length.
    public func callAsFunction(ids rows: [[Int]], attentionMask: [[Int]]? = nil) -> Variable {
        let length = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == length }, "BertModel: rows have different lengths; pad them")
        return self(ids: rows.flatMap { $0 }, batch: rows.count, length: length, attentionMask: attentionMask?.flatMap { $0 })
    }

    /// True when the result needs no graph and dropout is off.
    func canUseFastInference() -> Bool {
        let needsGraph = GradMode.isEnabled && parameters().contains { $0.requiresGrad }
        let dropoutActive = isTraining && (config.hiddenDropoutProb > 0 || config.attentionProbsDropoutProb > 0)
        return !needsGraph && !dropoutActive
    }

    /// The pooler's output [B, H] (`tanh(dense(h[:, 0]))`), or nil when the model has no pooler.
    public func pooledOutput(_ hidden: Variable) -> Variable? { pooler.map { $0(hidden) } }

    /// Mean of the hidden states over real tokens (sentence-transformers' mean pooling):
    /// sum(h * mask) / max(sum(mask), 1e-9). [B, T, H] -> [B, H]. Differentiable.
    public static func meanPool(_ hidden: Variable, attentionMask: [Int]? = nil) -> Variable {
        precondition(hidden.shape.count == 3, "meanPool expects [batch, tokens, hidden], got \(Tensor.describe(hidden.shape))")
        let (b, t) = (hidden.shape[0], hidden.shape[1])
        let m = attentionMask ?? Array(repeating: 1, count: b * t)
        precondition(m.count == b * t, "meanPool: mask has \(m.count) entries for [\(b)x\(t)]")
        let maskT = Tensor(shape: [b, t, 1], scalars: m.map { $0 == 0 ? 0 : 1 })
        var counts = [Float](repeating: 0, count: b)
        for i in 0..<b { for j in 0..<t where m[i * t + j] != 0 { counts[i] += 1 } }
        let inverse = Tensor(shape: [b, 1], scalars: counts.map { 1 / Swift.max($0, 1e-9) })
        return (hidden * Variable(maskT)).sum(axes: [1]) * Variable(inverse)
    }
}
