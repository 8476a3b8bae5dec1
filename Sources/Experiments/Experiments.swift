/// Experiments: self-contained studies built from the library layers, kept apart from them so the
/// libraries hold no experiment code. The noisy-digits reweighting demonstration (the classic
/// learning-to-reweight setting on a small image set) and the built-in benchmark, which trains
/// and evaluates a PRM on the generated arithmetic data end to end.
