import Foundation
import Lang
import Datasets
import PRM

/// A process reward model in the language.
public final class PRMValue: TabledObject {
    public let prm: ProcessRewardModel
    public init(_ prm: ProcessRewardModel) { self.prm = prm }
    public var typeName: String { "prm" }
    public var summary: String {
        let c = prm.config
        let kind = prm.isPretrainedBackbone ? "prm (pretrained BERT backbone, causal)"
            : prm.isLanguageModelBackbone ? "prm (pretrained \((prm.network as! LlamaPRMBackbone).config.architecture.rawValue) language model)" : "prm"
        let vision = prm.vision.map { v in ", vision \(v.config.numHiddenLayers)-block ViT (\(v.config.tokensPerTile) tokens per \(v.config.imageSize)-pixel tile)" } ?? ""
        return "\(kind)\(vision): \(c.numLayers) layers, hidden \(c.hiddenSize), \(c.numHeads) heads, vocab \(prm.vocabularySize), \(prm.parameterCount) parameters"
    }

    public static let members = MemberTable<PRMValue>([
        .field("parameter_count", "number of parameters") { .int($0.prm.parameterCount) },
        .field("vocab_size", "vocabulary size of its tokenizer") { .int($0.prm.vocabularySize) },
        .field("config", "the architecture as a dict") { p in
            let c = p.prm.config
            return Convert.dict([("hidden_size", .int(c.hiddenSize)), ("num_layers", .int(c.numLayers)), ("num_heads", .int(c.numHeads)),
                                 ("intermediate_size", .int(c.intermediateSize)), ("max_length", .int(c.maxLength)),
                                 ("dropout", .number(Double(c.dropout)))])
        },
        .field("vision", "the vision path's sizes as a dict (nil for a text PRM)") { p in
            guard let v = p.prm.vision?.config, let tiles = p.prm.images?.tiling.maxTiles else { return .nil }
            return Convert.dict([("image_size", .int(v.imageSize)), ("patch_size", .int(v.patchSize)), ("hidden_size", .int(v.hiddenSize)),
                                 ("num_hidden_layers", .int(v.numHiddenLayers)), ("num_attention_heads", .int(v.numAttentionHeads)),
                                 ("intermediate_size", .int(v.intermediateSize)), ("downsample_ratio", .number(v.downsampleRatio)),
                                 ("tokens_per_tile", .int(v.tokensPerTile)), ("max_tiles", .int(tiles)),
                                 ("parameter_count", .int(p.prm.vision!.parameterCount))])
        },
        .field("image_mode", "what a multimodal PRM is shown of each picture: \"images\", \"blanked\" (blank pictures, same tokens) or \"text_only\" (no image tokens, as a text PRM); settable",
               get: { .string($0.prm.imageMode.rawValue) }) { p, value in
            guard case .string(let name) = value, let mode = ImageMode(rawValue: name) else {
                throw DprmError.runtime("image_mode must be one of \(ImageMode.allCases.map(\.rawValue).joined(separator: ", ")), got \(value)")
            }
            p.prm.imageMode = mode
        },
        .field("recommended_cold_start", "the cold-start settings coldstart uses when not told (a preset's), or nil") { p in
            guard let r = p.prm.config.recommendedColdStart else { return .nil }
            return Convert.dict([("lr", .number(r.lr)), ("batch_size", .int(r.batchSize)), ("lm_loss_weight", .number(Double(r.languageModelWeight)))])
        },
        .method("score", parameters: [
            .positional("question", "string", "the question"),
            .positional("steps", "list of strings", "the solution steps (a list of strings)"),
            .keyword("system_prompt", "string", shown: "the reference's", "the system prompt of the template"),
            .keyword("image", "string", shown: "none", "a PNG shown with the question (a multimodal PRM)"),
        ], "p(+) of each step (system_prompt: the reference's unless given; image: the question's picture)") { p, args in
            let question = try args.string(0, "question")
            let steps = try Convert.strings(try args.value(1, "steps"), "steps")
            let system = args.optional(nil, "system_prompt") == nil ? Datasets.defaultSystemPrompt : try args.string(nil, "system_prompt")
            let image = args.optional(nil, "image") == nil ? nil : try args.string(nil, "image")
            try Convert.library("score") { try p.prm.loadImages([image]) }
            return Convert.numbers(p.prm.stepScores([p.prm.template(question: question, steps: steps, systemPrompt: system, image: image)])[0])
        },
        .method("step_scores", parameters: [.positional("dataset", "dataset", "a training (step-labelled) dataset")], "p(+) of every step of every instance of a training (step-labelled) dataset, scored in batches with + placeholders: a list of lists, aligned with the dataset's labels (steps cut by max_length get no score)") { p, args in
            let d = try args.native(0, "dataset", as: DatasetValue.self, expected: "a training dataset")
            guard case .train(let instances) = d.content else { throw DprmError.type("step_scores() needs a training (step-labelled) dataset, got a \(d.kind) dataset") }
            try Convert.library("step_scores") { try p.prm.loadImages(instances.map(\.image)) }
            let templated = instances.map { p.prm.template(question: $0.question, steps: $0.steps, systemPrompt: $0.systemPrompt, image: $0.image) }
            guard let scores = p.prm.stepScores(templated, tokensPerBatch: 4096, shouldStop: PRMBuiltins.interrupted(args)) else {
                throw DprmError.runtime("step_scores() interrupted")
            }
            return .list(scores.map { Convert.numbers($0) })
        },
        .method("copy", parameters: [], "an independent copy (same weights and tokenizer), e.g. to branch a cold-started PRM") { p, _ in
            .native(PRMValue(try Convert.library("copy") { try p.prm.copy() }))
        },
        .method("tokenize", parameters: [.positional("text", "string", "the text")], "the token ids of a text") { p, args in Convert.ints(p.prm.tokenizer.encode(try args.string(0, "text"))) },
        .method("save", parameters: [.positional("path", "string", "the checkpoint directory written")], "writes a checkpoint directory (safetensors + config + tokenizer)") { p, args in
            let dir = try args.string(0, "path")
            try Convert.library("save") { try p.prm.save(to: dir) }
            return .string(dir)
        },
    ])
}

