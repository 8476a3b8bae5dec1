import Support

/// Monte Carlo-like label corruption applied to step-labelled instances from any source (a
/// PRMBench or BIG-Bench-Mistake file, ...), with the same kinds, shares and metadata as the
/// built-in benchmark's "mc" domain, so a loaded dataset can be reweighted against known bad
/// labels and the weights scored against them (`is_corrupted`, `weight_separation` in
/// stdlib/dreamprm.dprm read `metadata.corruption`).
extension ArithmeticBenchmark.MonteCarloNoise {
    /// `instances` with `share` of them (rounded to a count, at least 0 and at most all, chosen
    /// by a shuffle seeded with `seed`) labelled as Monte Carlo estimation might: each chosen one
    /// gets one kind drawn with the shares (`corrupt`), its first error being its first label
    /// below 0.5. Every returned instance carries `metadata.clean_labels` (its labels before) and
    /// `metadata.corruption` (the kind applied, or "none": not chosen, or a kind that cannot
    /// change its labels, such as a late mark on a correct solution). Order and ids are kept.
    public func corrupting(_ instances: [PRMInstance], share: Double, seed: UInt64) -> [PRMInstance] {
        let n = instances.count
        let count = share.isFinite ? min(n, max(0, Int((Double(n) * max(0, min(1, share))).rounded()))) : 0
        var rng = RandomGenerator(seed: seed)
        var order = Array(0..<n)
        rng.shuffle(&order)
        let chosen = Set(order.prefix(count))
        return instances.enumerated().map { k, x in
            var y = x
            var kind = "none"
            if chosen.contains(k) {
                let firstError = x.labels.firstIndex { $0 < 0.5 }
                let result = corrupt(x.labels, firstError: firstError, rng: &rng)
                y.labels = result.labels
                kind = result.kind
            }
            y.metadata["clean_labels"] = .array(x.labels.map { .number(Double($0)) })
            y.metadata["corruption"] = .string(kind)
            return y
        }
    }
}
