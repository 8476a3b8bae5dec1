/// A conversation turned into tokens, with where the PRM reads its step scores.
public struct TemplatedInstance: Sendable, Equatable {
    public var tokens: [Int]
    /// For each kept step, the index of the token whose next-token logits predict the assistant's
    /// `+`/`-` (the token right before the label token).
    public var labelPositions: [Int]
    /// Target probability of `+` per kept step (training); for scoring the given labels or 1.
    public var labels: [Float]
    /// Steps dropped from the end to respect the maximum length.
    public var truncatedSteps: Int
    /// The image's tiles when the conversation holds one (nil for text).
    public var pixels: ImagePixels?
    /// Positions of the `<IMG_CONTEXT>` tokens, in order (the tokens of tile 0, then tile 1, ...):
    /// the PRM puts the image-token embeddings there. Empty without an image; a header cut by
    /// `maxLength` keeps only the positions that fit (the first image tokens).
    public var imagePositions: [Int]

    public init(tokens: [Int], labelPositions: [Int], labels: [Float], truncatedSteps: Int = 0,
                pixels: ImagePixels? = nil, imagePositions: [Int] = []) {
        self.tokens = tokens
        self.labelPositions = labelPositions
        self.labels = labels
        self.truncatedSteps = truncatedSteps
        self.pixels = pixels
        self.imagePositions = imagePositions
    }
}

/// The InternVL2.5 / Qwen chat template of the DreamPRM-1.5 reference:
///
///     <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n
///     then per step:
///     <|im_start|>user\n{step}<|im_end|>\n<|im_start|>assistant\n{+ or -}<|im_end|>\n
///
/// Each segment is tokenised separately, so a label position never depends on how the tokenizer
/// would merge across segment boundaries.
///
/// With an image (`encode(..., image:)`, `imageTokensPerTile` > 0) the question turn starts as
/// InternVL's does after it replaces `<image>`: `<img>`, `imageTokensPerTile` x tiles
/// `<IMG_CONTEXT>` tokens (all tiles inside one `<img>...</img>`, as InternVL's
/// `IMG_START_TOKEN + IMG_CONTEXT_TOKEN * num_image_token * num_patches + IMG_END_TOKEN`), `</img>`,
/// then `\n{question}` (InternVL prepends `<image>\n` to the question when the text has no
/// `<image>`). `<img>` and `</img>` are tokenised as text; the context tokens are
/// placeholders (`imageContextID`) whose embeddings the PRM replaces by the image tokens, and
/// their positions are recorded in `imagePositions`.
///
/// What the assistant turns hold in the input is `labelInputs`. Scoring mode (meta, test) always
/// writes `+` placeholders, since the labels are what is being predicted: a step's score depends
/// on the tokens up to its label position, which include the assistant turns of earlier steps.
/// In training mode the reference writes each step's label there (`+` when its label is at least
/// 0.5, else `-`: teacher forcing, `.labels`, the default), so a step's score is the probability
/// that it is right given that the earlier ones are: the model learns "the step after a `-` is
/// `-`" from the input and, scored with placeholders, rates the steps after a first error like
/// correct ones; `prod` (or `min`) aggregation turns these conditional scores into the probability
/// that the whole solution is right. `.placeholder` writes `+` in training too, so that the model
/// must find earlier errors itself (slower to learn, measured in docs/prm.md). A soft label's
/// exact value is kept in `labels` for the loss either way.
///
/// Truncation (`maxLength`): the conversation is cut after the last step whose whole assistant
/// turn (through its `<|im_end|>\n`) fits; later steps and their labels are dropped and counted
/// in `truncatedSteps`. If not even the first step fits, the result is the first `maxLength`
/// tokens of the header (system prompt and question) with no label position (such a sample
/// contributes 0 to the loss).
public struct ChatTemplate: Sendable {
    /// What the assistant turns of the input hold in training mode.
    public enum LabelInputs: String, Codable, Sendable, CaseIterable {
        /// `+` in every turn, as in scoring mode (the label is only the loss target).
        case placeholder
        /// Each step's own label (teacher forcing, as the reference's training data).
        case labels
    }

    /// Texts every templated conversation holds besides the data (role names and label
    /// tokens): a tokenizer trained for this template must see them, or it spells them letter
    /// by letter and every step costs a dozen more positions.
    public static let templateTexts = ["system\n", "user\n", "assistant\n", "+", "-"]

    public let tokenizer: any Tokenizer
    public var maxLength: Int?
    public var labelInputs: LabelInputs
    /// Image tokens per tile (the vision path's `tokensPerTile`); 0: images are not templated.
    public var imageTokensPerTile = 0

    /// InternVL's image markers.
    public static let imageStart = "<img>", imageEnd = "</img>"
    /// The id written at each `<IMG_CONTEXT>` position (the padding id: it is never read, since
    /// its embedding is replaced, and the language-model loss skips those positions).
    public var imageContextID: Int { tokenizer.padID }

