import Tensors
import Autodiff
import NN
import Datasets
import Support

/// The network of the PRM as an NN `Module` (so parameter names, state dicts and checkpoints
/// come from NN): `embed_tokens`, `embed_positions` (only with learned absolute positions),
/// `embed_numbers` (only with `numberFeatures`), `encoder.layer.N...` (pre-norm causal blocks)
/// with `encoder.final_layer_norm`, and `lm_head` (no bias).
public final class PRMNetwork: Module {
    public let config: PRMConfig
    public let vocabularySize: Int
    public let tokenEmbedding: Embedding
    /// nil with rotary positions.
    public let positionEmbedding: Embedding?
    /// Projects each token's numeric features (`numberFeatureTable`) into the residual stream;
    /// nil unless `config.numberFeatures`.
    public let numberEmbedding: Linear?
    /// [vocabularySize, 2]: (1, min(value, 100) / 10) for a token that is a whole number, zeros
    /// otherwise. Saturating at 100 keeps years and other large numbers of real data from
    /// dominating the embedding; the built-in benchmark's numbers are 0...20.
    public let numberFeatureTable: Tensor?
    /// The token values the table was made from.
    public let numberValues: [Int?]
    public let encoder: TransformerEncoder
    public let head: Linear

    /// `numberValues[id]` is the value of token `id` when it spells a whole number (used only
    /// with `config.numberFeatures`; `PRMNetwork.numberValues(of:)` reads them off a tokenizer).
    public init(config: PRMConfig, vocabularySize: Int, seed: UInt64, numberValues: [Int?] = []) {
        self.config = config
        self.vocabularySize = vocabularySize
        self.numberValues = numberValues
        var rng = RandomGenerator(seed: seed)
        let initialization = Initialization.normal(std: config.initializerRange)
        tokenEmbedding = Embedding(vocabularySize, config.hiddenSize, initialization: initialization, rng: &rng)
        positionEmbedding = config.positionEmbeddingType == .absolute
            ? Embedding(config.maxLength, config.hiddenSize, initialization: initialization, rng: &rng) : nil
        if config.numberFeatures {
            var table = [Float](repeating: 0, count: vocabularySize * 2)
            for (id, value) in numberValues.prefix(vocabularySize).enumerated() {
                guard let value else { continue }
                table[id * 2] = 1
                table[id * 2 + 1] = Float(min(value, 100)) / 10
            }
            numberFeatureTable = Tensor(shape: [vocabularySize, 2], scalars: table)
            numberEmbedding = Linear(2, config.hiddenSize, bias: false, initialization: initialization, rng: &rng)
        } else {
            numberFeatureTable = nil
            numberEmbedding = nil
        }
        encoder = TransformerEncoder(config: config.transformer, rng: &rng)
        head = Linear(config.hiddenSize, vocabularySize, bias: false, initialization: initialization, rng: &rng)
        super.init()
        child("embed_tokens", tokenEmbedding)
        if let positionEmbedding { child("embed_positions", positionEmbedding) }
        if let numberEmbedding { child("embed_numbers", numberEmbedding) }
        child("encoder", encoder)
        child("lm_head", head)
    }

    /// The value of every token of `tokenizer` that spells a whole number of at most 6 digits.
    public static func numberValues(of tokenizer: any Tokenizer) -> [Int?] {
        (0..<tokenizer.vocabularySize).map { id in
            let text = tokenizer.decode([id])
            guard !text.isEmpty, text.count <= 6, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(text)
        }
    }

    /// Final hidden states [B, T, C] of right-padded token rows (`ids` is B*T ids, row-major),
    /// with causal attention and padding keys masked (`lengths[b]` real tokens in row b).
    public func hidden(ids: [Int], batch: Int, length: Int, lengths: [Int]) -> Variable {
        hidden(ids: ids, batch: batch, length: length, lengths: lengths, images: nil)
    }

