import Foundation
import Lang
import Datasets

/// The `data` module: readers of every supported format, the built-in benchmark generator,
/// step splitting and final-answer extraction.
enum DataBuiltins {
    static func readOptions(_ args: Arguments) throws -> ReadOptions {
        ReadOptions(skipInvalid: try args.bool(nil, "skip_invalid"),
                    limit: args.optional(nil, "limit") == nil ? nil : try args.int(nil, "limit"))
    }

    /// A builtin that reads one file with `read` and wraps the result.
    static func reader<T>(_ name: String, _ summary: String, example: String,
                          _ read: @escaping (String, ReadOptions) throws -> ReadResult<T>,
                          _ wrap: @escaping ([T]) -> DatasetValue.Content) -> Builtin {
        Builtin(name, parameters: [
            .positional("path", "string", "the file"),
            .keyword("skip_invalid", "bool", default: false, "skip bad records (listed in `.skipped`) instead of failing"),
            .keyword("limit", "number", "read at most this many records"),
        ], summary,
                help: "Errors name the file, the record index and the problem. With skip_invalid: true bad records are skipped and listed in `.skipped`.",
                example: example) { args in
            let path = try args.string(0, "path")
            let options = try readOptions(args)
            let result = try Convert.library(name) { try read(path, options) }
            return .native(DatasetValue(wrap(result.items), source: path, skipped: result.messages))
        }
    }

    static let sharedExample = #"let d = shared_data()"#

