import Datasets
import Distributed
import Support

/// The selection baselines of the paper's table, computed from the candidate sets alone.
///
/// - `first`: the first candidate (no selection, the paper's base).
/// - `random`: the expected accuracy of picking a candidate uniformly at random, i.e. the mean
///   over questions of the fraction of correct candidates (no sampling, so no seed).
/// - `selfConsistency`: majority vote over the candidates' normalised final answers
///   (`CandidateSet.finalAnswers`); candidates without an answer do not vote; a tie between
///   answers goes to the answer that occurs first; the chosen candidate is the first one giving
///   the winning answer. A question where no candidate has an answer falls back to candidate 0.
/// - `oracle`: a question counts as solved when any candidate is correct.
/// A question with no candidates counts as wrong for every method.
public struct SelectionBaselines: Equatable {
    public var first: Double
    public var random: Double
    public var selfConsistency: Double
    public var oracle: Double
    /// The candidate self-consistency picks per question (nil for a question without candidates).
    public var selfConsistencyChoices: [Int?]

    public init(_ sets: [CandidateSet]) {
        let n = Double(Swift.max(sets.count, 1))
        var first = 0.0, random = 0.0, sc = 0.0, oracle = 0.0
        var choices: [Int?] = []
        for s in sets {
            guard !s.candidates.isEmpty else { choices.append(nil); continue }
            if s.correct[0] { first += 1 }
            random += Double(s.correct.filter { $0 }.count) / Double(s.correct.count)
            if s.anyCorrect { oracle += 1 }
            let pick = SelectionBaselines.majorityVote(s.finalAnswers) ?? 0
            choices.append(pick)
            if s.correct[pick] { sc += 1 }
        }
        self.first = first / n
        self.random = random / n
        self.selfConsistency = sc / n
        self.oracle = oracle / n
        self.selfConsistencyChoices = choices
    }

    /// Index of the candidate chosen by majority vote over `answers` (see the type's doc), nil
    /// when no candidate has an answer.
    public static func majorityVote(_ answers: [String?]) -> Int? {
        var counts: [String: Int] = [:]
        var firstIndex: [String: Int] = [:]
        for (i, a) in answers.enumerated() {
            guard let a else { continue }
            counts[a, default: 0] += 1
            if firstIndex[a] == nil { firstIndex[a] = i }
        }
        // Highest count; among equal counts the answer seen first.
        return counts.max { x, y in
            x.value != y.value ? x.value < y.value : firstIndex[x.key]! > firstIndex[y.key]!
        }.map { firstIndex[$0.key]! }
    }
}

/// Best-of-N selection with a PRM: every candidate's step scores, aggregated; the highest wins.
public struct BestOfNResult {
    /// The aggregation's name.
    public var aggregation: String
    public var questionIDs: [String]
    /// Chosen candidate per question (nil when a question has no candidates).
    public var choices: [Int?]
    /// Whether the chosen candidate is correct, per question.
    public var chosenCorrect: [Bool]
    /// Step scores p(+) per question, candidate, step.
    public var stepScores: [[[Float]]]
    /// Aggregated score per question and candidate.
    public var scores: [[Float]]
    /// Fraction of questions whose chosen candidate is correct.
    public var accuracy: Double
    /// AUROC of the aggregated scores for telling correct from wrong candidates, over all
    /// candidates of all questions (nil when every candidate is correct, or none is).
    public var auroc: Double?
    public var baselines: SelectionBaselines

    /// The paper-style table: no selection (base), random, self-consistency, this PRM, oracle.
    public func table(prmLabel: String = "PRM") -> ResultsTable {
        ResultsTable(rows: [
            .init(method: "No selection (first)", accuracy: baselines.first),
            .init(method: "Random (expected)", accuracy: baselines.random),
            .init(method: "Self-consistency", accuracy: baselines.selfConsistency),
            .init(method: "\(prmLabel) (\(aggregation))", accuracy: accuracy),
            .init(method: "Oracle", accuracy: baselines.oracle),
        ], base: baselines.first, baseMethod: "No selection (first)")
    }

