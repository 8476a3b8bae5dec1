import Lang
import Distributed

/// The `distributed` module: which process of an `mpirun` job this is (docs/distributed.md).
enum DistributedBuiltins {
    static let registry = BuiltinRegistry(module: "distributed", builtins: [
        Builtin("world", parameters: [], "This process's place in an MPI job: {rank, size, communication_seconds} ({rank: 0, size: 1} without mpirun).",
                help: """
                Under `mpirun -np N dprm run script.dprm` every rank runs the whole script; `coldstart` \
                and `reweight` split their global batches over the ranks and `best_of_n` its candidate \
                sets, and every rank gets the same results. Rank 0 alone writes checkpoints, histories \
                and progress bars, and only rank 0's standard output is shown; guard a script's own file \
                writes with `if world().rank == 0 { ... }`. `communication_seconds` is the time this rank \
                has spent so far in reductions and gathers, waiting for slower ranks included.
                """,
                example: "let w = world()\nprint(\"rank {w.rank} of {w.size}\")") { _ in
            let w = World.shared
            return Convert.dict([("rank", .int(w.rank)), ("size", .int(w.size)),
                                 ("communication_seconds", .number(w.communicationSeconds))])
        },
    ])
}
