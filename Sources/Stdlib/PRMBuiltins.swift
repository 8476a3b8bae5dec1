import Foundation
import Lang
import Datasets
import NN
import PRM

/// The `prm` module: building, training and evaluating process reward models.
enum PRMBuiltins {
    /// An aggregation from a name or a .dprm function of a list of step scores.
    static func aggregation(_ value: Value?, _ args: Arguments) throws -> Aggregation {
        guard let value else { return .mean }
        switch value {
        case .string(let name):
            return try Convert.library(args.callee) { try Aggregation(name: name) }
        case .function(let fn):
            let interpreter = args.interpreter
            return .custom(name: fn.name) { scores in
                // A failing user function scores -infinity; the error is reported by `aggregate`.
                let result = try? interpreter.call(value, [Convert.numbers(scores)])
                return Float(result?.asNumber ?? -.infinity)
            }
        default:
            throw DprmError.type("\(args.callee)() aggregation must be a name (\(Aggregation.builtinNames.joined(separator: ", "))) or a function")
        }
    }

    /// `shouldStop` for long builtins: true once Ctrl-C was requested.
    /// The stop check of a long builtin: true once Ctrl-C was pressed. It never clears the request
    /// (`checkInterrupt` would), so after the builtin stops the script ends as interrupted.
    static func interrupted(_ args: Arguments) -> () -> Bool {
        let interpreter = args.interpreter
        return { interpreter.interruptRequested }
    }

    static func datasets(_ value: Value, _ what: String) throws -> [DatasetValue] {
        switch value {
        case .native(let n as DatasetValue): return [n]
        case .list(let l):
            return try l.items.map {
                guard case .native(let n as DatasetValue) = $0 else { throw DprmError.type("\(what) must hold datasets, got \($0.typeName)") }
                return n
            }
        default: throw DprmError.type("\(what) must be a dataset or a list of datasets, got \(value.typeName)")
        }
    }

    static func trainInstances(_ args: Arguments, _ index: Int?, _ name: String) throws -> [PRMInstance] {
        let d = try args.native(index, name, as: DatasetValue.self, expected: "a training dataset")
        guard case .train(let x) = d.content else { throw DprmError.type("\(args.callee)() argument '\(name)' must be a training dataset, got a \(d.kind) dataset") }
        return x
    }

    /// What a NaN or infinite loss or gradient does, declared once for every training builtin
    /// (`coldstart`, `reweight`, `bilevel`) and read by `nonFinitePolicy`.
    static let nonFiniteParameters: [Parameter] = [
        .keyword("on_nonfinite", "string", default: "stop",
                 "a NaN or infinite loss or gradient: \"stop\" with an error naming the step, or \"rollback\" to the last good state with a lower learning rate"),
        .keyword("rollback_factor", "number", default: .number(NonFinitePolicy.defaultFactor),
                 "with on_nonfinite: \"rollback\", each rollback multiplies the learning rates by this"),
        .keyword("max_rollbacks", "number", default: .int(NonFinitePolicy.defaultMaxRollbacks),
                 "with on_nonfinite: \"rollback\", rollbacks allowed in one run; the next non-finite value stops it"),
    ]

    /// The policy `nonFiniteParameters` declare.
    static func nonFinitePolicy(_ args: Arguments) throws -> NonFinitePolicy {
        let name = try args.string(nil, "on_nonfinite")
        let factor = try args.number(nil, "rollback_factor"), limit = try args.int(nil, "max_rollbacks")
        return try Convert.library(args.callee) { try NonFinitePolicy(name: name, factor: factor, maxRollbacks: limit) }
    }

    /// Prints a warning for a rollback a run made (it changed the run's learning rate).
    static func rollbackWarning(_ args: Arguments, unit: String = "step") -> (NonFiniteRollback) -> Void {
        let interpreter = args.interpreter, caller = args.callee
        return { interpreter.output("warning: \($0.message(caller, unit: unit))\n") }
    }

