import Tensors

extension Module {
    /// The parameters holding NaN or infinite values, with how many each holds (in parameter
    /// order). Loaders warn with it: a checkpoint written by a diverged run loads, but every score
    /// it gives is NaN (issue 18).
    public func nonFiniteParameters() -> [(name: String, count: Int)] {
        namedParameters().compactMap { name, p in
            let bad = p.value.toArray().reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            return bad > 0 ? (name, bad) : nil
        }
    }

    /// A one-line warning naming `source` and the non-finite parameters, or nil when all are finite.
    public func nonFiniteWarning(source: String) -> String? {
        let bad = nonFiniteParameters()
        guard !bad.isEmpty else { return nil }
        let total = bad.reduce(0) { $0 + $1.count }
        let listed = bad.prefix(3).map { "\($0.name) (\($0.count))" }.joined(separator: ", ")
        return "\(source): \(total) weights are NaN or infinite, in \(bad.count) tensors: \(listed)\(bad.count > 3 ? ", ..." : ""); "
            + "its scores will be NaN (was it saved by a diverged run?)"
    }
}
