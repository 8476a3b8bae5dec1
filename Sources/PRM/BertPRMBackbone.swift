import Foundation
import Tensors
import Autodiff
import NN
import Datasets

/// A pretrained BERT-family encoder as the PRM backbone, with a step-scoring head.
///
/// - Causality: the encoder runs with a causal attention mask (plus the padding mask), so the
///   hidden state at position t sees tokens 0...t only, and a step's score depends only on the
///   system prompt, the question and the steps up to it. This is one pass for all steps (rather
///   than one pass per prefix, which would cost O(steps) passes); the price is that the
///   bidirectional pretraining is used in a causal way, which the cold start adapts to. Every
///   other op of a post-norm BERT block is per token, so the mask alone makes it causal.
///   (Tested: editing a later step leaves earlier scores bit-identical.)
/// - Head: logits over the WordPiece vocabulary, `h · E^T + b`, with `E` the encoder's own word
///   embeddings (tied, as BERT's masked-LM decoder) and `b` a new bias over the vocabulary
///   (`step_head.bias`, zeros). So the logit columns are token ids, `tokenizer.plusID` and
///   `minusID` (the WordPiece tokens `+` and `-`) index the two classes, and the loss, the score
///   (full-vocabulary softmax of `+`) and Instance Net read them exactly as for the generative
///   PRM. It adds only V parameters; the sentence encoder checkpoint has no MLM head to reuse.
/// - Names: `bert.*` (Hugging Face names under the `bert.` prefix that `BertModel.load` and
///   transformers accept) and `step_head.bias`; a saved checkpoint's weights therefore load back
///   as a plain encoder with `loadModel`, the extra bias being ignored.
///
/// Dropout follows the encoder's config (MiniLM: 0.1) in training mode, as fine-tuning in
/// transformers; `eval()` (the default outside the cold start and reweighting) turns it off.
public final class BertPRMBackbone: Module, PRMBackbone {
    public let bert: BertModel
    /// The vocabulary bias of the tied head, [vocab].
    public let headBias: Variable
    /// Positions used (at most the encoder's `max_position_embeddings`).
    public let maxPositions: Int

    /// A backbone around `bert` itself (its parameters are trained in place; use
    /// `init(copying:maxLength:seed:)` to leave a loaded model untouched).
    public init(bert: BertModel, maxLength: Int? = nil) {
        self.bert = bert
        self.maxPositions = Swift.min(maxLength ?? bert.config.maxPositionEmbeddings, bert.config.maxPositionEmbeddings)
        headBias = Module.makeParameter(.zeros([bert.config.vocabSize]))
        super.init()
        child("bert", bert)
        let head = Module()
        head.parameter("bias", headBias)
        child("step_head", head)
        bert.useFastInference = false  // the fused path is bidirectional; this backbone needs the causal mask
        eval()
    }

    /// A backbone with its own copy of `encoder`'s weights; `seed` seeds the dropout masks.
    public convenience init(copying encoder: BertModel, maxLength: Int? = nil, seed: UInt64 = 0) throws {
        let twin = BertModel(config: encoder.config, pooler: encoder.pooler != nil, seed: seed)
        try twin.load(stateDict: encoder.stateDict())
        self.init(bert: twin, maxLength: maxLength)
    }

    public var hiddenSize: Int { bert.config.hiddenSize }
    public var outputSize: Int { bert.config.vocabSize }

    public func hidden(ids: [Int], batch: Int, length: Int, lengths: [Int]) -> Variable {
        precondition(length <= maxPositions, "BertPRMBackbone: \(length) tokens exceed \(maxPositions) positions")
        var pad = [Float](repeating: 0, count: batch * length)
        for (b, n) in lengths.enumerated() { for t in 0..<n { pad[b * length + t] = 1 } }
        let mask = AttentionMask(causal: true, padding: Tensor(shape: [batch, length], scalars: pad))
        let x = bert.embeddings(ids: ids, batch: batch, length: length)
        return bert.encoder(x, mask: mask)
    }

    /// `h · E^T + b` as one `linear` primitive on rows [n, hidden]: the bias prefilled under the
    /// sgemm, and the gradient of the tied `E` computed straight in its own [vocab, hidden] layout,
    /// so it adds in place to the embedding lookup's gradient (through `matmul` it was the
    /// transpose of a [hidden, vocab] product, which the sum had to read with a vocab-long stride).
    public func stepLogits(_ hidden: Variable) -> Variable {
        let e = bert.embeddings.wordEmbeddings.weight
        if hidden.shape.count == 2 { return hidden.linear(weight: e, bias: headBias) }
        return hidden.matmul(e.transposed()) + headBias
    }

    public func copy() throws -> any PRMBackbone {
        let twin = try BertPRMBackbone(copying: bert, maxLength: maxPositions)
        twin.headBias.value = headBias.value.copy()
        if isTraining { twin.train() }
        return twin
    }
}

extension PRMConfig {
    /// The config a BERT-backbone PRM reports: the encoder's sizes, activation, layer-norm eps,
    /// initializer range and hidden dropout, with `maxLength` the positions the PRM uses.
    public init(bert c: BertConfig, maxLength: Int) {
        self.init(hiddenSize: c.hiddenSize, numLayers: c.numHiddenLayers, numHeads: c.numAttentionHeads,
                  intermediateSize: c.intermediateSize, maxLength: maxLength, activation: c.hiddenAct,
                  layerNormEps: c.layerNormEps, initializerRange: c.initializerRange, dropout: c.hiddenDropoutProb)
    }
}
