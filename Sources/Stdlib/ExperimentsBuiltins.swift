import Foundation
import Lang
import Datasets
import Experiments

/// The `experiments` module: studies built from the PRM and Reweight layers (target
/// `Experiments`), as builtins. Only this file of Stdlib imports `Experiments`, so each Stdlib
/// module maps onto one target (see docs/CONTRIBUTING.md).
enum ExperimentsBuiltins {
    /// The registry of module `experiments`.
    static let registry = BuiltinRegistry(module: "experiments", builtins: [
        Builtin("noisy_digits", parameters: [
            .positional("seed", "number", default: 0, "seed of the noise, the split and the models"),
            .keyword("path", "string", shown: "the shared digits.csv.gz", "the UCI digits file"),
            .keyword("iterations", "number", default: .int(NoisyDigits.Options().iterations), "training iterations of each model"),
        ],
                "The classic sanity check: UCI digits, 40% label noise, clean meta set; accuracies of clean, noisy, Instance Table, Meta-Weight-Net.",
                help: "Returns a dict with accuracies, the recovered fraction of the clean-versus-noisy gap, and mean weights of flipped and clean instances. path defaults to the shared digits.csv.gz.",
                example: "let r = noisy_digits(seed: 0, iterations: 20)\nprint(r.train_count > 0)") { args in
            let path = args.optional(nil, "path") == nil
                ? (SharedData.directory() ?? "../shared/data") + "/digits/digits.csv.gz" : try args.string(nil, "path")
            var o = NoisyDigits.Options()
            o.seed = UInt64(try args.int(0, "seed"))
            o.iterations = try args.int(nil, "iterations")
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
        Builtin("multimodal_benchmark", parameters: {
            let c = DigitPictureBenchmark.Config()
            return [
                .positional("dir", "string", "folder the pictures are written to (created if missing)"),
                .keyword("seed", "number", default: 0, "seed of everything generated"),
                .keyword("train_size", "number", default: .int(c.domains.map(\.count).reduce(0, +)), "reweighting pool, split equally over the domains clean, noisy, shifted, mc"),
                .keyword("coldstart_size", "number", default: .int(c.coldStartCount), "exact-labelled solutions of the cold-start set"),
                .keyword("meta", "number", default: .int(c.metaCount), "meta instances"),
                .keyword("test", "number", default: .int(c.testQuestions), "test questions"),
                .keyword("candidates", "number", default: .int(c.candidatesPerQuestion), "sampled solutions per test question"),
                .keyword("digits", "list of numbers", default: Convert.ints(c.digits), "the digit classes the pictures show"),
                .keyword("scale", "number", default: .int(c.scale), "upscaling of the 8x8 digits (4: 32-pixel digits)"),
                .keyword("misread_rate", "number", default: .number(c.misreadRate), "probability that the solver misreads a digit"),
                .keyword("sum_error_rate", "number", default: .number(c.sumErrorRate), "probability that the solver's sum is off by 1 or 2"),
                .keyword("path", "string", shown: "the shared digits.csv.gz", "the UCI digits file"),
            ]
        }(),
                "Generates the built-in multimodal benchmark (digit pictures, sums): {train, coldstart, meta, test, domains, dir, config}.",
                help: """
                Each question shows a picture of two handwritten digits (UCI digits, upscaled, written as PNGs into \
                `dir`) and asks for their sum; the numbers are only in the picture. Solutions read each digit, add \
                and answer, one step each; a noisy solver misreads digits and slips in the sum. `coldstart` has \
                exact labels; `train` is the reweighting pool in four domains with the label kinds of the text \
                benchmark (clean, noisy flips, shifted, Monte Carlo); `meta` and `test` use digit images no \
                training picture uses. Use with prm_new(vision: ...). See docs/multimodal.md.
                """,
                example: "let b = multimodal_benchmark(\"/tmp/dprm-mm-example\", seed: 1, train_size: 8, coldstart_size: 4, meta: 2, test: 2)\nprint(len(b.test), b.domains)") { args in
            let path = args.optional(nil, "path") == nil
                ? (SharedData.directory() ?? "../shared/data") + "/digits/digits.csv.gz" : try args.string(nil, "path")
            var c = DigitPictureBenchmark.Config(seed: UInt64(try args.int(nil, "seed")), trainSize: try args.int(nil, "train_size"))
            c.coldStartCount = try args.int(nil, "coldstart_size")
            c.metaCount = try args.int(nil, "meta")
            c.testQuestions = try args.int(nil, "test")
            c.candidatesPerQuestion = try args.int(nil, "candidates")
            guard case .list(let digitList) = try args.value(nil, "digits"),
                  let digitValues = Optional(digitList.items.compactMap(\.asNumber)), digitValues.count == digitList.items.count,
                  digitValues.allSatisfy({ $0 == $0.rounded() && abs($0) < 100 }) else {
                throw DprmError.runtime("multimodal_benchmark: digits must be a list of whole numbers 0-9")
            }
            c.digits = digitValues.map { Int($0) }
            c.scale = try args.int(nil, "scale")
            c.misreadRate = try args.number(nil, "misread_rate")
            c.trainMisreadRate = c.misreadRate
            c.sumErrorRate = try args.number(nil, "sum_error_rate")
            let dir = try args.string(0, "dir")
            let bench = try Convert.library("multimodal_benchmark") {
                try DigitPictureBenchmark(config: c, digits: try NoisyDigits.load(path: path), directory: dir)
            }
            return Convert.dict([
                ("train", .native(DatasetValue(.train(bench.train), source: "multimodal_benchmark"))),
                ("coldstart", .native(DatasetValue(.train(bench.coldStart), source: "multimodal_benchmark"))),
                ("meta", .native(DatasetValue(.meta(bench.meta), source: "multimodal_benchmark"))),
                ("test", .native(DatasetValue(.candidates(bench.test), source: "multimodal_benchmark"))),
                ("domains", Convert.strings(c.domains.map(\.name))),
                ("dir", .string(bench.directory)),
                ("config", Convert.dict([
                    ("seed", .number(Double(c.seed))), ("train_size", .int(c.domains.map(\.count).reduce(0, +))),
                    ("coldstart_size", .int(c.coldStartCount)), ("meta", .int(c.metaCount)), ("test", .int(c.testQuestions)),
                    ("candidates", .int(c.candidatesPerQuestion)), ("digits", Convert.ints(c.digits)), ("scale", .int(c.scale)),
                    ("misread_rate", .number(c.misreadRate)), ("sum_error_rate", .number(c.sumErrorRate)),
                ])),
            ])
        },
    ])
}