    /// As `hidden(ids:...)`, the token embeddings of `images.rows` replaced by the image tokens
    /// (positions and number features are added on top, as for any token).
    public func hidden(ids: [Int], batch: Int, length: Int, lengths: [Int], images: ImageTokenRows?) -> Variable {
        var x = tokenEmbedding(ids, shape: [batch, length])
        if let images { x = images.substitute(into: x) }
        if let positionEmbedding {
            let positions = (0..<batch).flatMap { _ in 0..<length }
            x = x + positionEmbedding(positions, shape: [batch, length])
        }
        if let numberEmbedding, let numberFeatureTable {
            let features = numberFeatureTable.indexSelect(axis: 0, indices: ids).reshaped([batch, length, 2])
            x = x + numberEmbedding(Variable(features))
        }
        var pad = [Float](repeating: 0, count: batch * length)
        for (b, n) in lengths.enumerated() { for t in 0..<n { pad[b * length + t] = 1 } }
        let mask = AttentionMask(causal: true, padding: Tensor(shape: [batch, length], scalars: pad))
        return encoder(x, mask: mask)
    }
}

/// A generative process reward model, as in DreamPRM-1.5: a decoder-only causal transformer over
/// the chat-templated conversation (`ChatTemplate`) with an LM head over the tokenizer vocabulary.
/// The network is a `PRMBackbone`: the decoder trained from scratch (`PRMNetwork`) or a pretrained
/// BERT encoder run causally with a head tied to its word embeddings (`BertPRMBackbone`,
/// `init(pretrained:seed:maxLength:)`); templating, label positions, loss and scoring are shared.
///
/// A step's score is the softmax probability (full softmax over the vocabulary) of the `+` token
/// at the step's label position, the position whose next-token logits predict the assistant's
/// `+`/`-`. Attention is causal, so a step's score depends only on the system prompt, the question
/// and the steps (and written labels) up to it.
///
/// Batches are right-padded to their longest member; padding keys are masked and padded rows are
/// never read. Only the label positions go through the LM head, which keeps the [positions, vocab]
/// product small.
public final class ProcessRewardModel {
    public let config: PRMConfig
    public let tokenizer: any Tokenizer
    public let network: any PRMBackbone
    /// The chat template with `maxLength = config.maxLength` (and, with a vision path, its image
    /// tokens per tile).
    public internal(set) var chatTemplate: ChatTemplate
    /// The vision path of a multimodal PRM (`attachVision`), nil for a text PRM. Its parameters
    /// are the PRM's under `vision.`; its files are in the PRM's checkpoint
    /// (ProcessRewardModel+Vision.swift).
    public internal(set) var vision: VisionTower?
    /// The tiled pictures of the instances (nil without a vision path).
    public internal(set) var images: PRMImages?
    /// What the vision path is shown: the images, blanked images, or nothing (text-only
    /// templating, exactly as a PRM without vision). Ignored without a vision path.
    public var imageMode = ImageMode.images
    /// The pretrained model a backbone PRM was built from (its directory and tokenizer files are
    /// what a checkpoint copies); nil for the generative PRM.
    public let pretrained: PretrainedModel?

    /// A freshly initialised model; the same seed gives the same weights.
    public init(config: PRMConfig, tokenizer: any Tokenizer, seed: UInt64) {
        precondition((try? config.validate()) != nil, "invalid PRM config: \(config)")
        self.config = config
        self.tokenizer = tokenizer
        self.network = PRMNetwork(config: config, vocabularySize: tokenizer.vocabularySize, seed: seed,
                                  numberValues: config.numberFeatures ? PRMNetwork.numberValues(of: tokenizer) : [])
        self.chatTemplate = ChatTemplate(tokenizer: tokenizer, maxLength: config.maxLength, labelInputs: config.labelInputs)
        self.pretrained = nil
    }

    /// A PRM over any backbone. `config` describes it (for a BERT backbone: the encoder's sizes,
    /// `maxLength` the positions used); the backbone's logit columns must be `tokenizer`'s ids.
    public init(backbone: any PRMBackbone, config: PRMConfig, tokenizer: any Tokenizer, pretrained: PretrainedModel? = nil) {
        precondition(backbone.outputSize >= tokenizer.vocabularySize,
                     "PRM: the backbone has \(backbone.outputSize) logit columns for a tokenizer of \(tokenizer.vocabularySize) tokens")
        precondition(config.maxLength <= backbone.maxPositions, "PRM: max_length \(config.maxLength) exceeds the backbone's \(backbone.maxPositions) positions")
        self.config = config
        self.tokenizer = tokenizer
        self.network = backbone
        self.chatTemplate = ChatTemplate(tokenizer: tokenizer, maxLength: config.maxLength, labelInputs: config.labelInputs)
        self.pretrained = pretrained
    }