    /// The result as JSON: aggregation, accuracy, auroc, baselines, and per question the id,
    /// chosen candidate, whether it is correct, the aggregated scores and the step scores.
    /// Non-finite scores (an empty candidate's -infinity) are written as null.
    public func json() -> JSONValue {
        func number(_ x: Double?) -> JSONValue {
            guard let x, x.isFinite else { return .null }
            return .number(x)
        }
        func floats(_ xs: [Float]) -> JSONValue { .array(xs.map { number(Double($0)) }) }
        let questions: [JSONValue] = questionIDs.indices.map { q in
            .object([
                ("id", .string(questionIDs[q])),
                ("choice", choices[q].map { .number(Double($0)) } ?? .null),
                ("correct", .bool(chosenCorrect[q])),
                ("scores", floats(scores[q])),
                ("step_scores", .array(stepScores[q].map(floats))),
            ])
        }
        return .object([
            ("aggregation", .string(aggregation)),
            ("accuracy", number(accuracy)),
            ("auroc", number(auroc)),
            ("baselines", .object([
                ("first", number(baselines.first)),
                ("random", number(baselines.random)),
                ("self_consistency", number(baselines.selfConsistency)),
                ("oracle", number(baselines.oracle)),
            ])),
            ("questions", .array(questions)),
        ])
    }

    /// Writes `json()` to `path` atomically (a temporary file renamed over it). Under mpirun
    /// only rank 0 writes (every rank holds the same result).
    public func write(json path: String) throws {
        guard World.shared.isRoot else { return }
        try DatasetIO.writeAtomically(json(), to: path)
    }
}

/// Best-of-N from precomputed step scores (`stepScores[question][candidate][step]`), so one
/// scoring pass serves every aggregation.
///
/// The chosen candidate is the one with the highest aggregated score; ties go to the LOWEST
/// candidate index (deterministic, and equal to "no selection" when the PRM cannot tell the
/// candidates apart).
public func bestOfN(sets: [CandidateSet], stepScores: [[[Float]]], aggregation: Aggregation) -> BestOfNResult {
    precondition(sets.count == stepScores.count, "bestOfN: \(sets.count) questions but \(stepScores.count) score lists")
    var choices: [Int?] = []
    var chosenCorrect: [Bool] = []
    var scores: [[Float]] = []
    var allScores: [Float] = []
    var allLabels: [Bool] = []
    for (s, perCandidate) in zip(sets, stepScores) {
        precondition(perCandidate.count == s.candidates.count,
                     "bestOfN: question \(s.id) has \(s.candidates.count) candidates but \(perCandidate.count) score lists")
        // A NaN score (from a custom aggregation) ranks lowest, like an empty candidate.
        let agg = perCandidate.map { steps -> Float in
            let v = aggregation(steps)
            return v.isNaN ? -.infinity : v
        }
        scores.append(agg)
        allScores += agg
        allLabels += s.correct
        var best: Int? = nil
        for (i, v) in agg.enumerated() where best == nil || v > agg[best!] { best = i }
        choices.append(best)
        chosenCorrect.append(best.map { s.correct[$0] } ?? false)
    }
    let accuracy = Double(chosenCorrect.filter { $0 }.count) / Double(Swift.max(sets.count, 1))
    return BestOfNResult(aggregation: aggregation.name, questionIDs: sets.map(\.id), choices: choices,
                         chosenCorrect: chosenCorrect, stepScores: stepScores, scores: scores,
                         accuracy: accuracy, auroc: auroc(allScores, allLabels),
                         baselines: SelectionBaselines(sets))
}

/// Best-of-N with `prm`: scores every candidate of every question (batched, no graph), then
/// selects as `bestOfN(sets:stepScores:aggregation:)`.
public func bestOfN(_ prm: ProcessRewardModel, sets: [CandidateSet], aggregation: Aggregation = .mean) -> BestOfNResult {
    bestOfN(sets: sets, stepScores: prm.candidateScores(sets), aggregation: aggregation)
}

/// As `bestOfN(_:sets:aggregation:)`, checking `shouldStop` (Ctrl-C) before every scoring batch:
/// nil when it stopped. Candidates are scored in batches of about `tokensPerBatch` padded
/// tokens; under mpirun the batches are shared out over the ranks (docs/distributed.md).
public func bestOfN(_ prm: ProcessRewardModel, sets: [CandidateSet], aggregation: Aggregation = .mean,
                    tokensPerBatch: Int = 8192, shouldStop: () -> Bool) -> BestOfNResult? {
    guard let scores = prm.candidateScores(sets, tokensPerBatch: tokensPerBatch, shouldStop: shouldStop) else { return nil }
    return bestOfN(sets: sets, stepScores: scores, aggregation: aggregation)
}