    /// The PRM `prm_new` describes (a `PRMValue`), before any vision path.
    static func makePRM(_ args: Arguments) throws -> Value {
        if let backbone = args.optional(nil, "backbone") {
            let maxLength = args.optional(nil, "max_length") == nil ? nil : try args.int(nil, "max_length")
            let trainableLayers = args.optional(nil, "trainable_layers") == nil ? nil : try args.int(nil, "trainable_layers")
            let loraRank = args.optional(nil, "lora_rank") == nil ? nil : try args.int(nil, "lora_rank")
            if case .native(let lm as LanguageModelValue) = backbone {
                let cacheMB = try args.number(nil, "cache_mb")
                guard cacheMB >= 0 else { throw DprmError.runtime("prm_new: cache_mb must not be negative, got \(cacheMB)") }
                guard cacheMB <= Double(1 << 30) else { throw DprmError.runtime("prm_new: cache_mb must be at most \(1 << 30) (a petabyte), got \(cacheMB)") }
                let cachePath = args.optional(nil, "cache_path") == nil ? nil : try args.string(nil, "cache_path")
                if cachePath != nil, trainableLayers == nil { throw DprmError.runtime("prm_new: cache_path needs trainable_layers (only frozen blocks' outputs are cached)") }
                let loraAlpha = Float(try args.number(nil, "lora_alpha"))
                let seed = UInt64(try args.int(nil, "seed"))
                return .native(PRMValue(try Convert.library("prm_new") {
                    let prm = try ProcessRewardModel(languageModel: lm.model, maxLength: maxLength, trainableLayers: trainableLayers)
                    if trainableLayers != nil, let llama = prm.network as? LlamaPRMBackbone {
                        try llama.useFrozenCache(limitBytes: Int(cacheMB * 1_048_576), path: cachePath)
                    }
                    if let loraRank, let llama = prm.network as? LlamaPRMBackbone {
                        try llama.attachLoRA(rank: loraRank, alpha: loraAlpha, seed: seed)
                    }
                    return prm
                }))
            }
            if loraRank != nil { throw DprmError.runtime("prm_new: lora_rank needs a language model as backbone (load_model of a GGUF file or a llama/Qwen2 folder)") }
            if trainableLayers != nil { throw DprmError.runtime("prm_new: trainable_layers needs a language model as backbone (load_model of a GGUF file or a llama/Qwen2 folder)") }
            let model = try args.native(nil, "backbone", as: PretrainedModelValue.self, expected: "a pretrained model (load_model)")
            let seed = UInt64(try args.int(nil, "seed"))
            return .native(PRMValue(try Convert.library("prm_new") { try ProcessRewardModel(pretrained: model.model, seed: seed, maxLength: maxLength) }))
        }
        if args.optional(nil, "trainable_layers") != nil {
            throw DprmError.runtime("prm_new: trainable_layers needs a language model as backbone (load_model of a GGUF file or a llama/Qwen2 folder); a preset PRM trains every parameter")
        }
        let preset = try args.string(0, "preset")
        let corpus = try datasets(try args.value(nil, "corpus"), "corpus").flatMap(\.texts)
        let tokenizer = WordTokenizer.train(corpus: corpus, maxVocabulary: try args.int(nil, "max_vocab"),
                                            required: ChatTemplate.templateTexts)
        var config = try Convert.library("prm_new") { try PRMConfig.preset(preset) }
        if args.optional(nil, "positions") != nil {
            let name = try args.string(nil, "positions")
            guard let type = PositionEmbeddingType(rawValue: name) else {
                throw DprmError.runtime("prm_new: unknown positions '\(name)'; valid: \(PositionEmbeddingType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.positionEmbeddingType = type
        }
        if args.optional(nil, "label_inputs") != nil {
            let name = try args.string(nil, "label_inputs")
            guard let inputs = ChatTemplate.LabelInputs(rawValue: name) else {
                throw DprmError.runtime("prm_new: unknown label_inputs '\(name)'; valid: \(ChatTemplate.LabelInputs.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.labelInputs = inputs
        }
        let prm = ProcessRewardModel(config: config, tokenizer: tokenizer, seed: UInt64(try args.int(nil, "seed")))
        return .native(PRMValue(prm))
    }

    /// A vision config from a preset name or a dict of sizes (the PRM sets its output width).
    static func visionConfig(_ value: Value) throws -> VisionConfig {
        switch value {
        case .string(let name):
            return try Convert.library("prm_new") { try VisionConfig.preset(name, outputSize: 1) }
        case .dict(let d):
            var c = VisionConfig()
            for (key, v) in d.pairs {
                guard let x = v.asNumber else { throw DprmError.type("prm_new: vision.\(key) must be a number, got \(v.typeName)") }
                func whole() throws -> Int {
                    guard x == x.rounded(), abs(x) < 1e9 else { throw DprmError.runtime("prm_new: vision.\(key) must be a whole number, got \(x)") }
                    return Int(x)
                }
                switch key {
                case "image_size": c.imageSize = try whole()
                case "patch_size": c.patchSize = try whole()
                case "hidden_size": c.hiddenSize = try whole()
                case "num_hidden_layers": c.numHiddenLayers = try whole()
                case "num_attention_heads": c.numAttentionHeads = try whole()
                case "intermediate_size": c.intermediateSize = try whole()
                case "downsample_ratio": c.downsampleRatio = x
                default: throw DprmError.runtime("prm_new: unknown vision key '\(key)' (image_size, patch_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, downsample_ratio)")
                }
            }
            return c
        default:
            throw DprmError.type("prm_new: vision must be a preset name (tiny, small) or a dict of sizes, got \(value.typeName)")
        }
    }

    /// The library's defaults, which the declarations of `coldstart` show and fall back to.
    static let coldStartDefaults = ColdStartOptions()

    static let registry = BuiltinRegistry(module: "prm", builtins: [
        Builtin("prm_new", parameters: [
            .positional("preset", "string", default: "small", "the architecture: \(PRMConfig.presetNames.joined(separator: ", "))"),
            .keyword("seed", "number", default: 0, "seed of the initial weights"),
            .keyword("corpus", "list of datasets", "the texts the word-level tokenizer is fitted to (required without backbone)"),
            .keyword("max_vocab", "number", default: 2000, "largest tokenizer vocabulary"),
            .keyword("positions", "string", shown: "the preset's", "\"rotary\" or \"absolute\" position embeddings"),
            .keyword("label_inputs", "string", shown: "\"labels\"", "what the assistant turns of a training input hold: \"labels\" or \"placeholder\""),
            .keyword("backbone", "pretrained model", "a model from load_model: build the PRM on it instead of a preset"),
            .keyword("max_length", "number", shown: "the model's", "longest input in tokens, with backbone"),
            .keyword("trainable_layers", "number", shown: "all", "with a language model as backbone: train only the top K blocks, the final norm and an untied head"),
            .keyword("cache_mb", "number", default: 1024, "with trainable_layers: memory (or file size, with cache_path) for the frozen blocks' outputs of each instance (0: recompute every visit)"),
            .keyword("cache_path", "string", shown: "none", "with trainable_layers: keep the frozen blocks' outputs in this memory-mapped file instead of the heap (reused by a later run with the same model and settings; safe to delete)"),
            .keyword("lora_rank", "number", shown: "none", "with a language model as backbone: LoRA adapters of this rank on the q/k/v/o/gate/up/down projections of the trainable blocks (the top trainable_layers, or all); only the adapters train"),
            .keyword("lora_alpha", "number", default: 8, "with lora_rank: the adapters add (lora_alpha / lora_rank) B A to each adapted weight"),
            .keyword("vision", "string or dict", shown: "none", "a vision path (multimodal PRM): a preset name (\"tiny\", \"small\") or a dict of VisionConfig sizes (image_size, patch_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, downsample_ratio)"),
            .keyword("max_tiles", "number", default: 6, "with vision: most tiles of InternVL's dynamic tiling per image (plus a thumbnail when more than one)"),
        ], "A new generative PRM with a tokenizer fitted to the corpus, or a PRM on a pretrained model.",
                help: "The word-level tokenizer is trained on every text of the given datasets (system prompts, questions, steps); always include the data the PRM will see. positions: \"rotary\" (the presets' default, RoPE as in Qwen) or \"absolute\" (learned position embeddings). label_inputs: \"labels\" (teacher forcing, as the reference) or \"placeholder\" (+ everywhere, as when scoring).\nWith backbone: a model from load_model (BERT family), the PRM copies its weights (the model is left unchanged), uses its WordPiece tokenizer ([CLS]/[SEP] as the chat markers), runs it with a causal attention mask and scores with a head tied to its word embeddings; corpus, preset and max_vocab are not used, max_length defaults to the model's 512.\nWith a language model as backbone (load_model of a GGUF file, a llama/Qwen2 folder or a cache name such as \"smollm2-135m-instruct\"): the PRM is a copy of the model with its own tokenizer and LM head, p(+) is its next-token probability at each label position (the DreamPRM-1.5 setting). trainable_layers: K freezes the embeddings and the lower blocks (a tied head too: it is the embedding matrix); their outputs for each training or meta instance are computed once and kept in memory up to cache_mb megabytes (beyond that they are recomputed on every visit); with cache_path they go to that memory-mapped file instead (at most cache_mb megabytes on disk, paged in and out by the kernel, keyed by a checksum of the frozen weights and settings so a later run with the same model reuses it and a file from another model is rebuilt, never read). lora_rank: r trains LoRA adapters (rank r, scale lora_alpha / r) on the attention and FFN projections of the trainable blocks instead of the blocks themselves; a checkpoint holds the merged weights, a plain model folder. See docs/prm.md and docs/models.md.",
                example: "let b = benchmark(seed: 1, train_size: 20, meta: 4, test: 3)\nlet prm = prm_new(preset: \"tiny\", seed: 1, corpus: [b.train, b.meta, b.test])\nprint(prm.parameter_count > 0)\nlet mm = prm_new(preset: \"tiny\", corpus: [b.train], vision: \"tiny\", max_tiles: 2)\nprint(mm.vision.tokens_per_tile)\nlet bert = prm_new(backbone: load_model(\"minilm-l6-v2\"), seed: 0)\nprint(bert.score(\"What is 2 + 3?\", [\"2 + 3 = 5\", \"The answer is 5\"]))") { args in
            let value = try makePRM(args)
            if args.optional(nil, "vision") != nil, case .native(let p as PRMValue) = value {
                let config = try visionConfig(try args.value(nil, "vision"))
                let maxTiles = try args.int(nil, "max_tiles")
                let seed = UInt64(try args.int(nil, "seed"))
                try Convert.library("prm_new") { try p.prm.attachVision(config, seed: seed &+ 0x5649_5349, maxTiles: maxTiles) }
            }
            return value
        },
        Builtin("prm_load", parameters: [.positional("path", "string", "the checkpoint directory")], "Loads a PRM checkpoint directory written by prm.save(path).",
                help: "The directory holds model.safetensors, config.json and tokenizer.json. A missing or corrupt file is an error naming it.",
                example: "let b = benchmark(seed: 1, train_size: 8, meta: 2, test: 2)\nlet p = prm_new(preset: \"tiny\", corpus: [b.train])\np.save(\"/tmp/dprm-example-prm\")\nprint(prm_load(\"/tmp/dprm-example-prm\").vocab_size == p.vocab_size)") { args in
            let path = try args.string(0, "path")
            let prm = try Convert.library("prm_load") { try ProcessRewardModel.load(from: path) }
            if let warning = prm.network.nonFiniteWarning(source: path) { args.interpreter.output("warning: \(warning)\n") }
            return .native(PRMValue(prm))
        },
        Builtin("coldstart", parameters: [
            .positional("prm", "prm", "the PRM to train (in place)"),
            .positional("train", "training dataset", "instances with step labels"),
            .keyword("lr", "number", shown: "5e-5 or the preset's", "AdamW learning rate"),
            .keyword("iterations", "number", default: .int(coldStartDefaults.iterations), aliases: ["iteration_num"], "optimizer steps"),
            .keyword("batch_size", "number", shown: "1 or the preset's", "instances per micro-batch"),
            .keyword("scheduler", "string", default: .string(coldStartDefaults.schedulerType), aliases: ["scheduler_type"], "cosine_warmup, linear_warmup, step or constant"),
            .keyword("warmup", "number", default: .number(coldStartDefaults.warmupRatio), "fraction of the iterations spent warming up"),
            .keyword("weight_decay", "number", default: .number(Double(coldStartDefaults.weightDecay)), "AdamW weight decay"),
            .keyword("gradient_accumulation", "number", default: .int(coldStartDefaults.gradientAccumulation), aliases: ["gradiant_accumulation"], "micro-batches per optimizer step"),
            .keyword("gradient_clipping", "number", default: .number(Double(coldStartDefaults.gradientClipping)), aliases: ["gradiant_clipping"], "largest gradient norm"),
            .keyword("scheduler_step_size", "number", default: .int(coldStartDefaults.schedulerStepSize), "steps between decays (scheduler: \"step\")"),
            .keyword("scheduler_gamma", "number", default: .number(coldStartDefaults.schedulerGamma), "decay factor (scheduler: \"step\")"),
            .keyword("seed", "number", default: 0, "seed of the batch order"),
            .keyword("save_every", "number", default: 0, aliases: ["save_every_iterations"], "checkpoint every n steps into out (0: never)"),
            .keyword("out", "string", "a folder for checkpoints and history.csv"),
            .keyword("overwrite", "bool", default: false, "replace a previous run found in out (else that is an error)"),
            .keyword("progress", "bool", default: true, "show a progress bar"),
            .keyword("lm_loss_weight", "number", shown: "0 or the preset's", "weight of the next-token loss over the text (docs/prm.md)"),
        ] + nonFiniteParameters, "Supervised fine-tuning of a PRM: cross-entropy at the label positions, AdamW, a schedule, clipping.",
                help: "Reference flag names are accepted too (iteration_num, gradiant_accumulation, gradiant_clipping, scheduler_type, save_every_iterations). With out: a folder, checkpoints and history.csv are written there. Ctrl-C stops at the next step with what was done. A NaN or infinite loss or gradient norm stops the run with an error naming the step (checkpoints already written stay as they were); on_nonfinite: \"rollback\" instead goes back to the last good state (the weights and optimizer state before the last finite step, kept in memory), multiplies the learning rate by rollback_factor and runs on, at most max_rollbacks times, printing a warning for each (the run's rollbacks field lists them). lm_loss_weight > 0 adds that times the next-token cross-entropy over the conversation's text (not the labels): the knowledge a pretrained model brings, for a PRM trained from scratch (docs/prm.md). The defaults lr 5e-5, batch_size 1 and lm_loss_weight 0 are the reference's for a pretrained backbone; a PRM made with prm_new(preset: ...) carries its preset's recommended settings (lr 2e-3, batch_size 64, lm_loss_weight 3), used for whichever of the three the call does not give (prm.recommended_cold_start shows them).",
                example: "let b = benchmark(seed: 1, train_size: 16, meta: 2, test: 2)\nlet prm = prm_new(preset: \"tiny\", corpus: [b.train])\nlet cs = coldstart(prm, b.train, lr: 1e-3, iterations: 3, progress: false)\nprint(cs.steps)") { args in
            let prm = try args.native(0, "prm", as: PRMValue.self, expected: "a prm")
            let train = try trainInstances(args, 1, "train")
            // A preset PRM's recommended rate, batch size and LM loss weight stand in for the
            // library defaults: those three have no declared default, the others do.
            var o = ColdStartOptions(recommendedFor: prm.prm.config)
            o.lr = try args.number(nil, "lr", default: o.lr)
            o.weightDecay = Float(try args.number(nil, "weight_decay"))
            o.iterations = try args.int(nil, "iterations")
            o.batchSize = try args.int(nil, "batch_size", default: o.batchSize)
            o.gradientAccumulation = try args.int(nil, "gradient_accumulation")
            o.gradientClipping = Float(try args.number(nil, "gradient_clipping"))
            o.schedulerType = try args.string(nil, "scheduler")
            o.warmupRatio = try args.number(nil, "warmup")
            o.schedulerStepSize = try args.int(nil, "scheduler_step_size")
            o.schedulerGamma = try args.number(nil, "scheduler_gamma")
            o.seed = UInt64(try args.int(nil, "seed"))
            o.saveEvery = try args.int(nil, "save_every")
            o.checkpointDirectory = args.optional(nil, "out") == nil ? nil : try args.string(nil, "out")
            o.overwrite = try args.bool(nil, "overwrite")
            o.progress = try args.bool(nil, "progress")
            o.languageModelWeight = Float(try args.number(nil, "lm_loss_weight", default: Double(o.languageModelWeight)))
            o.onNonFinite = try nonFinitePolicy(args)
            let result = try Convert.library("coldstart") {
                try coldStart(prm.prm, train: train, options: o, shouldStop: interrupted(args), onRollback: rollbackWarning(args))
            }
            if result.stopped { try args.interpreter.checkInterrupt() }
            return .native(ColdStartValue(result))
        },
        Builtin("best_of_n", parameters: [
            .positional("prm", "prm", "the PRM that scores the steps"),
            .positional("test", "candidates dataset", "questions with candidate solutions"),
            .positional("aggregation", "string or function", default: "mean", "how step scores make a solution score"),
            .keyword("out", "string", "also write the result as JSON to this path"),
            .keyword("tokens_per_batch", "number", default: 8192, "padded tokens per scoring batch (under mpirun the batches are shared out over the ranks)"),
        ],
                "Scores every candidate, picks the highest aggregated score per question; reports accuracy, AUROC and baselines.",
                help: "Ties go to the lowest candidate index. Baselines on the same data: first candidate, random (expected), self-consistency (majority vote over final answers), oracle. With out: a path, the result is also written as JSON. `aggregation` is a name (\(Aggregation.builtinNames.joined(separator: ", "))) or a function of a list of step scores.",
                example: "let b = benchmark(seed: 1, train_size: 8, meta: 2, test: 3)\nlet prm = prm_new(preset: \"tiny\", corpus: [b.train, b.test])\nlet r = best_of_n(prm, b.test, aggregation: \"min\")\nprint(r.accuracy >= 0)") { args in
            let prm = try args.native(0, "prm", as: PRMValue.self, expected: "a prm")
            let test = try args.native(1, "test", as: DatasetValue.self, expected: "a candidates dataset")
            guard case .candidates(let sets) = test.content else {
                throw DprmError.type("best_of_n() argument 'test' must be a candidates dataset, got a \(test.kind) dataset")
            }
            let agg = try aggregation(args.optional(2, "aggregation"), args)
            let stop = interrupted(args)
            let tokensPerBatch = try args.int(nil, "tokens_per_batch")
            guard tokensPerBatch >= 1 else { throw DprmError.runtime("best_of_n: tokens_per_batch must be >= 1, got \(tokensPerBatch)") }
            try Convert.library("best_of_n") { try prm.prm.loadImages(sets.map(\.image)) }
            guard let result = bestOfN(prm.prm, sets: sets, aggregation: agg, tokensPerBatch: tokensPerBatch, shouldStop: stop) else {
                try args.interpreter.checkInterrupt()
                return .nil
            }
            // NaN scores would silently pick the first candidate: a diverged PRM is an error.
            let bad = result.stepScores.enumerated().flatMap { q, cands in cands.enumerated().filter { $0.element.contains { !$0.isFinite } }.map { (q, $0.offset) } }
            if let (q, c) = bad.first {
                throw DprmError.runtime("best_of_n: the PRM's step scores are not finite for \(bad.count) candidate\(bad.count == 1 ? "" : "s") (first: question \(sets[q].id), candidate \(c)); its weights are NaN or infinite (a diverged training run?)")
            }
            if args.optional(nil, "out") != nil {
                let path = try args.string(nil, "out")
                try Convert.library("best_of_n") { try result.write(json: path) }
            }
            return .native(BestOfNValue(result))
        },
        Builtin("aggregate", parameters: [
            .positional("step_scores", "list of numbers", "the step scores of one solution"),
            .positional("aggregation", "string or function", default: "mean", "mean, min, max, log_mean, prod, last, or a function of the list"),
        ], "One solution score from its step scores (mean, min, max, log_mean, prod, last, or a function).",
                help: "An unknown name is an error listing the valid ones.",
                example: "print(aggregate([0.9, 0.5, 0.8], \"min\"))") { args in
            let scores = try Convert.floats(try args.value(0, "step_scores"), "step_scores")
            return .number(Double(try aggregation(args.optional(1, "aggregation"), args)(scores)))
        },
        Builtin("auroc", parameters: [
            .positional("scores", "list of numbers", "one score per item"),
            .positional("labels", "list of booleans", "whether each item is correct"),
        ], "Area under the ROC curve (ties count 1/2); nil when only one class is present.",
                help: "The probability that a random correct item scores higher than a random wrong one (Mann-Whitney U / (n_pos * n_neg)).",
                example: "print(auroc([0.9, 0.2, 0.7, 0.4], [true, false, true, false]))") { args in
            let scores = try Convert.floats(try args.value(0, "scores"), "scores")
            let labels = try Convert.bools(try args.value(1, "labels"), "labels")
            guard scores.count == labels.count else { throw DprmError.type("auroc() got \(scores.count) scores but \(labels.count) labels") }
            return auroc(scores, labels).map { .number($0) } ?? .nil
        },
        Builtin("results_table", parameters: [
            .positional("rows", "list", "[method, accuracy] pairs"),
            .keyword("base", "number", shown: "the first row's", "the accuracy gains are measured from"),
            .keyword("title", "string", "a title line"),
        ], "A paper-style table (method, accuracy, gain over the base) from [[method, accuracy], ...].",
                help: "The base defaults to the first row's accuracy.",
                example: "print(results_table([[\"No selection\", 0.42], [\"PRM (mean)\", 0.61]], title: \"best-of-8\"))") { args in
            let rows = try args.list(0, "rows").items.map { row -> ResultsTable.Row in
                guard case .list(let pair) = row, pair.items.count == 2, case .string(let m) = pair.items[0], case .number(let a) = pair.items[1] else {
                    throw DprmError.type("results_table() rows must be [method, accuracy] pairs")
                }
                return ResultsTable.Row(method: m, accuracy: a)
            }
            let base = try args.number(nil, "base", default: rows.first?.accuracy ?? 0)
            let title = args.optional(nil, "title") == nil ? nil : try args.string(nil, "title")
            return .string(ResultsTable(rows: rows, base: base, baseMethod: rows.first?.method, title: title).description)
        },
    ] + PretrainedBuiltins.builtins)
}