    /// A PRM on a pretrained BERT encoder (`loadModel`): its WordPiece tokenizer, a copy of its
    /// weights run with a causal mask, and a head tied to its word embeddings (`BertPRMBackbone`).
    /// `model` itself is not changed by training. `maxLength` (default: the model's limit, 512 for
    /// BERT) bounds the templated conversation; `seed` seeds the dropout masks.
    public convenience init(pretrained model: PretrainedModel, seed: UInt64 = 0, maxLength: Int? = nil) throws {
        let limit = Swift.min(maxLength ?? model.maxLength, model.maxLength)
        guard limit >= 8 else { throw PRMError.invalidConfig("max_length \(limit) is too short for a conversation (at least 8)") }
        let backbone = try BertPRMBackbone(copying: model.encoder, maxLength: limit, seed: seed)
        self.init(backbone: backbone, config: PRMConfig(bert: model.encoder.config, maxLength: limit), tokenizer: model.tokenizer, pretrained: model)
    }

    /// A PRM on a pretrained llama-family language model (`loadLanguageModel`): its byte-level
    /// BPE tokenizer (`+`/`-` are the model's own tokens), a copy of its weights
    /// (`LlamaPRMBackbone`; `model` is not changed by training) and its own LM head, so p(+) is
    /// the model's next-token probability at each label position. `maxLength` (default: the
    /// model's context, capped at 2048) bounds the templated conversation; `trainableLayers`
    /// chooses the trainable set (nil: everything; see `LlamaPRMBackbone`).
    public convenience init(languageModel model: PretrainedLanguageModel, maxLength: Int? = nil,
                            trainableLayers: Int? = nil) throws {
        let limit = Swift.min(maxLength ?? Swift.min(model.maxLength, 2048), model.maxLength)
        guard limit >= 8 else { throw PRMError.invalidConfig("max_length \(limit) is too short for a conversation (at least 8)") }
        let backbone = try LlamaPRMBackbone(copying: model.model, source: model.source, maxLength: limit, trainableLayers: trainableLayers)
        var config = PRMConfig(llama: model.config, maxLength: limit)
        config.recommendedColdStart = nil
        self.init(backbone: backbone, config: config, tokenizer: model.tokenizer)
    }

    /// An independent copy: same backbone kind, weights and tokenizer (e.g. to branch a cold-started PRM).
    public func copy() throws -> ProcessRewardModel {
        let twin = ProcessRewardModel(backbone: try network.copy(), config: config, tokenizer: tokenizer, pretrained: pretrained)
        if let vision, let images {
            twin.setVision(try vision.copy(), maxTiles: images.tiling.maxTiles)
            twin.images = images
        }
        twin.imageMode = imageMode
        return twin
    }

    /// True when the network is a pretrained BERT encoder.
    public var isPretrainedBackbone: Bool { network is BertPRMBackbone }
    /// True when the network is a pretrained llama-family language model.
    public var isLanguageModelBackbone: Bool { network is LlamaPRMBackbone }

    /// A model from a named preset (`PRMConfig.preset`).
    public convenience init(preset: String, tokenizer: any Tokenizer, seed: UInt64) throws {
        self.init(config: try PRMConfig.preset(preset), tokenizer: tokenizer, seed: seed)
    }

    /// Every trainable parameter, in `namedParameters` order (what optimizers update; a backbone
    /// with frozen blocks leaves them out).
    public var parameters: [Variable] { namedParameters.map(\.1) }
    /// Trainable parameters with their dotted names (`encoder.layer.0.attention.self.query.weight`, ...).
    /// The vision path's follow under `vision.`.
    public var namedParameters: [(String, Variable)] {
        network.trainableNamedParameters + (vision?.namedParameters(prefix: "vision.") ?? [])
    }
    /// Scalars of every parameter, frozen ones included.
    public var parameterCount: Int { network.parameterCount + (vision?.parameterCount ?? 0) }
    public var vocabularySize: Int { network.outputSize }