    static let registry = BuiltinRegistry(module: "data", builtins: [
        reader("load_train", "Reads DreamPRM-1.5 training data (conversations with +/- or soft step labels).",
               example: "let meta = load_train(path_join(shared_data(), \"dreamprm15/meta_MMMU_Pro.json\"), limit: 5)\nprint(len(meta))",
               DatasetIO.readTrain) { .train($0) },
        reader("load_meta", "Reads a DreamPRM-1.5 meta set (conversations with a whole-solution true_false label).",
               example: "let meta = load_meta(path_join(shared_data(), \"dreamprm15/meta_MMMU_Pro.json\"), limit: 5)\nprint(meta[0].label)",
               DatasetIO.readMeta) { .meta($0) },
        reader("load_meta_v1", "Reads the DreamPRM v1 meta format ('Step N:' text, true_false).",
               example: "let v1 = load_meta_v1(path_join(shared_data(), \"dreamprm/meta.json\"), skip_invalid: true)\nprint(len(v1.skipped) > 0)",
               DatasetIO.readMetaV1) { .meta($0) },
        reader("load_candidates", "Reads a test set: question, candidates, true_false per candidate (for best-of-N).",
               example: "let b = benchmark(seed: 1, train_size: 20, meta: 4, test: 3)\nsave_candidates(b.test, \"/tmp/dprm-example-test.json\")\nprint(len(load_candidates(\"/tmp/dprm-example-test.json\")))",
               DatasetIO.readCandidates) { .candidates($0) },
        reader("load_prmbench", "Reads a PRMBench JSONL file as step-labelled instances (+ until the first error step).",
               example: "let pb = load_prmbench(path_join(shared_data(), \"prmbench/prm800k_test_p1_4o_circular.jsonl\"), limit: 4)\nprint(len(pb))",
               DatasetIO.readPRMBench) { .train($0) },
        reader("load_bbm", "Reads a BIG-Bench-Mistake JSONL file as step-labelled instances (- from mistake_index on).",
               example: "let bbm = load_bbm(path_join(shared_data(), \"bbm/word_sorting.jsonl\"), limit: 3)\nprint(bbm[0].labels)",
               DatasetIO.readBBM) { .train($0) },
        Builtin("save_train", parameters: [
                .positional("dataset", "dataset", "a dataset of training instances"),
                .positional("path", "string", "the JSON file written"),
            ], "Writes training instances in the DreamPRM-1.5 format (atomic).",
                help: "The file is written to a temporary name and renamed, so a crash never leaves half a file. load_train reads it back.",
                example: "let b = benchmark(seed: 1, train_size: 8, meta: 2, test: 2)\nsave_train(b.train, \"/tmp/dprm-example-train.json\")") { args in
            try save(args) { content, path in
                guard case .train(let x) = content else { return false }
                try DatasetIO.writeTrain(x, to: path); return true
            }
        },
        Builtin("save_meta", parameters: [
                .positional("dataset", "dataset", "a dataset of meta instances"),
                .positional("path", "string", "the JSON file written"),
            ], "Writes meta instances in the DreamPRM-1.5 format (atomic).",
                help: "Every step's gpt turn is '+' and the whole-solution label goes to true_false, as in meta_MMMU_Pro.json. load_meta reads it back.",
                example: "let b = benchmark(seed: 1, train_size: 8, meta: 2, test: 2)\nsave_meta(b.meta, \"/tmp/dprm-example-meta.json\")") { args in
            try save(args) { content, path in
                guard case .meta(let x) = content else { return false }
                try DatasetIO.writeMeta(x, to: path); return true
            }
        },
        Builtin("save_candidates", parameters: [
                .positional("dataset", "dataset", "a dataset of candidate sets"),
                .positional("path", "string", "the JSON file written"),
            ], "Writes candidate sets in the DreamPRM-1.5 test format (atomic).",
                help: "One record per question: question, image_path, candidates (texts) and true_false per candidate. load_candidates reads it back.",
                example: "let b = benchmark(seed: 1, train_size: 8, meta: 2, test: 2)\nsave_candidates(b.test, \"/tmp/dprm-example-cands.json\")") { args in
            try save(args) { content, path in
                guard case .candidates(let x) = content else { return false }
                try DatasetIO.writeCandidates(x, to: path); return true
            }
        },
        Builtin("benchmark", parameters: {
            let c = ArithmeticBenchmark.Config()
            return [
                .positional("seed", "number", default: 0, "seed of everything generated"),
                .keyword("train_size", "number", default: .int(ArithmeticBenchmark.Config.defaultTrainSize), "training instances"),
                .keyword("noise", "number", default: .number(ArithmeticBenchmark.Config.defaultNoiseRate), "share of the pool labelled by Monte Carlo estimation (domain mc)"),
                .keyword("coldstart_size", "number", default: .int(ArithmeticBenchmark.Config.defaultColdStartSize), "exact-labelled solutions of the cold-start set"),
                .keyword("mc_shares", "dict", default: .nil, "relative shares of the Monte Carlo corruptions {late, early, all_positive, flips} and flip_rate (nil: the defaults)"),
                .keyword("meta", "number", default: .int(c.metaCount), "meta instances"),
                .keyword("test", "number", default: .int(c.testQuestions), "test questions"),
                .keyword("candidates", "number", default: .int(c.candidatesPerQuestion), "sampled solutions per test question"),
                .keyword("error_rate", "number", default: .number(c.solverErrorRate), "the test solver's error rate per step"),
                .keyword("max_value", "number", default: .int(c.maxValue), "every intermediate value lies in 0...max_value"),
                .keyword("max_operations", "number", default: .int(c.testOperations.upperBound), "operations per problem are 2...max_operations (every split)"),
                .keyword("trap_factor", "number", default: .number(c.solver.trapFactor), "a question's trap step is wrong this many times as often"),
                .keyword("trap_consistency", "number", default: .number(c.solver.trapConsistency), "probability that a wrong trap step gives the question's trap value"),
            ]
        }(),
                "Generates the built-in arithmetic PRM benchmark: {train, coldstart, meta, test, domains, config}.",
                help: """
                `coldstart` holds `coldstart_size` solutions with exact labels (for the cold start); `train` is \
                the reweighting pool of `train_size` instances in two domains: clean (exact labels) and mc \
                (a `noise` share labelled as Monte Carlo estimation does: the first error marked a step late \
                or early, a wrong solution labelled all `+`, or random flips, with the shares of `mc_shares`); \
                each record's `metadata.corruption` says what was done to its labels ("none" when exact) and \
                `metadata.clean_labels` holds the exact ones; the domain is in each instance's \
                `domain` field, never in its text. `meta` has whole-solution labels (and the exact step \
                labels, which loss_target "steps" and "step_rank" read) from the test \
                distribution; `config` holds the arguments used; `test` has `candidates` sampled solutions per question from a noisy solver.
                """,
                example: "let b = benchmark(seed: 3, train_size: 40, meta: 5, test: 4)\nprint(b.train.domains())") { args in
            let seed = try args.int(0, "seed")
            let trainSize = try args.int(nil, "train_size")
            let noise = try args.number(nil, "noise")
            let shares = try monteCarloNoise(try args.value(nil, "mc_shares"), "benchmark")
            let coldStartSize = try args.int(nil, "coldstart_size")
            var config = ArithmeticBenchmark.Config(seed: UInt64(seed), trainSize: trainSize, noiseRate: noise,
                                                    coldStartSize: coldStartSize, monteCarlo: shares)
            config.metaCount = try args.int(nil, "meta")
            config.testQuestions = try args.int(nil, "test")
            config.candidatesPerQuestion = try args.int(nil, "candidates")
            config.solverErrorRate = try args.number(nil, "error_rate")
            let maxValue = try args.int(nil, "max_value")
            guard maxValue >= 4 else { throw DprmError.runtime("benchmark(): max_value must be >= 4, got \(maxValue)") }
            config.maxValue = maxValue
            let maxOperations = try args.int(nil, "max_operations")
            guard maxOperations >= 2 else { throw DprmError.runtime("benchmark(): max_operations must be >= 2, got \(maxOperations)") }
            config.setOperations(2...maxOperations)
            let trapFactor = try args.number(nil, "trap_factor")
            let trapConsistency = try args.number(nil, "trap_consistency")
            guard trapFactor >= 0, (0...1).contains(trapConsistency) else {
                throw DprmError.runtime("benchmark(): trap_factor must be >= 0 and trap_consistency in 0...1, got \(trapFactor), \(trapConsistency)")
            }
            config.solver.trapFactor = trapFactor
            config.solver.trapConsistency = trapConsistency
            let bench = ArithmeticBenchmark(config: config)
            return Convert.dict([
                ("train", .native(DatasetValue(.train(bench.train), source: "benchmark"))),
                ("coldstart", .native(DatasetValue(.train(bench.coldStart), source: "benchmark"))),
                ("meta", .native(DatasetValue(.meta(bench.meta), source: "benchmark"))),
                ("test", .native(DatasetValue(.candidates(bench.test), source: "benchmark"))),
                ("domains", Convert.strings(config.domains.map(\.name))),
                ("config", Convert.dict([
                    ("seed", .number(Double(seed))), ("train_size", .number(Double(trainSize))), ("noise", .number(noise)),
                    ("coldstart_size", .number(Double(coldStartSize))),
                    ("mc_shares", sharesValue(shares)),
                    ("meta", .number(Double(config.metaCount))), ("test", .number(Double(config.testQuestions))),
                    ("candidates", .number(Double(config.candidatesPerQuestion))), ("error_rate", .number(config.solverErrorRate)),
                    ("max_value", .number(Double(config.maxValue))), ("max_operations", .number(Double(maxOperations))),
                    ("trap_factor", .number(trapFactor)), ("trap_consistency", .number(trapConsistency)),
                ])),
            ])
        },
        Builtin("mc_corrupt", parameters: [
                .positional("dataset", "dataset", "a dataset of step-labelled training instances"),
                .keyword("share", "number", default: .number(ArithmeticBenchmark.Config.defaultNoiseRate), "share of the instances given Monte Carlo-like labels (rounded to a count)"),
                .keyword("seed", "whole number", default: 0, "seeds which instances are chosen and what is done to them"),
                .keyword("mc_shares", "dict", default: .nil, "relative shares of the corruptions {late, early, all_positive, flips} and flip_rate (nil: the benchmark's defaults)"),
            ], "The dataset with a share of its instances labelled as Monte Carlo estimation might, the exact labels kept in metadata.",
                help: """
                The corruptions of the built-in benchmark's mc domain, applied to any step-labelled dataset (PRMBench, \
                BIG-Bench-Mistake, ...): each chosen instance gets one kind drawn with the shares: the first error \
                (its first label below 0.5) marked a step late or early, a wrong solution labelled all `+`, or random \
                flips at flip_rate. A kind that cannot change an instance (a late mark on a correct solution) leaves \
                it exact. Every record gets `metadata.clean_labels` (the labels before) and `metadata.corruption` \
                (the kind applied, "none" when its labels are exact), as the benchmark's records have, so \
                is_corrupted and weight_separation (stdlib dreamprm) score weights against them.
                """,
                example: "let b = benchmark(seed: 1, train_size: 10, noise: 0, meta: 2, test: 2)\nlet c = mc_corrupt(b.train, share: 0.5, seed: 0)\nprint(c[0].metadata.corruption)") { args in
            let data = try args.native(0, "dataset", as: DatasetValue.self, expected: "a dataset")
            guard case .train(let instances) = data.content else {
                throw DprmError.type("mc_corrupt() needs a training dataset (step labels), got a \(data.kind) dataset")
            }
            let share = try args.number(nil, "share")
            guard share.isFinite, (0...1).contains(share) else {
                throw DprmError.runtime("mc_corrupt(): share must be between 0 and 1, got \(share)")
            }
            let noise = try monteCarloNoise(try args.value(nil, "mc_shares"), "mc_corrupt")
            let out = noise.corrupting(instances, share: share, seed: UInt64(try args.int(nil, "seed")))
            return .native(DatasetValue(.train(out), source: data.source, skipped: data.skipped))
        },
        Builtin("split_steps", parameters: [
                .positional("text", "string", "a solution's text"),
            ], "Splits a solution into steps (markers, blank-line blocks, answer line).",
                help: "Top-level markers at line starts ('Step 3:', '3.', '3)', circled numbers) win; else blank-line blocks; then inline enumerations. An answer line ('Final answer: ...') becomes the last step. See docs/data.md.",
                example: "print(split_steps(\"Step 1: 2 + 2 = 4\\nStep 2: 4 * 3 = 12\\nFinal answer: 12\"))") { args in
            Convert.strings(StepSplitter.split(try args.string(0, "text")))
        },
        Builtin("final_answer", parameters: [
                .positional("text", "string", "a solution's text"),
            ], "The normalised final answer of a solution, or nil.",
                help: "Reads the last 'Final answer:', \\boxed{...} or 'the answer is' value and normalises it (case, spaces, trailing period), as self-consistency voting does.",
                example: "print(final_answer(\"so the answer is 42.\"))") { args in
            FinalAnswer.extract(try args.string(0, "text")).map { .string($0) } ?? .nil
        },
        Builtin("shared_data", parameters: [], "The folder of the shared real datasets ($DPRM_SHARED/data or ../shared/data).",
                help: "Errors when it cannot be found, saying which paths were tried.",
                example: "print(exists(shared_data()))") { _ in
            guard let dir = SharedData.directory() else {
                throw DprmError.runtime("shared_data(): no shared data folder; set DPRM_SHARED to the folder holding data/")
            }
            return .string(dir)
        },
    ])

