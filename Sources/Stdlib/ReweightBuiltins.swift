import Foundation
import Lang
import Datasets
import PRM
import Reweight

/// The `reweight` module: weighting models and the bi-level `reweight` pipeline (target
/// `Reweight`; the noisy-digits study is module `experiments`).
enum ReweightBuiltins {
    /// The library's defaults, which the declarations of `reweight` show and fall back to.
    static let defaults = ReweightOptions()

    /// Every parameter of `reweight`: the reference flags (short names first, the reference's
    /// spellings as aliases) and this implementation's own.
    static let parameters: [Parameter] = {
        let d = defaults
        return [
            .positional("prm", "prm", "the PRM to train (in place)"),
            .positional("weights", "weighting model", "an instance_table, instance_net or domain_table"),
            .keyword("train", "training dataset", required: true, "instances with step labels (the lower level)"),
            .keyword("meta", "meta or training dataset", required: true, "the upper level's data"),
            .keyword("iterations", "number", default: .int(d.iterations), aliases: ["iteration_num"], "lower micro-steps"),
            .keyword("save_every", "number", default: .int(d.saveEvery), aliases: ["save_every_iterations"], "checkpoint every n iterations into out (0: never)"),
            .keyword("unroll_steps", "number", default: .int(d.unrollSteps), "lower steps per upper step"),
            .keyword("gradient_accumulation", "number", default: .int(d.gradientAccumulation), aliases: ["gradiant_accumulation"], "micro-batches per lower optimizer step"),
            .keyword("gradient_clipping", "number", default: .number(Double(d.gradientClipping)), aliases: ["gradiant_clipping"], "largest lower gradient norm"),
            .keyword("rollback", "bool", default: .bool(d.rollback), "restore the PRM before each upper step, then retake one step"),
            .keyword("baseline", "bool", default: .bool(d.baseline), "uniform weights: train the PRM only"),
            .keyword("retrain", "bool", default: .bool(d.retrain), "the reference's retrain flag"),
            .keyword("seed", "number", default: .int(Int(d.seed)), "seed of the batch order"),
            .keyword("optimizer", "string", default: .string(d.optimizer), "lower optimizer: adamw or sgd"),
            .keyword("lr", "number", default: .number(d.lr), "lower learning rate"),
            .keyword("momentum", "number", default: .number(d.momentum), "lower momentum (sgd)"),
            .keyword("weight_decay", "number", default: .number(Double(d.weightDecay)), "lower weight decay"),
            .keyword("batch_size", "number", default: .int(d.batchSize), "training instances per micro-batch"),
            .keyword("scheduler", "string", default: .string(d.schedulerType), aliases: ["scheduler_type"], "lower learning-rate schedule"),
            .keyword("scheduler_step_size", "number", default: .int(d.schedulerStepSize), "steps between decays (step schedule)"),
            .keyword("scheduler_gamma", "number", default: .number(d.schedulerGamma), "decay factor (step schedule)"),
            .keyword("warmup", "number", default: .number(d.warmupRatio), "fraction of the iterations spent warming up"),
            .keyword("meta_lr", "number", default: .number(d.metaLr), "upper learning rate"),
            .keyword("meta_momentum", "number", default: .number(d.metaMomentum), "upper momentum"),
            .keyword("meta_weight_decay", "number", default: .number(Double(d.metaWeightDecay)), "upper weight decay"),
            .keyword("meta_batch_size", "number", default: .int(d.metaBatchSize), "meta instances per upper step"),
            .keyword("meta_scheduler_step_size", "number", default: .int(d.metaSchedulerStepSize), "upper steps between decays"),
            .keyword("meta_scheduler_gamma", "number", default: .number(d.metaSchedulerGamma), "upper decay factor"),
            .keyword("aggregation", "string or function", default: .string(d.aggregation.name), aliases: ["aggregation_function"], "how step scores make a solution score in the meta loss"),
            .keyword("loss_target", "string", default: "both", "\"+\", \"both\", \"rank\"; on a step-labelled meta set also \"steps\" or \"step_rank\""),
            .keyword("hypergradient", "string", default: "darts", "darts, neumann or cg"),
            .keyword("darts_alpha", "number", default: 0.01, "finite-difference step of darts"),
            .keyword("adam_eps", "number", default: .number(Double(d.adamEpsilon)), "epsilon of the Adam optimizers"),
            .keyword("snapshot_every", "number", default: .int(d.snapshotEvery), "record every instance's weight every n iterations"),
            .keyword("out", "string", "checkpoint folder (replaced whole at each save)"),
            .keyword("overwrite", "bool", default: false, "replace a previous run's checkpoint found in out (else that is an error, unless resume names that folder)"),
            .keyword("resume", "string", "a checkpoint folder of a run with the same options and data to continue from (any number of ranks may have written it)"),
            .keyword("progress", "bool", default: true, "show a progress bar"),
            .keyword("lm_loss_weight", "number", default: 0, "coldstart's auxiliary language-model loss, added to the lower loss unweighted"),
            .keyword("device", "string", default: "cpu", "the reference's flag: only cpu"),
            .keyword("precision", "string", default: .string(d.precision), "the reference's flag: fp32"),
            .keyword("strategy", "string", "the reference's distributed flag, accepted and ignored (under mpirun dprm splits the batches itself: docs/distributed.md)"),
            .keyword("local_rank", "number", "the reference's distributed flag, accepted and ignored (under mpirun dprm splits the batches itself: docs/distributed.md)"),
        ] + PRMBuiltins.nonFiniteParameters
    }()

