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

    public init(tokens: [Int], labelPositions: [Int], labels: [Float], truncatedSteps: Int = 0) {
        self.tokens = tokens
        self.labelPositions = labelPositions
        self.labels = labels
        self.truncatedSteps = truncatedSteps
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
    public func encode(systemPrompt: String, question: String, steps: [String], labels: [Float]?) -> TemplatedInstance {
        precondition(labels == nil || labels!.count == steps.count, "one label per step")
        var tokens = header(systemPrompt: systemPrompt, question: question)
        var positions: [Int] = []
        var kept: [Float] = []
        for (k, step) in steps.enumerated() {
            let label = labels?[k] ?? 1
            let writesLabel = labels != nil && labelInputs == .labels
            let labelToken = !writesLabel || label >= 0.5 ? tokenizer.plusID : tokenizer.minusID
            let (piece, offset) = stepTokens(step, labelToken: labelToken)
            if let maxLength, tokens.count + piece.count > maxLength {
                if positions.isEmpty { tokens = Array(tokens.prefix(maxLength)) }
                return TemplatedInstance(tokens: tokens, labelPositions: positions, labels: kept,
                                         truncatedSteps: steps.count - k)
            }
            positions.append(tokens.count + offset - 1)
            kept.append(label)
            tokens += piece
        }
        return TemplatedInstance(tokens: tokens, labelPositions: positions, labels: kept)
    }

    /// Training mode for a step-labelled instance (input turns per `labelInputs`).
    public func encode(_ instance: PRMInstance) -> TemplatedInstance {
        encode(systemPrompt: instance.systemPrompt, question: instance.question, steps: instance.steps, labels: instance.labels)
    }

    /// Scoring mode for a meta instance (labels all 1; the whole-solution label is `meta.label`).
    public func encode(_ meta: MetaInstance) -> TemplatedInstance {
        encode(systemPrompt: meta.systemPrompt, question: meta.question, steps: meta.steps, labels: nil)
    }

    /// Scoring mode for candidate `index` of a test question.
    public func encode(_ set: CandidateSet, candidate index: Int) -> TemplatedInstance {
        encode(systemPrompt: set.systemPrompt, question: set.question, steps: set.candidateSteps[index], labels: nil)
    }
}