/// The result of a cold start.
public final class ColdStartValue: TabledObject {
    public let result: ColdStartResult
    public init(_ result: ColdStartResult) { self.result = result }
    public var typeName: String { "coldstart_run" }
    public var summary: String {
        let h = result.history
        return "coldstart: \(result.stepsDone) steps in \(String(format: "%.1f", result.seconds)) s, loss \(h.meanLoss(first: 20)) -> \(h.meanLoss(last: 20))"
            + (result.stopped ? " (stopped early)" : "")
    }

    public static let members = MemberTable<ColdStartValue>([
        .field("history", "columns step, loss, lr, seconds (one entry per micro-step)") { c in
            let r = c.result.history.records
            return Convert.dict([("step", Convert.ints(r.map(\.step))), ("loss", Convert.numbers(r.map(\.loss))),
                                 ("lr", Convert.numbers(r.map(\.lr))), ("seconds", Convert.numbers(r.map(\.seconds)))])
        },
        .field("steps", "micro-steps completed") { .int($0.result.stepsDone) },
        .field("stopped", "true when interrupted") { .bool($0.result.stopped) },
        .field("seconds", "wall time") { .number($0.result.seconds) },
        .field("checkpoints", "checkpoint directories written") { Convert.strings($0.result.checkpoints) },
        .field("rollbacks", "with on_nonfinite: \"rollback\": {step, restored_to, reason, rate_scale} per rollback") { rollbacksValue($0.result.rollbacks) },
        .method("final_loss", parameters: [.positional("n", "whole number", default: 50, "how many of the last steps are averaged")], "mean loss over the last n steps (default 50)") { c, args in
            .number(Double(c.result.history.meanLoss(last: try args.int(0, "n", default: 50))))
        },
    ])
}

/// A run's rollbacks after non-finite values as a list of dicts {step, restored_to, reason,
/// rate_scale} (plus upper_rate_scale in a bi-level run): the `rollbacks` field of cold-start
/// runs, reweighting runs and engines.
func rollbacksValue(_ rollbacks: [NonFiniteRollback]) -> Value {
    .list(rollbacks.map { r in
        Convert.dict([("step", .int(r.step)), ("restored_to", .int(r.restoredTo)), ("reason", .string(r.reason)),
                      ("rate_scale", .number(r.rateScale))] + (r.upperRateScale.map { [("upper_rate_scale", .number($0))] } ?? []))
    })
}

/// The result of best-of-N selection, with its baselines.
public final class BestOfNValue: TabledObject {
    public let result: BestOfNResult
    public init(_ result: BestOfNResult) { self.result = result }
    public var typeName: String { "best_of_n" }
    public var summary: String {
        "best_of_n(\(result.aggregation)): accuracy \(String(format: "%.4f", result.accuracy)) over \(result.questionIDs.count) questions"
    }
    public var description: String { result.table().description }

    public static let members = MemberTable<BestOfNValue>([
        .field("accuracy", "fraction of questions whose chosen candidate is correct") { .number($0.result.accuracy) },
        .field("aggregation", "the aggregation function's name") { .string($0.result.aggregation) },
        .field("auroc", "AUROC of aggregated scores for correct vs wrong candidates (nil if undefined)") { v in v.result.auroc.map { .number($0) } ?? .nil },
        .field("choices", "chosen candidate per question (nil when none)") { v in .list(v.result.choices.map { $0.map { .int($0) } ?? .nil }) },
        .field("correct", "whether each question's choice is correct") { v in .list(v.result.chosenCorrect.map { .bool($0) }) },
        .field("scores", "aggregated score per question and candidate") { v in .list(v.result.scores.map { Convert.numbers($0) }) },
        .field("baselines", "first, random, self_consistency, oracle accuracies") { v in
            let b = v.result.baselines
            return Convert.dict([("first", .number(b.first)), ("random", .number(b.random)),
                                 ("self_consistency", .number(b.selfConsistency)), ("oracle", .number(b.oracle))])
        },
        .method("table", parameters: [.positional("label", "string", default: .string("PRM"), "the name of the PRM row")], "the paper-style results table as text") { v, args in
            .string(v.result.table(prmLabel: try args.string(0, "label", default: "PRM")).description)
        },
        .method("write", parameters: [.positional("path", "string", "the JSON file written")], "writes accuracy, choices and scores as JSON (atomic)") { v, args in
            let path = try args.string(0, "path")
            try Convert.library("write") { try v.result.write(json: path) }
            return .string(path)
        },
    ])
}