    /// Reads the parameters of `reweight` into options (the call was checked against `parameters`).
    static func options(_ args: Arguments) throws -> ReweightOptions {
        var o = ReweightOptions()
        o.iterations = try args.int(nil, "iterations")
        o.saveEvery = try args.int(nil, "save_every")
        o.unrollSteps = try args.int(nil, "unroll_steps")
        o.gradientAccumulation = try args.int(nil, "gradient_accumulation")
        o.gradientClipping = Float(try args.number(nil, "gradient_clipping"))
        o.rollback = try args.bool(nil, "rollback")
        o.baseline = try args.bool(nil, "baseline")
        o.retrain = try args.bool(nil, "retrain")
        o.seed = UInt64(try args.int(nil, "seed"))
        o.optimizer = try args.string(nil, "optimizer")
        o.lr = try args.number(nil, "lr")
        o.momentum = try args.number(nil, "momentum")
        o.weightDecay = Float(try args.number(nil, "weight_decay"))
        o.batchSize = try args.int(nil, "batch_size")
        o.schedulerType = try args.string(nil, "scheduler")
        o.schedulerStepSize = try args.int(nil, "scheduler_step_size")
        o.schedulerGamma = try args.number(nil, "scheduler_gamma")
        o.warmupRatio = try args.number(nil, "warmup")
        o.metaLr = try args.number(nil, "meta_lr")
        o.metaMomentum = try args.number(nil, "meta_momentum")
        o.metaWeightDecay = Float(try args.number(nil, "meta_weight_decay"))
        o.metaBatchSize = try args.int(nil, "meta_batch_size")
        o.metaSchedulerStepSize = try args.int(nil, "meta_scheduler_step_size")
        o.metaSchedulerGamma = try args.number(nil, "meta_scheduler_gamma")
        o.aggregation = try PRMBuiltins.aggregation(args.optional(nil, "aggregation"), args)
        guard o.aggregation.isDifferentiable else {
            throw DprmError.type("reweight() aggregation '\(o.aggregation.name)' is a .dprm function without a differentiable form; the meta loss needs one of \(Aggregation.builtinNames.joined(separator: ", "))")
        }
        o.lossTarget = try Convert.library("reweight") { try LossTarget(name: try args.string(nil, "loss_target")) }
        let method = try args.string(nil, "hypergradient")
        o.hypergradient = try Convert.library("reweight") { try HypergradientMethod(name: method) }
        if case .darts = o.hypergradient { o.hypergradient = .darts(alpha: Float(try args.number(nil, "darts_alpha"))) }
        o.adamEpsilon = Float(try args.number(nil, "adam_eps"))
        o.snapshotEvery = try args.int(nil, "snapshot_every")
        o.languageModelWeight = Float(try args.number(nil, "lm_loss_weight"))
        o.precision = try args.string(nil, "precision")
        let device = try args.string(nil, "device")
        guard device == "cpu" else { throw DprmError.type("reweight() device '\(device)': dprm runs on the CPU") }
        if args.optional(nil, "out") != nil { o.checkpointDirectory = try args.string(nil, "out") }
        o.overwrite = try args.bool(nil, "overwrite")
        o.onNonFinite = try PRMBuiltins.nonFinitePolicy(args)
        return o
    }

