import NN

/// The schedule named by the reference flags: `cosine_warmup` / `cosine` (with warmup, the
/// DreamPRM-1.5 default), `linear` (with warmup), `step` (StepLR), `constant`. The one mapping
/// used by cold start and reweighting (`Reweight` builds on it); `caller` prefixes error messages.
public func makeSchedule(type: String, warmup: Int, total: Int, stepSize: Int, gamma: Double,
                         caller: String = "reweight") throws -> Schedule {
    switch type.lowercased() {
    case "cosine", "cosine_warmup", "cosine_with_warmup": return .cosineWithWarmup(warmup: warmup, total: total)
    case "linear", "linear_warmup": return .linearWithWarmup(warmup: warmup, total: total)
    case "step", "steplr":
        guard stepSize >= 1 else {
            throw PRMError.invalidOption("\(caller): scheduler_step_size must be >= 1, got \(stepSize)")
        }
        return .step(stepSize: stepSize, gamma: gamma)
    case "constant": return warmup > 0 ? .constantWithWarmup(warmup: warmup) : .constant
    default:
        throw PRMError.invalidOption("\(caller): unknown scheduler_type '\(type)'; choose cosine_warmup, linear, step or constant")
    }
}
