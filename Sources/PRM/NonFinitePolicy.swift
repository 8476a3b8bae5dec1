import Foundation

/// What a training run (cold start, reweighting, the bi-level engine) does when a loss, a
/// gradient norm or a weight becomes NaN or infinite (`on_nonfinite` in the language).
///
/// `stop` (the default) ends the run with an error naming the step, before the bad step touches
/// the weights or any checkpoint. `rollback` puts back the last good state kept in memory (the
/// weights, the optimizer's moments, the schedule position, the batch order and the history as
/// they were before the last optimizer step whose loss and gradient were finite), multiplies the
/// learning rate by `factor` for the rest of the run, and continues; after `maxRollbacks`
/// rollbacks in one run the next non-finite value stops it as `stop` does. Keeping that state
/// costs one copy of the trainable parameters and of their optimizer state per optimizer step
/// (so about twice their memory); `stop` keeps nothing.
public enum NonFinitePolicy: Equatable, Sendable {
    case stop
    case rollback(factor: Double, maxRollbacks: Int)

    /// The factor a rollback multiplies the learning rate by, unless given.
    public static let defaultFactor = 0.1
    /// Rollbacks allowed in one run, unless given.
    public static let defaultMaxRollbacks = 5
    /// The names `init(name:)` accepts.
    public static let names = ["stop", "rollback"]

    /// `name` is "stop" or "rollback"; `factor` must lie in (0, 1) and `maxRollbacks` in 1...1000
    /// (both are ignored by "stop"). Errors name the option and the value.
    public init(name: String, factor: Double = defaultFactor, maxRollbacks: Int = defaultMaxRollbacks) throws {
        switch name {
        case "stop": self = .stop
        case "rollback":
            guard factor > 0, factor < 1 else {
                throw PRMError.invalidOption("rollback_factor must be between 0 and 1 (exclusive), got \(factor)")
            }
            guard (1...1000).contains(maxRollbacks) else {
                throw PRMError.invalidOption("max_rollbacks must be between 1 and 1000, got \(maxRollbacks)")
            }
            self = .rollback(factor: factor, maxRollbacks: maxRollbacks)
        default:
            throw PRMError.invalidOption("on_nonfinite must be \(Self.names.map { "\"\($0)\"" }.joined(separator: " or ")), got \"\(name)\"")
        }
    }

    /// True for `rollback`: the run keeps a copy of its last good state.
    public var keepsGoodState: Bool { if case .rollback = self { return true }; return false }

    /// The factor of one more rollback when `done` rollbacks leave room for it, else nil.
    public func allowsRollback(after done: Int) -> Double? {
        guard case let .rollback(factor, maxRollbacks) = self, done < maxRollbacks else { return nil }
        return factor
    }

    /// The sentence a stopped run adds when it had rollbacks left or not.
    public func exhaustedNote(rollbacks: Int) -> String {
        guard case let .rollback(factor, maxRollbacks) = self else { return "" }
        if rollbacks >= maxRollbacks {
            return " (after \(rollbacks) rollback\(rollbacks == 1 ? "" : "s"), each lowering the learning rate \(factor)x, the limit max_rollbacks \(maxRollbacks))"
        }
        return " (no finite state to roll back to yet)"
    }
}

/// One rollback a run made: where the non-finite value appeared, where the run went back to and
/// the learning-rate factor in force from then on (the product of the factors of every rollback
/// that lowered that rate).
public struct NonFiniteRollback: Equatable, Sendable {
    /// The step (micro-step or iteration) at which the value was seen.
    public var step: Int
    /// The steps completed in the state put back (the run continues with step `restoredTo + 1`).
    public var restoredTo: Int
    /// What was not finite, e.g. "the loss is nan".
    public var reason: String
    /// The factor the (lower level's) learning rate is multiplied by from now on.
    public var rateScale: Double
    /// In a bi-level run: the factor of the upper level's rate (nil: a single-level run).
    public var upperRateScale: Double?

    public init(step: Int, restoredTo: Int, reason: String, rateScale: Double, upperRateScale: Double? = nil) {
        self.step = step; self.restoredTo = restoredTo; self.reason = reason
        self.rateScale = rateScale; self.upperRateScale = upperRateScale
    }

    /// One line for the user, e.g. "coldstart: the loss is nan at step 3: rolled back to the
    /// state after step 1; the learning rate is now 0.1x the schedule's".
    public func message(_ caller: String, unit: String = "step") -> String {
        func x(_ v: Double) -> String { String(format: "%g", v) + "x" }
        let rates = upperRateScale.map { "the lower level's learning rate is now \(x(rateScale)) the schedule's, the upper level's \(x($0))" }
            ?? "the learning rate is now \(x(rateScale)) the schedule's"
        return "\(caller): \(reason) at \(unit) \(step): rolled back to the state after \(unit) \(restoredTo); \(rates)"
    }
}
