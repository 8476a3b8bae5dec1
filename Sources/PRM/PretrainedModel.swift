import Foundation
import Tensors
import Autodiff
import NN
import Datasets

/// A pretrained text encoder: a `BertModel` with its WordPiece tokenizer, as loaded from a
/// Hugging Face-style directory by `loadModel(path:)`.
///
/// It lives here rather than in `NN` because it joins the two layers (`NN` cannot see the
/// tokenizers of `Datasets`), and this is where the PRM will take it as a backbone.
public final class PretrainedModel {
    /// The directory it was loaded from.
    public let directory: String
    public let encoder: BertModel
    public let tokenizer: WordPieceTokenizer

    public init(directory: String, encoder: BertModel, tokenizer: WordPieceTokenizer) {
        self.directory = directory
        self.encoder = encoder
        self.tokenizer = tokenizer
    }

    /// Width of the hidden states.
    public var hiddenSize: Int { encoder.config.hiddenSize }
    /// The longest input the model takes (the tokenizer's limit and the position table's).
    public var maxLength: Int { Swift.min(tokenizer.modelMaxLength, encoder.config.maxPositionEmbeddings) }

    /// Token ids of `text` with `[CLS]` and `[SEP]` (no truncation).
    public func tokenize(_ text: String) -> [Int] { tokenizer.tokenize(text) }

    /// The last hidden state of `text`, [tokens x hidden] (`[CLS]` and `[SEP]` included; the text is
    /// truncated to `maxLength` tokens). Computed without a graph.
    public func encode(_ text: String) -> Tensor {
        let e = tokenizer.encoding(text, maxLength: maxLength)
        let h = noGrad { encoder(ids: e.ids, batch: 1, length: e.ids.count, attentionMask: e.attentionMask, typeIDs: e.typeIDs) }
        return h.value.reshaped([e.ids.count, hiddenSize])
    }

    /// Hidden states [B, T, H] of `texts` padded to the longest (or to `padding`), with the
    /// encoding used. Records a graph when the encoder's parameters require gradients and
    /// recording is on (fine-tuning); use `noGrad` for inference.
    public func forward(_ texts: [String], maxLength: Int? = nil, padding: WordPiecePadding = .longest) -> (hidden: Variable, batch: WordPieceBatch) {
        let batch = tokenizer.encodeBatch(texts, maxLength: Swift.min(maxLength ?? self.maxLength, self.maxLength), padding: padding)
        let hidden = encoder(ids: batch.flatIDs, batch: batch.count, length: batch.length,
                             attentionMask: batch.flatMask, typeIDs: batch.encodings.flatMap(\.typeIDs))
        return (hidden, batch)
    }

    /// Mean-pooled sentence embeddings [B, H] (sentence-transformers' pooling over real tokens).
    public func embed(_ texts: [String], maxLength: Int? = nil) -> Tensor {
        noGrad {
            let (h, batch) = forward(texts, maxLength: maxLength)
            return BertModel.meanPool(h, attentionMask: batch.flatMask).value
        }
    }

    /// Writes the encoder (`config.json`, `model.safetensors`) and the tokenizer files of the
    /// source directory into `directory`, which `loadModel(path:)` reads back.
    public func save(directory target: String, dtype: SafetensorsDType = .F32) throws {
        var extra: [String: Data] = [:]
        for name in ["tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"] {
            if let d = FileManager.default.contents(atPath: directory + "/" + name) { extra[name] = d }
        }
        try encoder.save(checkpoint: target, config: encoder.config, dtype: dtype, extraFiles: extra)
    }
}

/// Loads a pretrained BERT-family model with its tokenizer from a directory path or a model
/// name (`minilm-l6-v2`) found in the model cache or the shared models (see `ModelStore`).
/// Reads `config.json`, `model.safetensors` and `tokenizer.json` (else `vocab.txt`).
public func loadModel(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PretrainedModel {
    let dir = try ModelStore.resolve(path, environment: environment)
    let encoder = try BertModel.load(directory: dir)
    let tokenizer = try WordPieceTokenizer.load(directory: dir)
    guard tokenizer.vocabularySize <= encoder.config.vocabSize else {
        throw CheckpointError(path: dir, problem: "the tokenizer has \(tokenizer.vocabularySize) tokens but the model's vocab_size is \(encoder.config.vocabSize)")
    }
    return PretrainedModel(directory: dir, encoder: encoder, tokenizer: tokenizer)
}
