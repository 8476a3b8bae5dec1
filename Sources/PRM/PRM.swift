/// PRM: the process reward model and everything that uses it without bi-level reweighting.
/// The model (`ProcessRewardModel`, presets in `PRMConfig`, backbones: the small generative
/// transformer and pretrained BERT-family encoders), its input template, checkpoints, the cold
/// start (supervised fine-tuning with `BatchLoader`, `TrainingHistory`, `ProgressBar`), and
/// evaluation: step-score aggregation, best-of-N selection, AUROC and results tables.
/// `Reweight` builds on it. See docs/prm.md.
