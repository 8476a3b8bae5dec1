import Support
/// One step-labelled training instance (the DreamPRM-1.5 training format).
///
/// `labels[k]` is the target probability that step `k` is correct: 1 for `+`, 0 for `-`, a value
/// in between for soft labels (Monte Carlo estimates). `steps.count == labels.count` always.
public struct PRMInstance: Sendable, Equatable {
    /// Identifies the instance (the Instance Table keys its weights by this).
    public var id: String
    /// The source / `dataset` field when known (Domain Table key); never part of the text.
    public var domain: String?
    public var systemPrompt: String
    public var question: String
    public var steps: [String]
    public var labels: [Float]
    /// Path of the image as written in the record (may be relative to the data file).
    public var image: String?
    /// Every other key of the source record, kept so nothing is lost on a read/write round trip.
    public var metadata: [String: JSONValue]

    public init(id: String, domain: String? = nil, systemPrompt: String = Datasets.defaultSystemPrompt,
                question: String, steps: [String], labels: [Float], image: String? = nil,
                metadata: [String: JSONValue] = [:]) {
        precondition(steps.count == labels.count, "PRMInstance \(id): \(steps.count) steps but \(labels.count) labels")
        self.id = id
        self.domain = domain
        self.systemPrompt = systemPrompt
        self.question = question
        self.steps = steps
        self.labels = labels
        self.image = image
        self.metadata = metadata
    }

    /// Hard labels: `true` where the label is at least 0.5.
    public var hardLabels: [Bool] { labels.map { $0 >= 0.5 } }
}

/// One meta-set instance: a solution with a whole-solution label (`true_false`) and, when they
/// are known, exact step labels.
public struct MetaInstance: Sendable, Equatable {
    public var id: String
    public var systemPrompt: String
    public var question: String
    public var steps: [String]
    /// Whether the whole solution is correct.
    public var label: Bool
    /// Exact step labels (as `PRMInstance.labels`), or nil: the reference's meta files hold only
    /// placeholder `+` turns, so files never fill this; the built-in benchmark and meta sets made
    /// from step-labelled training data (`init(stepLabelled:)`) do. Not written by `writeMeta`.
    public var stepLabels: [Float]?
    public var domain: String?
    public var image: String?
    public var metadata: [String: JSONValue]

    public init(id: String, systemPrompt: String = Datasets.defaultSystemPrompt, question: String,
                steps: [String], label: Bool, stepLabels: [Float]? = nil, domain: String? = nil, image: String? = nil,
                metadata: [String: JSONValue] = [:]) {
        precondition(stepLabels == nil || stepLabels!.count == steps.count,
                     "MetaInstance \(id): \(steps.count) steps but \(stepLabels!.count) step labels")
        self.id = id
        self.systemPrompt = systemPrompt
        self.question = question
        self.steps = steps
        self.label = label
        self.stepLabels = stepLabels
        self.domain = domain
        self.image = image
        self.metadata = metadata
    }

    /// A meta instance from a step-labelled one: correct when every step is labelled `+`.
    public init(stepLabelled x: PRMInstance) {
        self.init(id: x.id, systemPrompt: x.systemPrompt, question: x.question, steps: x.steps,
                  label: x.hardLabels.allSatisfy { $0 }, stepLabels: x.labels, domain: x.domain, image: x.image,
                  metadata: x.metadata)
    }

    /// The instance with its step labels as a training instance (nil without step labels).
    public var stepLabelled: PRMInstance? {
        stepLabels.map { PRMInstance(id: id, domain: domain, systemPrompt: systemPrompt, question: question, steps: steps,
                                     labels: $0, image: image, metadata: metadata) }
    }
}

/// One test question with N candidate solutions (the DreamPRM-1.5 test format), for best-of-N.
public struct CandidateSet: Sendable, Equatable {
    public var id: String
    public var question: String
    public var image: String?
    /// Candidate solutions as whole texts.
    public var candidates: [String]
    /// Each candidate split into steps (by `StepSplitter` unless given).
    public var candidateSteps: [[String]]
    /// Whether each candidate is correct.
    public var correct: [Bool]
    /// Each candidate's final answer (normalised), for self-consistency voting; nil when none found.
    public var finalAnswers: [String?]
    public var domain: String?
    public var systemPrompt: String
    public var metadata: [String: JSONValue]

    /// Builds a set; `candidateSteps` and `finalAnswers` default to `StepSplitter.split` and
    /// `FinalAnswer.extract` of each candidate.
    public init(id: String, question: String, image: String? = nil, candidates: [String],
                candidateSteps: [[String]]? = nil, correct: [Bool], finalAnswers: [String?]? = nil,
                domain: String? = nil, systemPrompt: String = Datasets.defaultSystemPrompt,
                metadata: [String: JSONValue] = [:]) {
        precondition(candidates.count == correct.count,
                     "CandidateSet \(id): \(candidates.count) candidates but \(correct.count) labels")
        self.id = id
        self.question = question
        self.image = image
        self.candidates = candidates
        self.candidateSteps = candidateSteps ?? candidates.map { StepSplitter.split($0) }
        self.correct = correct
        self.finalAnswers = finalAnswers ?? candidates.map { FinalAnswer.extract($0) }
        self.domain = domain
        self.systemPrompt = systemPrompt
        self.metadata = metadata
        precondition(self.candidateSteps.count == candidates.count && self.finalAnswers.count == candidates.count,
                     "CandidateSet \(id): per-candidate arrays differ in length")
    }

    /// Whether any candidate is correct (the oracle's accuracy on this question).
    public var anyCorrect: Bool { correct.contains(true) }
}