    // MARK: Templating

    /// Training mode: input turns per `config.labelInputs`, labels kept (soft ones exactly).
    /// With a vision path the instance's image is in the question turn (per `imageMode`).
    public func template(_ instance: PRMInstance) -> TemplatedInstance {
        chatTemplate.encode(instance, image: templatePixels(instance.image))
    }
    /// Scoring mode (placeholder `+`s; the whole-solution label is the meta instance's).
    public func template(_ meta: MetaInstance) -> TemplatedInstance { chatTemplate.encode(meta, image: templatePixels(meta.image)) }
    /// Scoring mode for one candidate of a test question.
    public func template(_ set: CandidateSet, candidate index: Int) -> TemplatedInstance {
        chatTemplate.encode(set, candidate: index, image: templatePixels(set.image))
    }
    /// Scoring mode for arbitrary steps.
    public func template(question: String, steps: [String], systemPrompt: String = Datasets.defaultSystemPrompt,
                         image: String? = nil) -> TemplatedInstance {
        chatTemplate.encode(systemPrompt: systemPrompt, question: question, steps: steps, labels: nil, image: templatePixels(image))
    }

    // MARK: Forward

    /// Logits at every label position of the batch, stacked: [total positions, vocab], and the
    /// number of positions of each instance. One padded forward for the whole batch.
    public func stackedLabelLogits(_ batch: [TemplatedInstance]) -> (logits: Variable, counts: [Int]) {
        let f = forward(batch, languageModel: false)
        return (f.logits, f.counts)
    }

    /// What one training forward gives.
    public struct TrainingForward {
        /// Logits at every label position, stacked [total positions, vocab].
        public var logits: Variable
        /// Label positions per instance.
        public var counts: [Int]
        /// Mean next-token cross-entropy over the text (nil unless asked, or when the batch has no label position; see `forward`).
        public var languageModelLoss: Variable?
    }

    /// One padded forward for the whole batch: the label logits and, with `languageModel`, the
    /// language-model loss: the mean cross-entropy of predicting each next token of the
    /// conversation at every position except the label positions and the last one (the label
    /// tokens themselves are the step loss's business). The PRM of the reference starts from a
    /// pretrained language model that already predicts text, arithmetic included; a PRM trained
    /// from scratch gets that knowledge from this auxiliary loss (docs/prm.md has the measurement).
    public func forward(_ batch: [TemplatedInstance], languageModel: Bool) -> TrainingForward {
        let counts = batch.map(\.labelPositions.count)
        let total = counts.reduce(0, +)
        let v = vocabularySize
        guard !batch.isEmpty, total > 0 else {
            return TrainingForward(logits: Variable(Tensor.zeros([0, v])), counts: counts, languageModelLoss: nil)
        }
        // Instances without label positions still take part (their rows are simply not read);
        // dropping them would save little and complicate the bookkeeping.
        let length = batch.map(\.tokens.count).max()!
        precondition(length <= config.maxLength,
                     "PRM: a templated instance has \(length) tokens, more than max_length \(config.maxLength) (template it with prm.template, which truncates)")
        var ids = [Int](repeating: tokenizer.padID, count: batch.count * length)
        var rows: [Int] = []
        rows.reserveCapacity(total)
        for (b, inst) in batch.enumerated() {
            for (t, id) in inst.tokens.enumerated() {
                precondition(id >= 0 && id < v, "PRM: token id \(id) outside the vocabulary of \(v)")
                ids[b * length + t] = id
            }
            for p in inst.labelPositions {
                precondition(p >= 0 && p < inst.tokens.count, "PRM: label position \(p) outside \(inst.tokens.count) tokens")
                rows.append(b * length + p)
            }
        }
        // Image tokens (one vision forward over every tile of the batch) replace the
        // `<IMG_CONTEXT>` embeddings; a text batch takes the text path unchanged.
        let images = imageTokenRows(batch, length: length)
        let h = network.hidden(ids: ids, batch: batch.count, length: length, lengths: batch.map(\.tokens.count), images: images)
            .reshaped([batch.count * length, network.hiddenSize])
        let logits = network.stepLogits(h.indexSelect(axis: 0, indices: rows))
        return TrainingForward(logits: logits, counts: counts,
                               languageModelLoss: languageModel ? nextTokenLoss(hidden: h, batch: batch, length: length) : nil)
    }