    /// The Monte Carlo corruption shares of an `mc_shares` argument (nil: the defaults); `callee`
    /// names the builtin in errors.
    static func monteCarloNoise(_ value: Value, _ callee: String) throws -> ArithmeticBenchmark.MonteCarloNoise {
        var shares = ArithmeticBenchmark.MonteCarloNoise()
        switch value {
        case .nil: break
        case .dict(let d):
            for (key, value) in d.pairs {
                guard case .number(let x) = value, x >= 0 else {
                    throw DprmError.runtime("\(callee)(): mc_shares.\(key) must be a number >= 0, got \(value)")
                }
                switch key {
                case "late": shares.late = x
                case "early": shares.early = x
                case "all_positive": shares.allPositive = x
                case "flips": shares.flips = x
                case "flip_rate": shares.flipRate = x
                default: throw DprmError.runtime("\(callee)(): unknown mc_shares key '\(key)' (late, early, all_positive, flips, flip_rate)")
                }
            }
        default:
            throw DprmError.runtime("\(callee)(): mc_shares must be a dict, got \(value)")
        }
        return shares
    }

    /// The shares as a dict, as results record them.
    static func sharesValue(_ shares: ArithmeticBenchmark.MonteCarloNoise) -> Value {
        Convert.dict([("late", .number(shares.late)), ("early", .number(shares.early)),
                      ("all_positive", .number(shares.allPositive)), ("flips", .number(shares.flips)),
                      ("flip_rate", .number(shares.flipRate))])
    }

    static func save(_ args: Arguments, _ write: (DatasetValue.Content, String) throws -> Bool) throws -> Value {
        let data = try args.native(0, "dataset", as: DatasetValue.self, expected: "a dataset")
        let path = try args.string(1, "path")
        guard try Convert.library(args.callee, { try write(data.content, path) }) else {
            throw DprmError.type("\(args.callee)() needs a \(args.callee.dropFirst(5)) dataset, got a \(data.kind) dataset")
        }
        return .nil
    }
}
