import Foundation
import Tensors
import Autodiff

/// How a candidate's step scores (p(+) per step) become one solution score.
///
/// Built-ins (names as the reference's `aggregation_function`):
/// - `mean`: arithmetic mean (the reference's default and its only meta-loss aggregation);
/// - `min`, `max`;
/// - `log_mean`: mean of log p, with p clamped to at least `Aggregation.logFloor` so a step
///   scored exactly 0 gives a large negative number instead of -infinity;
/// - `prod`: product of the p (the probability that every step is right, if independent);
/// - `last`: the score of the last step.
/// Or `custom`: any function of the scores (a `.dprm` function, for example), optionally with a
/// differentiable version for the meta loss.
///
/// An empty score list (a candidate whose every step was truncated away) aggregates to
/// -infinity with every function, so it is never preferred over a scored candidate.
public struct Aggregation: CustomStringConvertible {
    public enum Kind: Equatable, Sendable { case mean, min, max, logMean, prod, last, custom }

    public let name: String
    public let kind: Kind
    private let customScores: (([Float]) -> Float)?
    private let customProbabilities: ((Variable) -> Variable)?

    /// p is clamped to at least this before a log (`log_mean`, differentiable `prod`).
    public static let logFloor: Float = 1e-30

    /// The built-in names, in the order tables list them.
    public static let builtinNames = ["mean", "min", "max", "log_mean", "prod", "last"]

    private init(name: String, kind: Kind, scores: (([Float]) -> Float)? = nil, probabilities: ((Variable) -> Variable)? = nil) {
        self.name = name
        self.kind = kind
        self.customScores = scores
        self.customProbabilities = probabilities
    }

    public static let mean = Aggregation(name: "mean", kind: .mean)
    public static let min = Aggregation(name: "min", kind: .min)
    public static let max = Aggregation(name: "max", kind: .max)
    public static let logMean = Aggregation(name: "log_mean", kind: .logMean)
    public static let prod = Aggregation(name: "prod", kind: .prod)
    public static let last = Aggregation(name: "last", kind: .last)

    /// Every built-in aggregation, in `builtinNames` order.
    public static let builtins: [Aggregation] = [.mean, .min, .max, .logMean, .prod, .last]

    /// A built-in by name; an unknown name throws an error listing the valid ones.
    public init(name: String) throws {
        guard let found = Aggregation.builtins.first(where: { $0.name == name }) else {
            throw AggregationError.unknown(name, valid: Aggregation.builtinNames)
        }
        self = found
    }

    /// A user-defined aggregation. `probabilities` is its differentiable version over a [k]
    /// Variable of step probabilities (needed only to use it in a meta loss).
    public static func custom(name: String, _ scores: @escaping ([Float]) -> Float,
                              probabilities: ((Variable) -> Variable)? = nil) -> Aggregation {
        Aggregation(name: name, kind: .custom, scores: scores, probabilities: probabilities)
    }

    /// True when `callAsFunction(_: Variable)` is available.
    public var isDifferentiable: Bool { kind != .custom || customProbabilities != nil }

    public var description: String { name }

    /// The solution score of `scores` (see the type's doc for each function).
    public func callAsFunction(_ scores: [Float]) -> Float {
        if scores.isEmpty { return -.infinity }
        switch kind {
        case .mean: return scores.reduce(0, +) / Float(scores.count)
        case .min: return scores.min()!
        case .max: return scores.max()!
        case .logMean: return scores.reduce(0) { $0 + logf(Swift.max($1, Aggregation.logFloor)) } / Float(scores.count)
        case .prod: return scores.reduce(1, *)
        case .last: return scores.last!
        case .custom: return customScores!(scores)
        }
    }

    /// The differentiable version over a [k] Variable of step probabilities -> scalar Variable.
    /// `prod` is computed as exp(sum(log(max(p, logFloor)))), which equals the product for
    /// p >= logFloor and gives the gradient prod/p_i.
    public func callAsFunction(_ probabilities: Variable) -> Variable {
        precondition(probabilities.shape.count == 1 && probabilities.shape[0] > 0,
                     "aggregate: expected a non-empty [k] vector of step probabilities, got shape \(Tensor.describe(probabilities.shape))")
        let p = probabilities
        switch kind {
        case .mean: return p.mean()
        case .min: return p.min()
        case .max: return p.max()
        case .logMean: return p.clamp(min: Aggregation.logFloor).log().mean()
        case .prod: return p.clamp(min: Aggregation.logFloor).log().sum().exp()
        case .last: return p.selecting(axis: 0, index: p.shape[0] - 1)
        case .custom:
            guard let f = customProbabilities else {
                preconditionFailure("aggregation '\(name)' has no differentiable version; pass `probabilities:` to Aggregation.custom")
            }
            return f(p)
        }
    }
}

/// The solution score of `scores` under `aggregation`.
public func aggregate(_ scores: [Float], _ aggregation: Aggregation) -> Float { aggregation(scores) }

/// The differentiable solution score of `probabilities` ([k] -> scalar) under `aggregation`.
public func aggregate(_ probabilities: Variable, _ aggregation: Aggregation) -> Variable { aggregation(probabilities) }

/// An aggregation name that does not exist.
public enum AggregationError: Error, CustomStringConvertible, Equatable {
    case unknown(String, valid: [String])

    public var description: String {
        switch self {
        case let .unknown(name, valid):
            return "unknown aggregation function '\(name)'; valid: \(valid.joined(separator: ", "))"
        }
    }
}
