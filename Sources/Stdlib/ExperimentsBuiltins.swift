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
    ])
}
