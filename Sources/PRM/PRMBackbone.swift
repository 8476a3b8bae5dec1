import Foundation
import Tensors
import Autodiff
import NN
import Datasets

/// The network under a `ProcessRewardModel`: an NN `Module` (so parameters, named parameters,
/// state dicts, train/eval and optimizers come from NN) that turns a padded batch of token rows
/// into hidden states, and hidden states at label positions into logits.
///
/// Everything else of the PRM (chat template, label positions, loss, scoring, batching) is shared
/// by every backbone. Two conformers:
/// - `PRMNetwork`: the generative decoder trained from scratch (rotary or learned positions, pre-norm
///   causal blocks, LM head over the word tokenizer's vocabulary);
/// - `BertPRMBackbone`: a pretrained BERT encoder run with a causal attention mask, and a head
///   tied to its word embeddings (logits over the WordPiece vocabulary).
///
/// Contract (the PRM relies on it):
/// - `hidden` is causal: row b's state at position t depends only on tokens 0...t of row b
///   (so a step's score depends only on the conversation up to its label position);
/// - `stepLogits` maps [N, hiddenSize] to [N, outputSize] and the logit columns are token ids of
///   the PRM's tokenizer, so `tokenizer.plusID` / `minusID` index the `+` and `-` classes.
public protocol PRMBackbone: Module {
    /// Width of the hidden states `hidden` returns.
    var hiddenSize: Int { get }
    /// Number of logit columns (the tokenizer's vocabulary size).
    var outputSize: Int { get }
    /// The longest row `hidden` accepts (number of positions).
    var maxPositions: Int { get }
    /// Final hidden states [B, T, hiddenSize] of right-padded rows (`ids` is B*T ids, row-major;
    /// `lengths[b]` real tokens in row b, the rest is padding that must not be attended to).
    func hidden(ids: [Int], batch: Int, length: Int, lengths: [Int]) -> Variable
    /// As `hidden(ids:batch:length:lengths:)`, with the token embeddings of the rows `images.rows`
    /// replaced by `images.values` (the image tokens of a multimodal PRM, at the `<IMG_CONTEXT>`
    /// positions) before the first block. nil: exactly `hidden(ids:...)`. A backbone that cannot
    /// take image tokens says so in `acceptsImageTokens`.
    func hidden(ids: [Int], batch: Int, length: Int, lengths: [Int], images: ImageTokenRows?) -> Variable
    /// Whether `hidden(..., images:)` accepts image tokens (the PRM refuses a vision path otherwise).
    var acceptsImageTokens: Bool { get }
    /// Logits [N, outputSize] from hidden states [N, hiddenSize] picked at label positions.
    func stepLogits(_ hidden: Variable) -> Variable
    /// An independent network with the same architecture and weights (nothing shared).
    func copy() throws -> any PRMBackbone
    /// The parameters training updates, with their names (a subset of `namedParameters()` when
    /// the backbone freezes some; every parameter by default).
    var trainableNamedParameters: [(String, Variable)] { get }
}

extension PRMBackbone {
    public var trainableNamedParameters: [(String, Variable)] { namedParameters() }
    public var acceptsImageTokens: Bool { false }
    public func hidden(ids: [Int], batch: Int, length: Int, lengths: [Int], images: ImageTokenRows?) -> Variable {
        precondition(images == nil, "\(type(of: self)) does not take image tokens")
        return hidden(ids: ids, batch: batch, length: length, lengths: lengths)
    }
}

/// Image-token embeddings and where they go in a padded batch: `rows[k]` is the flat position
/// b * length + t of the k-th `<IMG_CONTEXT>` token, `values` [rows.count, hiddenSize] its embedding.
public struct ImageTokenRows {
    public var rows: [Int]
    public var values: Variable

    public init(rows: [Int], values: Variable) {
        precondition(values.shape.count == 2 && values.shape[0] == rows.count,
                     "ImageTokenRows: \(rows.count) rows for values of shape \(Tensor.describe(values.shape))")
        self.rows = rows
        self.values = values
    }

    /// `embeddings` [B, T, C] with the image rows replaced: one gather from the embeddings
    /// stacked over the image tokens, so the gradient reaches both (a replaced token embedding
    /// gets none, as it no longer takes part).
    public func substitute(into embeddings: Variable) -> Variable {
        let shape = embeddings.shape
        let n = shape[0] * shape[1]
        let flat = embeddings.reshaped([n, shape[2]])
        var index = Array(0..<n)
        for (k, r) in rows.enumerated() {
            precondition(r >= 0 && r < n, "ImageTokenRows: row \(r) outside \(n) positions")
            index[r] = n + k
        }
        return Variable.concat([flat, values], axis: 0).indexSelect(axis: 0, indices: index).reshaped(shape)
    }
}

extension PRMNetwork: PRMBackbone {
    public var acceptsImageTokens: Bool { true }
    public var hiddenSize: Int { config.hiddenSize }
    public var outputSize: Int { vocabularySize }
    public var maxPositions: Int { config.maxLength }
    public func stepLogits(_ hidden: Variable) -> Variable { head(hidden) }
    public func copy() throws -> any PRMBackbone {
        let twin = PRMNetwork(config: config, vocabularySize: vocabularySize, seed: 0, numberValues: numberValues)
        try twin.load(stateDict: stateDict())
        if !isTraining { twin.eval() }
        return twin
    }
}