    /// Mean next-token cross-entropy at the text positions of `forward` (nil when there are none).
    private func nextTokenLoss(hidden h: Variable, batch: [TemplatedInstance], length: Int) -> Variable? {
        var rows: [Int] = [], targets: [Int] = []
        for (b, inst) in batch.enumerated() {
            // Image positions hold placeholders, not text: neither predicted nor used to predict.
            let image = Set(inst.imagePositions)
            let labelPositions = Set(inst.labelPositions)
            for t in 0..<max(0, inst.tokens.count - 1) where !labelPositions.contains(t) && !image.contains(t) && !image.contains(t + 1) {
                rows.append(b * length + t)
                targets.append(inst.tokens[t + 1])
            }
        }
        guard !rows.isEmpty else { return nil }
        let v = vocabularySize
        let logp = network.stepLogits(h.indexSelect(axis: 0, indices: rows)).logSoftmax()
        // -1/n at each row's target: the sum is the mean negative log-likelihood.
        var coefficients = [Float](repeating: 0, count: rows.count * v)
        for (r, y) in targets.enumerated() { coefficients[r * v + y] = -1 / Float(rows.count) }
        return (logp * Variable(Tensor(shape: [rows.count, v], scalars: coefficients))).sum()
    }

    /// For each instance, its logits at its label positions: [numLabelPositions, vocab]
    /// (an instance with no label position gets [0, vocab]). Losses are built from these.
    public func labelLogits(_ batch: [TemplatedInstance]) -> [Variable] {
        let (logits, counts) = stackedLabelLogits(batch)
        return splitLabelLogits(logits, counts)
    }

    /// Splits stacked label logits [total, vocab] into one Variable per instance.
    public func splitLabelLogits(_ stacked: Variable, _ counts: [Int]) -> [Variable] {
        var start = 0
        return counts.map { n in
            defer { start += n }
            if n == 0 { return Variable(Tensor.zeros([0, vocabularySize])) }
            return stacked.sliced(axis: 0, start: start, end: start + n)
        }
    }

    /// p(+) at every label position (full softmax over the vocabulary), without recording a graph.
    public func stepScores(_ batch: [TemplatedInstance]) -> [[Float]] {
        noGrad {
            let (logits, counts) = stackedLabelLogits(batch)
            if logits.shape[0] == 0 { return counts.map { _ in [] } }
            let probs = logits.value.softmax().selecting(axis: 1, index: tokenizer.plusID).toArray()
            var start = 0
            return counts.map { n in
                defer { start += n }
                return Array(probs[start..<(start + n)])
            }
        }
    }

    /// Scores many instances in batches of about `tokensPerBatch` tokens (padded size), grouping
    /// instances of similar length to waste little on padding. Results are in input order.
    public func stepScores(_ instances: [TemplatedInstance], tokensPerBatch: Int = 8192) -> [[Float]] {
        stepScores(instances, tokensPerBatch: tokensPerBatch, shouldStop: { false })!
    }

    /// As `stepScores(_:tokensPerBatch:)`, checking `shouldStop` before every batch (Ctrl-C): nil
    /// when it stopped. Under mpirun the batches are shared out over the ranks and the scores
    /// gathered (`shardedScores`, docs/distributed.md): every rank must call it.
    public func stepScores(_ instances: [TemplatedInstance], tokensPerBatch: Int = 8192, shouldStop: () -> Bool) -> [[Float]]? {
        let batches = scoringBatches(instances, tokensPerBatch: tokensPerBatch)
        return shardedScores(instances, batches: batches) { chunk in
            if shouldStop() { return nil }
            return stepScores(chunk.map { instances[$0] })
        }
    }

