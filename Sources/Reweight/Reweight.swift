/// Reweight: bi-level instance reweighting on top of `PRM`. The generic engine
/// (`BilevelEngine`, hypergradients, level optimizers), the weighting models (Instance Table,
/// Instance Net, Domain Table, loss-weight net), meta losses, and `ReweightRun`, which trains a
/// `ProcessRewardModel` with one of them. See docs/bilevel.md.
