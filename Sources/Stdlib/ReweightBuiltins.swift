import Foundation
import Lang
import Datasets
import PRM
import Reweight
import Experiments

/// The `reweight` module: weighting models, the bi-level `reweight` pipeline, and the
/// noisy-digits sanity check.
enum ReweightBuiltins {
    /// Every keyword `reweight` takes: the reference flags (as spelled there) and short aliases.
    static let flags = [
        "prm", "weights", "train", "meta",
        "iteration_num", "iterations", "save_every_iterations", "save_every", "unroll_steps",
        "gradiant_accumulation", "gradient_accumulation", "gradiant_clipping", "gradient_clipping",
        "rollback", "baseline", "retrain", "seed", "optimizer", "lr", "momentum", "weight_decay", "batch_size",
        "scheduler_type", "scheduler_step_size", "scheduler_gamma", "warmup",
        "meta_lr", "meta_momentum", "meta_weight_decay", "meta_batch_size", "meta_scheduler_step_size", "meta_scheduler_gamma",
        "aggregation_function", "aggregation", "loss_target", "hypergradient", "darts_alpha", "adam_eps",
        "snapshot_every", "out", "progress", "device", "precision", "strategy", "local_rank", "lm_loss_weight",
    ]

    /// Reads the flags of `reweight` into options; reference spellings win over aliases.
    static func options(_ args: Arguments) throws -> ReweightOptions {
        try Convert.checkKeywords(args, flags)
        var o = ReweightOptions()
        func int(_ names: String..., default d: Int) throws -> Int {
            for n in names where args.optional(nil, n) != nil { return try args.int(nil, n) }
            return d
        }
        func number(_ names: String..., default d: Double) throws -> Double {
            for n in names where args.optional(nil, n) != nil { return try args.number(nil, n) }
            return d
        }
        o.iterations = try int("iteration_num", "iterations", default: o.iterations)
        o.saveEvery = try int("save_every_iterations", "save_every", default: o.saveEvery)
        o.unrollSteps = try int("unroll_steps", default: o.unrollSteps)
        o.gradientAccumulation = try int("gradiant_accumulation", "gradient_accumulation", default: o.gradientAccumulation)
        o.gradientClipping = Float(try number("gradiant_clipping", "gradient_clipping", default: Double(o.gradientClipping)))
        o.rollback = try args.bool(nil, "rollback", default: false)
        o.baseline = try args.bool(nil, "baseline", default: false)
        o.retrain = try args.bool(nil, "retrain", default: false)
        o.seed = UInt64(try int("seed", default: 1))
        o.optimizer = try args.string(nil, "optimizer", default: o.optimizer)
        o.lr = try number("lr", default: o.lr)
        o.momentum = try number("momentum", default: o.momentum)
        o.weightDecay = Float(try number("weight_decay", default: Double(o.weightDecay)))
        o.batchSize = try int("batch_size", default: o.batchSize)
        o.schedulerType = try args.string(nil, "scheduler_type", default: o.schedulerType)
        o.schedulerStepSize = try int("scheduler_step_size", default: o.schedulerStepSize)
        o.schedulerGamma = try number("scheduler_gamma", default: o.schedulerGamma)
        o.warmupRatio = try number("warmup", default: o.warmupRatio)
        o.metaLr = try number("meta_lr", default: o.metaLr)
        o.metaMomentum = try number("meta_momentum", default: o.metaMomentum)
        o.metaWeightDecay = Float(try number("meta_weight_decay", default: Double(o.metaWeightDecay)))
        o.metaBatchSize = try int("meta_batch_size", default: o.metaBatchSize)
        o.metaSchedulerStepSize = try int("meta_scheduler_step_size", default: o.metaSchedulerStepSize)
        o.metaSchedulerGamma = try number("meta_scheduler_gamma", default: o.metaSchedulerGamma)
        o.aggregation = try PRMBuiltins.aggregation(args.optional(nil, "aggregation_function") ?? args.optional(nil, "aggregation"), args)
        guard o.aggregation.isDifferentiable else {
            throw DprmError.type("reweight() aggregation '\(o.aggregation.name)' is a .dprm function without a differentiable form; the meta loss needs one of \(Aggregation.builtinNames.joined(separator: ", "))")
        }
        o.lossTarget = try Convert.library("reweight") { try LossTarget(name: try args.string(nil, "loss_target", default: "both")) }
        let method = try args.string(nil, "hypergradient", default: "darts")
        o.hypergradient = try Convert.library("reweight") { try HypergradientMethod(name: method) }
        if case .darts = o.hypergradient { o.hypergradient = .darts(alpha: Float(try number("darts_alpha", default: 0.01))) }
        o.adamEpsilon = Float(try number("adam_eps", default: Double(o.adamEpsilon)))
        o.snapshotEvery = try int("snapshot_every", default: 0)
        o.languageModelWeight = Float(try number("lm_loss_weight", default: 0))
        o.precision = try args.string(nil, "precision", default: "fp32")
        let device = try args.string(nil, "device", default: "cpu")
        guard device == "cpu" else { throw DprmError.type("reweight() device '\(device)': dprm runs on the CPU") }
        if args.optional(nil, "out") != nil { o.checkpointDirectory = try args.string(nil, "out") }
        return o
    }