    /// Batches of about `tokensPerBatch` tokens (padded size) of instance indices, grouping
    /// instances of similar length to waste little on padding.
    func scoringBatches(_ instances: [TemplatedInstance], tokensPerBatch: Int) -> [[Int]] {
        let order = instances.indices.sorted { instances[$0].tokens.count < instances[$1].tokens.count || (instances[$0].tokens.count == instances[$1].tokens.count && $0 < $1) }
        var batches: [[Int]] = []
        var k = 0
        while k < order.count {
            var end = k + 1
            while end < order.count, instances[order[end]].tokens.count * (end - k + 1) <= tokensPerBatch { end += 1 }
            batches.append(Array(order[k..<end]))
            k = end
        }
        return batches
    }

    /// Step scores of every candidate of every set: `[set][candidate][step]`.
    public func candidateScores(_ sets: [CandidateSet], tokensPerBatch: Int = 8192) -> [[[Float]]] {
        candidateScores(sets, tokensPerBatch: tokensPerBatch, shouldStop: { false })!
    }

    /// As `candidateScores(_:tokensPerBatch:)`, checking `shouldStop` before every batch: nil when it stopped.
    public func candidateScores(_ sets: [CandidateSet], tokensPerBatch: Int = 8192, shouldStop: () -> Bool) -> [[[Float]]]? {
        var flat: [TemplatedInstance] = []
        for s in sets { for c in s.candidates.indices { flat.append(template(s, candidate: c)) } }
        guard let scores = stepScores(flat, tokensPerBatch: tokensPerBatch, shouldStop: shouldStop) else { return nil }
        var k = 0
        return sets.map { s in
            s.candidates.indices.map { _ in defer { k += 1 }; return scores[k] }
        }
    }

    // MARK: Losses

    /// Cross-entropy per instance at its label positions, averaged over those positions.
    ///
    /// With the full-vocabulary log-softmax `log p` at a label position and target `y` (the step
    /// label, 1 for `+`, 0 for `-`, anything in between for a soft label):
    ///     CE = -(y * log p(+) + (1 - y) * log p(-))
    /// which for hard labels is the ordinary token cross-entropy of the reference. Probability
    /// mass on other tokens is never a target, so the minimum of a soft CE is reached with
    /// p(+) = y and p(-) = 1 - y. An instance with no label position gives a constant 0.
    public func perInstanceLoss(_ batch: [TemplatedInstance]) -> [Variable] {
        let (logits, counts) = stackedLabelLogits(batch)
        return perInstanceLoss(batch, stacked: logits, counts: counts)
    }

    /// `perInstanceLoss` from label logits already computed, so one forward can serve both the
    /// loss and a reader of the logits (Instance Net).
    public func perInstanceLoss(_ batch: [TemplatedInstance], stacked logits: Variable, counts: [Int]) -> [Variable] {
        if logits.shape[0] == 0 { return counts.map { _ in Variable(Tensor(0)) } }
        let logp = logits.logSoftmax().indexSelect(axis: 1, indices: [tokenizer.plusID, tokenizer.minusID]) // [N, 2]
        // Coefficients -y/n and -(1-y)/n per row, so a per-instance sum is a mean over its positions.
        var coefficients: [Float] = []
        for (inst, n) in zip(batch, counts) {
            precondition(inst.labels.count == n, "PRM: \(n) label positions but \(inst.labels.count) labels")
            for y in inst.labels { coefficients += [-y / Float(n), -(1 - y) / Float(n)] }
        }
        let perRow = (logp * Variable(Tensor(shape: [logits.shape[0], 2], scalars: coefficients))).sum(axes: [1])  // [N]
        var start = 0
        return counts.map { n in
            defer { start += n }
            if n == 0 { return Variable(Tensor(0)) }
            return perRow.sliced(axis: 0, start: start, end: start + n).sum()
        }
    }

    /// Mean of `perInstanceLoss` over the batch, plus `languageModelWeight` times the
    /// language-model loss of `forward` when it is positive (the cold-start loss).
    public func meanLoss(_ batch: [TemplatedInstance], languageModelWeight: Float = 0) -> Variable {
        let f = forward(batch, languageModel: languageModelWeight > 0)
        let losses = perInstanceLoss(batch, stacked: f.logits, counts: f.counts)
        var total = losses[0]
        for l in losses.dropFirst() { total = total + l }
        let mean = total / Float(losses.count)
        guard let lm = f.languageModelLoss else { return mean }
        return mean + lm * languageModelWeight
    }
}