    /// Runs `run` to the end with a progress bar (on a terminal) and Ctrl-C support.
    static func execute(_ run: ReweightRun, _ args: Arguments) throws {
        let bar = ProgressBar(total: run.options.iterations, label: "reweight " + run.weighting.kind,
                              enabled: try args.bool(nil, "progress", default: true) ? nil : false)
        run.onRollback = PRMBuiltins.rollbackWarning(args, unit: "iteration")
        do {
            // The lower level's weighted loss and the upper level's meta loss, each named.
            try run.run(shouldStop: PRMBuiltins.interrupted(args)) { record in
                bar.update(done: record.iteration, losses: [("lower loss", record.weightedLoss), ("meta loss", record.metaLoss)])
            }
            bar.finish()
        } catch BilevelError.interrupted {
            bar.finish()
            try args.interpreter.checkInterrupt()
        } catch {
            bar.finish()
            // The run's own errors already name it.
            let text = "\(error)"
            throw DprmError.runtime(text.hasPrefix("reweight: ") ? text : "reweight: " + text)
        }
    }

    static let registry = BuiltinRegistry(module: "reweight", builtins: [
        Builtin("instance_table", parameters: [
            .positional("train", "training dataset", "one weight per instance of it"),
            .keyword("activation", "string", default: "Clip", "\(WeightActivation.allCases.map(\.rawValue).joined(separator: ", "))"),
            .keyword("initialization", "number", default: 1.0, "the raw weight every instance starts at"),
        ],
                "One learnable weight per training instance (keyed by id), through an activation.",
                help: "Activations: \(WeightActivation.allCases.map(\.rawValue).joined(separator: ", ")). Clip clamps to [-1, 3] with zero gradient outside.",
                example: "let b = benchmark(seed: 1, train_size: 12, meta: 2, test: 2)\nlet t = instance_table(b.train)\nprint(len(t.weights()))") { args in
            let train = try PRMBuiltins.trainInstances(args, 0, "train")
            let activation = try Convert.library("instance_table") { try WeightActivation(name: try args.string(nil, "activation")) }
            let table = try Convert.library("instance_table") {
                try InstanceTable(instances: train, activation: activation, initialization: Float(try args.number(nil, "initialization")))
            }
            return .native(WeightingValue(table))
        },
        Builtin("instance_net", parameters: [
            .positional("hidden_dim", "number", default: 10, "width of the hidden layer"),
            .keyword("layers", "number", default: 0, "extra hidden layers"),
            .keyword("activation", "string", default: "sigmoid", "the output activation"),
            .keyword("detach", "bool", default: false, "cut the PRM's gradient through the weight (the reference does not)"),
            .keyword("labels", "bool", default: false, "also feed each position's step label to the MLP (the reference does not)"),
            .keyword("seed", "number", default: 0, "seed of the initial weights"),
        ],
                "A small MLP from [p(+), p(-)] at each label position to an instance weight (mean over positions).",
                help: "detach: false matches the reference (the PRM also gets a gradient through the weight). layers adds hidden layers. labels: true makes the input [p(+), p(-), y] with y the instance's own step label, so the net can weigh how the label agrees with the PRM; the reference's net sees the predictions only and cannot tell a corrupted label from a clean one.",
                example: "let net = instance_net(hidden_dim: 10)\nprint(net.parameter_count)") { args in
            let activation = try Convert.library("instance_net") { try WeightActivation(name: try args.string(nil, "activation")) }
            // Range-checked here: -1 crashed building the layer, 1e9 layers grew memory without end.
            let hidden = try args.int(0, "hidden_dim"), layers = try args.int(nil, "layers")
            guard (1...65_536).contains(hidden) else { throw DprmError.runtime("instance_net(): hidden_dim must be between 1 and 65536, got \(hidden)") }
            guard (0...64).contains(layers) else { throw DprmError.runtime("instance_net(): layers must be between 0 and 64, got \(layers)") }
            return .native(WeightingValue(InstanceNet(hiddenDim: hidden, extraHiddenLayers: layers,
                                                      activation: activation, detachInput: try args.bool(nil, "detach"),
                                                      readsLabels: try args.bool(nil, "labels"), seed: UInt64(try args.int(nil, "seed")))))
        },
        Builtin("domain_table", parameters: [
            .positional("train", "training dataset", "its instances' domains (the `dataset` field)"),
            .keyword("initialization", "number", default: 1.0, "the raw weight every domain starts at"),
        ], "DreamPRM v1: one weight per domain, softplus, divided by the mean.",
                help: "Every training instance needs a domain (the `dataset` field); the weights always average 1 over domains.",
                example: "let b = benchmark(seed: 1, train_size: 12, meta: 2, test: 2)\nprint(domain_table(b.train).weights())") { args in
            let train = try PRMBuiltins.trainInstances(args, 0, "train")
            return .native(WeightingValue(try Convert.library("domain_table") {
                try DomainTable(instances: train, initialization: Float(try args.number(nil, "initialization")))
            }))
        },
        Builtin("reweight", parameters: parameters,
                "Bi-level instance reweighting (DreamPRM-1.5) with the reference engine's semantics; returns a run.",
                help: """
                Every reference flag is a keyword, under its reference spelling (iteration_num, gradiant_accumulation, \
                scheduler_type, aggregation_function, ...) or its short name; passing both is an error. loss_target "steps" \
                (the step loss) and "step_rank" need a step-labelled meta set: the benchmark's or a training dataset. \
                Ctrl-C stops at the next iteration. A NaN or infinite loss, gradient or weight stops the run with an error \
                naming the iteration; on_nonfinite: "rollback" instead goes back to the last good state of the PRM and the \
                weighting model, multiplies lr and meta_lr by rollback_factor and runs on (at most max_rollbacks times, with \
                a warning each; run.rollbacks lists them).
                """,
                example: "let b = benchmark(seed: 1, train_size: 12, meta: 3, test: 2)\nlet prm = prm_new(preset: \"tiny\", corpus: [b.train, b.meta])\nlet run = reweight(prm, instance_table(b.train), train: b.train, meta: b.meta, iteration_num: 2, progress: false)\nprint(len(run.history.iteration))") { args in
            let prm = try args.native(0, "prm", as: PRMValue.self, expected: "a prm")
            let weights = try args.native(1, "weights", as: WeightingValue.self, expected: "an instance_table, instance_net or domain_table")
            let train = try PRMBuiltins.trainInstances(args, nil, "train")
            let metaData = try args.native(nil, "meta", as: DatasetValue.self, expected: "a meta dataset")
            let meta: [MetaInstance]
            switch metaData.content {
            case .meta(let x): meta = x
            case .train(let x): meta = x.map(MetaInstance.init(stepLabelled:))
            case .candidates: throw DprmError.type("reweight() argument 'meta' must be a meta or training dataset, got a candidates dataset")
            }
            let options = try options(args)
            let run = try Convert.library("reweight") {
                try ReweightRun(prm: prm.prm, weighting: weights.weighting, train: train, meta: meta, options: options)
            }
            if args.optional(nil, "resume") != nil {
                let dir = try args.string(nil, "resume")
                try Convert.library("reweight") { try run.loadCheckpoint(from: dir) }
            }
            try execute(run, args)
            return .native(RunValue(run))
        },
    ] + BilevelBuiltins.builtins)
}