    /// Runs `run` to the end with a progress bar (on a terminal) and Ctrl-C support.
    static func execute(_ run: ReweightRun, _ args: Arguments) throws {
        let bar = ProgressBar(total: run.options.iterations, label: "reweight " + run.weighting.kind,
                              enabled: try args.bool(nil, "progress", default: true) ? nil : false)
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
            throw DprmError.runtime("reweight: \(error)")
        }
    }

    static let registry = BuiltinRegistry(module: "reweight", builtins: [
        Builtin("instance_table", "instance_table(train, activation: \"Clip\", initialization: 1.0)",
                "One learnable weight per training instance (keyed by id), through an activation.",
                help: "Activations: \(WeightActivation.allCases.map(\.rawValue).joined(separator: ", ")). Clip clamps to [-1, 3] with zero gradient outside.",
                example: "let b = benchmark(seed: 1, train_size: 12, meta: 2, test: 2)\nlet t = instance_table(b.train)\nprint(len(t.weights()))") { args in
            try Convert.checkKeywords(args, ["train", "activation", "initialization"])
            let train = try PRMBuiltins.trainInstances(args, 0, "train")
            let activation = try Convert.library("instance_table") { try WeightActivation(name: try args.string(nil, "activation", default: "Clip")) }
            let table = try Convert.library("instance_table") {
                try InstanceTable(instances: train, activation: activation, initialization: Float(try args.number(nil, "initialization", default: 1)))
            }
            return .native(WeightingValue(table))
        },
        Builtin("instance_net", "instance_net(hidden_dim: 10, layers: 0, activation: \"sigmoid\", detach: false, seed: 0)",
                "A small MLP from [p(+), p(-)] at each label position to an instance weight (mean over positions).",
                help: "detach: false matches the reference (the PRM also gets a gradient through the weight). layers adds hidden layers.",
                example: "let net = instance_net(hidden_dim: 10)\nprint(net.parameter_count)") { args in
            try Convert.checkKeywords(args, ["hidden_dim", "layers", "activation", "detach", "seed"])
            let activation = try Convert.library("instance_net") { try WeightActivation(name: try args.string(nil, "activation", default: "sigmoid")) }
            return .native(WeightingValue(InstanceNet(hiddenDim: try args.int(0, "hidden_dim", default: 10), extraHiddenLayers: try args.int(nil, "layers", default: 0),
                                                      activation: activation, detachInput: try args.bool(nil, "detach", default: false),
                                                      seed: UInt64(try args.int(nil, "seed", default: 0)))))
        },
        Builtin("domain_table", "domain_table(train, initialization: 1.0)", "DreamPRM v1: one weight per domain, softplus, divided by the mean.",
                help: "Every training instance needs a domain (the `dataset` field); the weights always average 1 over domains.",
                example: "let b = benchmark(seed: 1, train_size: 12, meta: 2, test: 2)\nprint(domain_table(b.train).weights())") { args in
            try Convert.checkKeywords(args, ["train", "initialization"])
            let train = try PRMBuiltins.trainInstances(args, 0, "train")
            return .native(WeightingValue(try Convert.library("domain_table") {
                try DomainTable(instances: train, initialization: Float(try args.number(nil, "initialization", default: 1)))
            }))
        },
        Builtin("reweight", "reweight(prm, weights, train:, meta:, iteration_num: 3000, lr: 5e-5, meta_lr: 5e-3, ...)",
                "Bi-level instance reweighting (DreamPRM-1.5) with the reference engine's semantics; returns a run.",
                help: """
                Every reference flag is a keyword: iteration_num, save_every_iterations, unroll_steps, gradiant_accumulation, \
                gradiant_clipping, rollback, baseline, retrain, seed, lr, momentum, weight_decay, batch_size, scheduler_type, \
                scheduler_step_size, scheduler_gamma, meta_lr, meta_momentum, meta_weight_decay, meta_batch_size, \
                meta_scheduler_step_size, meta_scheduler_gamma, aggregation_function, loss_target ("+", "both", "rank", \
                or on a step-labelled meta set, i.e. the benchmark's or a training dataset: "steps" (the step loss) or "step_rank"), \
                device (cpu), precision (fp32). Also: hypergradient (darts, neumann, cg), darts_alpha, optimizer (adamw, sgd), \
                warmup (fraction), snapshot_every, out (checkpoint folder), progress, lm_loss_weight (the auxiliary \
                language-model loss of coldstart, added to the lower loss unweighted). Ctrl-C stops at the next iteration.
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
            try execute(run, args)
            return .native(RunValue(run))
        },
        Builtin("noisy_digits", "noisy_digits(seed: 0, path: nil, iterations: nil)",
                "The classic sanity check: UCI digits, 40% label noise, clean meta set; accuracies of clean, noisy, Instance Table, Meta-Weight-Net.",
                help: "Returns a dict with accuracies, the recovered fraction of the clean-versus-noisy gap, and mean weights of flipped and clean instances. path defaults to the shared digits.csv.gz.",
                example: "let r = noisy_digits(seed: 0, iterations: 20)\nprint(r.train_count > 0)") { args in
            try Convert.checkKeywords(args, ["seed", "path", "iterations"])
            let path = args.optional(nil, "path") == nil
                ? (SharedData.directory() ?? "../shared/data") + "/digits/digits.csv.gz" : try args.string(nil, "path")
            var o = NoisyDigits.Options()
            o.seed = UInt64(try args.int(0, "seed", default: 0))
            o.iterations = try args.int(nil, "iterations", default: o.iterations)
            let r = try Convert.library("noisy_digits") { try NoisyDigits.run(data: try NoisyDigits.load(path: path), options: o) }
            return Convert.dict([
                ("clean", .number(r.clean)), ("noisy", .number(r.noisy)), ("table", .number(r.table)), ("net", .number(r.net)),
                ("table_recovered", .number(r.recovered(r.table))), ("net_recovered", .number(r.recovered(r.net))),
                ("table_flipped_weight", .number(r.tableFlippedWeight)), ("table_clean_weight", .number(r.tableCleanWeight)),
                ("net_flipped_weight", .number(r.netFlippedWeight)), ("net_clean_weight", .number(r.netCleanWeight)),
                ("train_count", .int(r.trainCount)), ("meta_count", .int(r.metaCount)), ("test_count", .int(r.testCount)),
                ("flipped_count", .int(r.flippedCount)),
            ])
        },
    ])
}