    public init(tokenizer: any Tokenizer, maxLength: Int? = nil, labelInputs: LabelInputs = .labels) {
        self.tokenizer = tokenizer
        self.maxLength = maxLength
        self.labelInputs = labelInputs
    }

    /// Tokens of system prompt and question.
    public func header(systemPrompt: String, question: String) -> [Int] {
        let t = tokenizer
        return [t.imStartID] + t.encode("system\n" + systemPrompt) + [t.imEndID] + t.encode("\n")
            + [t.imStartID] + t.encode("user\n" + question) + [t.imEndID] + t.encode("\n")
    }

    /// Tokens of system prompt and question with the image's tokens at the start of the question
    /// turn, and the positions of the `<IMG_CONTEXT>` tokens.
    public func header(systemPrompt: String, question: String, imageTiles: Int) -> (tokens: [Int], imagePositions: [Int]) {
        let t = tokenizer
        var tokens = [t.imStartID] + t.encode("system\n" + systemPrompt) + [t.imEndID] + t.encode("\n")
            + [t.imStartID] + t.encode("user\n") + t.encode(Self.imageStart)
        let first = tokens.count
        let count = imageTiles * imageTokensPerTile
        tokens += [Int](repeating: imageContextID, count: count)
        tokens += t.encode(Self.imageEnd) + t.encode("\n" + question) + [t.imEndID] + t.encode("\n")
        return (tokens, Array(first..<(first + count)))
    }

    /// Tokens of one step turn and its assistant answer, and the offset (within them) of the label token.
    public func stepTokens(_ step: String, labelToken: Int) -> (tokens: [Int], labelOffset: Int) {
        let t = tokenizer
        var out = [t.imStartID] + t.encode("user\n" + step) + [t.imEndID] + t.encode("\n")
            + [t.imStartID] + t.encode("assistant\n")
        let offset = out.count
        out += [labelToken, t.imEndID] + t.encode("\n")
        return (out, offset)
    }

    /// Templates a conversation. `labels` nil means scoring mode (placeholder `+`, labels all 1).
    /// With `image` (and `imageTokensPerTile` > 0) the question turn holds its tokens (see the type's doc).
    public func encode(systemPrompt: String, question: String, steps: [String], labels: [Float]?,
                       image: ImagePixels? = nil) -> TemplatedInstance {
        precondition(labels == nil || labels!.count == steps.count, "one label per step")
        var tokens: [Int]
        var imagePositions: [Int] = []
        let pixels = imageTokensPerTile > 0 ? image : nil
        if let pixels {
            (tokens, imagePositions) = header(systemPrompt: systemPrompt, question: question, imageTiles: pixels.tiles)
        } else {
            tokens = header(systemPrompt: systemPrompt, question: question)
        }
        var positions: [Int] = []
        var kept: [Float] = []
        for (k, step) in steps.enumerated() {
            let label = labels?[k] ?? 1
            let writesLabel = labels != nil && labelInputs == .labels
            let labelToken = !writesLabel || label >= 0.5 ? tokenizer.plusID : tokenizer.minusID
            let (piece, offset) = stepTokens(step, labelToken: labelToken)
            if let maxLength, tokens.count + piece.count > maxLength {
                if positions.isEmpty {
                    tokens = Array(tokens.prefix(maxLength))
                    imagePositions = imagePositions.filter { $0 < maxLength }
                }
                return TemplatedInstance(tokens: tokens, labelPositions: positions, labels: kept,
                                         truncatedSteps: steps.count - k, pixels: imagePositions.isEmpty ? nil : pixels,
                                         imagePositions: imagePositions)
            }
            positions.append(tokens.count + offset - 1)
            kept.append(label)
            tokens += piece
        }
        return TemplatedInstance(tokens: tokens, labelPositions: positions, labels: kept, pixels: pixels,
                                 imagePositions: imagePositions)
    }

    /// Training mode for a step-labelled instance (input turns per `labelInputs`).
    public func encode(_ instance: PRMInstance, image: ImagePixels? = nil) -> TemplatedInstance {
        encode(systemPrompt: instance.systemPrompt, question: instance.question, steps: instance.steps, labels: instance.labels,
               image: image)
    }

    /// Scoring mode for a meta instance (labels all 1; the whole-solution label is `meta.label`).
    public func encode(_ meta: MetaInstance, image: ImagePixels? = nil) -> TemplatedInstance {
        encode(systemPrompt: meta.systemPrompt, question: meta.question, steps: meta.steps, labels: nil, image: image)
    }

    /// Scoring mode for candidate `index` of a test question.
    public func encode(_ set: CandidateSet, candidate index: Int, image: ImagePixels? = nil) -> TemplatedInstance {
        encode(systemPrompt: set.systemPrompt, question: set.question, steps: set.candidateSteps[index], labels: nil, image: image)
    }
}
