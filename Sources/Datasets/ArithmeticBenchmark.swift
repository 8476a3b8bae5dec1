import Tensors
import Support

/// The built-in benchmark: multi-step arithmetic over small numbers whose step correctness is known.
///
/// A problem is a start value and a chain of operations, asked as "Compute ((7+5)-3)*2." and
/// solved one operation per step ("7+5=12", "12-3=9", "9*2=18") followed by "Final answer: 18".
/// Every number is small on purpose: operands are 1...`maxOperand` (9), `*` only multiplies by 2
/// or 3, every intermediate value of the correct solution stays in 0...`maxValue` (10), and a
/// problem has 2 or 3 operations. The arithmetic facts a PRM must know to check a step are then a
/// table of about a hundred entries
/// (each number is one token of the word tokenizer, and the PRM presets give number tokens their
/// value as a feature). The measurements behind these sizes are in docs/prm.md.
///
/// A noisy solver gets each operation wrong with a probability that varies per question; a wrong
/// result is another value in the same range (often a near miss, off by 1 or 2) chosen so that the
/// rest of the chain stays in range too. Later steps compute correctly from the wrong value, so
/// the error propagates and the final answer is right exactly when every step is (a later error
/// never lands back on the correct value). Each question has a "trap": one step that the solver
/// gets wrong more often, and mostly in the same way, so wrong candidates of one question often
/// agree on a wrong answer and majority voting is far from the oracle.
/// A step is labelled `+` while the solution is correct up to and including it (the PRM
/// convention), `-` from the first error on.
///
/// The splits:
/// - TRAINING: several domains (`TrainDomain`) that differ in difficulty and label quality. The
///   domain name is in `PRMInstance.domain` only — the text, the system prompt and the id are
///   produced the same way in every domain, and the instances are shuffled together.
/// - META: one solution per question from the test distribution, whole-solution label only.
/// - TEST: `candidatesPerQuestion` solutions per question from the same solver, with correctness
///   and final answers (so self-consistency can vote).
///
/// Each split draws from its own generator derived from `seed`, so changing one split's size does
/// not change the others. Same configuration, same data.
public struct ArithmeticBenchmark: Sendable {
    /// How a training domain's labels are produced.
    public enum LabelKind: Sendable, Equatable {
        /// Exact step labels.
        case clean
        /// Each step label flipped independently with this probability (as Monte Carlo estimation gives).
        case noisy(flipRate: Double)
        /// The `-` starts one step late (the first wrong step is labelled `+`).
        case shifted
        /// Labels as Monte Carlo step estimation produces them: each instance gets one corruption
        /// kind drawn with the given shares (see `MonteCarloNoise`).
        case monteCarlo(MonteCarloNoise)

        /// The labels this kind gives a solution whose exact labels are `clean` (first wrong step
        /// `firstError`), and for `.monteCarlo` the corruption drawn ("none" when the labels stayed
        /// exact; nil for the other kinds). Shared by the built-in benchmarks.
        public func apply(to clean: [Float], firstError: Int?, rng: inout RandomGenerator) -> (labels: [Float], kind: String?) {
            var labels = clean
            switch self {
            case .clean: return (labels, nil)
            case .noisy(let rate):
                for k in labels.indices where rng.uniform() < rate { labels[k] = 1 - labels[k] }
                return (labels, nil)
            case .shifted:
                if let e = firstError { labels[e] = 1 }
                return (labels, nil)
            case .monteCarlo(let noise):
                let (corrupted, name) = noise.corrupt(clean, firstError: firstError, rng: &rng)
                return (corrupted, name)
            }
        }
    }

    /// The ways Monte Carlo step labelling goes wrong, and how often, per instance of a
    /// `.monteCarlo` domain. Shares are relative (they need not sum to 1). A kind that cannot
    /// change an instance's labels (a late or early mark or all `+` on a correct solution, an
    /// early mark when the first step is the wrong one) leaves them exact, as the estimate is
    /// then right; the instance's `corruption` metadata says what was done ("none" when the labels
    /// are exact).
    ///
    /// Monte Carlo labelling marks a step `+` when some rollout from it reaches the right answer,
    /// so its typical mistakes are optimistic: the first error is found a step late (a rollout
    /// recovers from it), or not at all (a wrong solution labelled all `+`, when the question's
    /// answer can be reached from almost anywhere). The pessimistic mistake (a correct step marked
    /// `-` because its rollouts all fail, i.e. the error found a step early) and unsystematic
    /// flips from too few rollouts are rarer.
    public struct MonteCarloNoise: Sendable, Equatable {
        /// The first wrong step is labelled `+` (the `-` starts one step late).
        public var late: Double = 0.35
        /// The last correct step before the first error is labelled `-` (one step early).
        public var early: Double = 0.15
        /// A wrong solution labelled `+` throughout.
        public var allPositive: Double = 0.35
        /// Every step label flipped independently with `flipRate`.
        public var flips: Double = 0.15
        public var flipRate: Double = 0.35

        public init(late: Double = 0.35, early: Double = 0.15, allPositive: Double = 0.35, flips: Double = 0.15,
                    flipRate: Double = 0.35) {
            self.late = late
            self.early = early
            self.allPositive = allPositive
            self.flips = flips
            self.flipRate = flipRate
        }

        /// Applies one kind drawn with the shares to `labels` (exact labels of a solution whose
        /// first wrong step is `firstError`); returns the new labels and the kind's name, or
        /// "none" when they did not change.
        public func corrupt(_ labels: [Float], firstError: Int?, rng: inout RandomGenerator) -> (labels: [Float], kind: String) {
            let shares = [late, early, allPositive, flips].map { max(0, $0) }
            let total = shares.reduce(0, +)
            guard total > 0 else { return (labels, "none") }
            var pick = rng.uniform() * total
            var kind = 3
            for (k, share) in shares.enumerated() {
                if pick < share { kind = k; break }
                pick -= share
            }
            var out = labels
            let names = ["late", "early", "all_positive", "flips"]
            switch kind {
            case 0: if let e = firstError { out[e] = 1 }
            case 1: if let e = firstError, e > 0 { out[e - 1] = 0 }
            case 2: if firstError != nil { out = out.map { _ in 1 } }
            default: for k in out.indices where rng.uniform() < flipRate { out[k] = 1 - out[k] }
            }
            return (out, out == labels ? "none" : names[kind])
        }
    }

    /// One training domain.
    public struct TrainDomain: Sendable, Equatable {
        public var name: String
        public var count: Int
        public var labels: LabelKind
        /// Number of operations per problem (inclusive range).
        public var operations: ClosedRange<Int>
        /// Largest operand of `+` and `-` (and of the start value); `*` uses 2...3.
        public var maxOperand: Int

        public init(name: String, count: Int, labels: LabelKind, operations: ClosedRange<Int>, maxOperand: Int) {
            self.name = name
            self.count = count
            self.labels = labels
            self.operations = operations
            self.maxOperand = maxOperand
        }
    }

    /// How the noisy solver errs (see the type's doc).
    public struct SolverProfile: Sendable, Equatable {
        /// Mean probability that one operation is wrong; a question's own rate is drawn
        /// uniformly from `errorRate * (1 - spread) ... errorRate * (1 + spread)`.
        public var errorRate: Double
        public var spread: Double = 0.6
        /// A question's trap step is wrong with its rate times this (at most 0.9).
        public var trapFactor: Double = 3.0
        /// When the trap step is wrong, the probability that the result is the question's trap
        /// value: a systematic misconception, so that wrong candidates often agree and majority
        /// voting is far from the oracle (as with real models; see docs/prm.md).
        public var trapConsistency: Double = 0.9
        /// Probability that a (non-trap) wrong result is a near miss (off by 1 or 2) rather than
        /// any other value in range.
        public var nearMiss: Double = 0.6

        public init(errorRate: Double) { self.errorRate = errorRate }
    }

    public struct Config: Sendable, Equatable {
        public var seed: UInt64 = 0
        public var domains: [TrainDomain]
        public var metaCount = 200
        public var testQuestions = 200
        public var candidatesPerQuestion = 8
        /// Mean probability that the solver gets one operation wrong (see `SolverProfile`).
        public var solverErrorRate = 0.16
        /// The training solver's error rate (nil: `solverErrorRate`). Training solutions come from
        /// a weaker solver than the one being reranked (as the reference samples its training
        /// solutions at a high temperature), so that wrong steps are not rare in them.
        public var trainSolverErrorRate: Double? = 0.35
        /// The solver's other settings (its `errorRate` is replaced by `solverErrorRate`).
        public var solver = SolverProfile(errorRate: 0.2)
        /// Every intermediate value of a correct solution (and of a wrong one) lies in 0...maxValue.
        /// (10 and 2...3 operations: the `small` PRM then learns to check steps within the
        /// 1500-step cold start of the shipped settings on every seed, where 20 and 2...4 needed
        /// about 2000; docs/prm.md.)
        public var maxValue = 10
        /// Operations per problem in the meta and test sets.
        public var testOperations: ClosedRange<Int> = 2...3
        public var testMaxOperand = 9
        public var systemPrompt = "Check each step."

        /// Exact-labelled solutions in the cold-start set (`ArithmeticBenchmark.coldStart`).
        public var coldStartCount = defaultColdStartSize
        /// Operations per problem in the cold-start set.
        public var coldStartOperations: ClosedRange<Int> = 2...3

        /// The default size of the reweighting pool (`train`).
        public static let defaultTrainSize = 1200
        /// The default share of the pool labelled by Monte Carlo estimation (domain "mc").
        public static let defaultNoiseRate = 0.5
        /// The default size of the cold-start set.
        public static let defaultColdStartSize = 16000

        /// Defaults (the paper's regime for the Instance Table, a small pool seen many times; the
        /// measurements behind the sizes are in docs/prm.md): a cold-start set of 16000 solutions
        /// with exact labels, from which the `small` PRM learns to check steps; a reweighting pool
        /// of 1200 instances in two domains, "clean" (exact labels) and "mc" (a `noiseRate`
        /// share, rounded, labelled as Monte Carlo estimation does: `MonteCarloNoise`'s default
        /// shares); 200 meta and 200 test questions with 8 candidates.
        public init(seed: UInt64 = 0, trainSize: Int = defaultTrainSize, noiseRate: Double = defaultNoiseRate,
                    coldStartSize: Int = defaultColdStartSize, monteCarlo: MonteCarloNoise = MonteCarloNoise()) {
            self.seed = seed
            coldStartCount = max(0, coldStartSize)
            let mc = min(max(0, trainSize), max(0, Int((Double(trainSize) * noiseRate).rounded())))
            domains = [
                TrainDomain(name: "clean", count: max(0, trainSize - mc), labels: .clean, operations: 2...3, maxOperand: 9),
                TrainDomain(name: "mc", count: mc, labels: .monteCarlo(monteCarlo), operations: 2...3, maxOperand: 9),
            ]
        }

        /// Sets the operations per problem of every split (pool domains, cold start, meta, test).
        public mutating func setOperations(_ range: ClosedRange<Int>) {
            testOperations = range
            coldStartOperations = range
            for k in domains.indices { domains[k].operations = range }
        }

        var profile: SolverProfile {
            var p = solver
            p.errorRate = solverErrorRate
            return p
        }

        var trainProfile: SolverProfile {
            var p = profile
            p.errorRate = trainSolverErrorRate ?? solverErrorRate
            return p
        }
    }

    /// One solved problem.
    public struct Solution: Sendable, Equatable {
        public var question: String
        public var steps: [String]
        /// Exact correctness of each step (including the final-answer step), PRM convention.
        public var stepCorrect: [Bool]
        public var finalAnswer: Int
        public var correctAnswer: Int
        public var isCorrect: Bool { finalAnswer == correctAnswer }
        /// Index of the first wrong step, nil when the solution is correct.
        public var firstError: Int? { stepCorrect.firstIndex(of: false) }
    }

    /// An arithmetic problem: a start value and operations applied in order.
    public struct Problem: Sendable, Equatable {
        public var start: Int
        public var operations: [(op: Character, operand: Int)]

        public static func == (a: Problem, b: Problem) -> Bool {
            a.start == b.start && a.operations.count == b.operations.count
                && zip(a.operations, b.operations).allSatisfy { $0.op == $1.op && $0.operand == $1.operand }
        }

        /// "Compute ((7+5)-3)*2."
        public var question: String {
            var expr = String(start)
            for (k, o) in operations.enumerated() {
                expr = (k == 0 ? expr : "(\(expr))") + "\(o.op)\(o.operand)"
            }
            return "Compute \(expr)."
        }

        public var answer: Int {
            operations.reduce(start) { ArithmeticBenchmark.apply($1.op, $0, $1.operand) }
        }

        /// The values after each operation, starting from `value` (the chain a solver follows).
        func values(from value: Int, at index: Int) -> [Int] {
            var v = value
            return operations[index...].map { v = ArithmeticBenchmark.apply($0.op, v, $0.operand); return v }
        }
    }

    /// A question's trap: the step the solver gets wrong more often, and the wrong result it mostly gives.
    public struct Trap: Sendable, Equatable {
        public var step: Int
        public var value: Int
        /// The question's own error rate per operation.
        public var errorRate: Double
    }

    public let config: Config
    public private(set) var train: [PRMInstance] = []
    /// The cold-start set: `config.coldStartCount` solutions from the training solver with exact
    /// labels (domain "clean", ids "cold-..."), drawn independently of the pool (`train`).
    public private(set) var coldStart: [PRMInstance] = []
    public private(set) var meta: [MetaInstance] = []
    public private(set) var test: [CandidateSet] = []

    /// Generates every split from `config`.
    public init(config: Config = Config()) {
        self.config = config
        var trainRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 1)
        var metaRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 2)
        var testRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 3)
        let profile = config.profile
        let trainProfile = config.trainProfile
        let maxValue = config.maxValue

        var instances: [PRMInstance] = []
        for domain in config.domains {
            for _ in 0..<domain.count {
                let problem = Self.makeProblem(operations: domain.operations, maxOperand: domain.maxOperand, maxValue: maxValue, rng: &trainRNG)
                let trap = Self.makeTrap(problem, profile: trainProfile, maxValue: maxValue, rng: &trainRNG)
                let solution = Self.solve(problem, profile: trainProfile, trap: trap, maxValue: maxValue, rng: &trainRNG)
                let clean: [Float] = solution.stepCorrect.map { $0 ? 1 : 0 }
                let (labels, kind) = domain.labels.apply(to: clean, firstError: solution.firstError, rng: &trainRNG)
                instances.append(Self.instance(solution, domain: domain.name, labels: labels, clean: clean,
                                               corruption: labels == clean ? "none" : kind ?? domain.name, config: config))
            }
        }
        trainRNG.shuffle(&instances)
        // Ids are assigned after shuffling so they carry no trace of the domain.
        for k in instances.indices { instances[k].id = paddedID(k, prefix: "train-") }
        train = instances

        var coldRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 4)
        coldStart = (0..<config.coldStartCount).map { k in
            let problem = Self.makeProblem(operations: config.coldStartOperations, maxOperand: config.testMaxOperand, maxValue: maxValue, rng: &coldRNG)
            let trap = Self.makeTrap(problem, profile: trainProfile, maxValue: maxValue, rng: &coldRNG)
            let solution = Self.solve(problem, profile: trainProfile, trap: trap, maxValue: maxValue, rng: &coldRNG)
            let clean: [Float] = solution.stepCorrect.map { $0 ? 1 : 0 }
            var instance = Self.instance(solution, domain: "clean", labels: clean, clean: clean, corruption: "none", config: config)
            instance.id = paddedID(k, prefix: "cold-")
            return instance
        }

        for k in 0..<config.metaCount {
            let problem = Self.makeProblem(operations: config.testOperations, maxOperand: config.testMaxOperand, maxValue: maxValue, rng: &metaRNG)
            let trap = Self.makeTrap(problem, profile: profile, maxValue: maxValue, rng: &metaRNG)
            let s = Self.solve(problem, profile: profile, trap: trap, maxValue: maxValue, rng: &metaRNG)
            meta.append(MetaInstance(id: paddedID(k, prefix: "meta-"), systemPrompt: config.systemPrompt,
                                     question: s.question, steps: s.steps, label: s.isCorrect,
                                     stepLabels: s.stepCorrect.map { $0 ? 1 : 0 },
                                     metadata: ["answer": .number(Double(s.correctAnswer))]))
        }

        for k in 0..<config.testQuestions {
            let problem = Self.makeProblem(operations: config.testOperations, maxOperand: config.testMaxOperand, maxValue: maxValue, rng: &testRNG)
            let trap = Self.makeTrap(problem, profile: profile, maxValue: maxValue, rng: &testRNG)
            let solutions = (0..<config.candidatesPerQuestion).map { _ in
                Self.solve(problem, profile: profile, trap: trap, maxValue: maxValue, rng: &testRNG)
            }
            test.append(CandidateSet(
                id: paddedID(k, prefix: "test-"), question: problem.question,
                candidates: solutions.map { $0.steps.joined(separator: "\n\n") },
                candidateSteps: solutions.map(\.steps), correct: solutions.map(\.isCorrect),
                finalAnswers: solutions.map { String($0.finalAnswer) }, systemPrompt: config.systemPrompt,
                metadata: ["answer": .number(Double(problem.answer)),
                           "step_correct": .array(solutions.map { .array($0.stepCorrect.map { .bool($0) }) })]))
        }
    }

    /// A training instance: `labels` as given, the exact ones and what was done to them in the
    /// metadata (`clean_labels`, `corruption`: "none" or the kind), with the answers.
    static func instance(_ solution: Solution, domain: String, labels: [Float], clean: [Float], corruption: String,
                         config: Config) -> PRMInstance {
        PRMInstance(id: "", domain: domain, systemPrompt: config.systemPrompt, question: solution.question,
                    steps: solution.steps, labels: labels,
                    metadata: ["clean_labels": .array(clean.map { .number(Double($0)) }),
                               "corruption": .string(corruption),
                               "answer": .number(Double(solution.correctAnswer)),
                               "final_answer": .number(Double(solution.finalAnswer))])
    }

    /// Every text of the benchmark (for training a tokenizer that covers it).
    public var corpus: [String] {
        var texts = [config.systemPrompt] + ChatTemplate.templateTexts
        for i in train + coldStart { texts.append(i.question); texts += i.steps }
        for m in meta { texts.append(m.question); texts += m.steps }
        for t in test { texts.append(t.question); texts += t.candidates }
        return texts
    }

    /// A word tokenizer trained on `corpus`.
    public func makeTokenizer() -> WordTokenizer {
        WordTokenizer.train(corpus: corpus, maxVocabulary: 512, minFrequency: 1)
    }

    // MARK: Generation

    static func apply(_ op: Character, _ a: Int, _ b: Int) -> Int {
        switch op {
        case "+": return a + b
        case "-": return a - b
        default: return a * b
        }
    }

    /// A random problem: start 1...min(9, maxOperand); each operation `+` or `-` (operand
    /// 1...maxOperand) or, less often, `*` by 2 or 3, chosen among those whose result stays in
    /// 0...maxValue.
    public static func makeProblem(operations: ClosedRange<Int>, maxOperand: Int, maxValue: Int = 20,
                                   rng: inout RandomGenerator) -> Problem {
        let n = operations.lowerBound + rng.int(below: operations.count)
        var value = 1 + rng.int(below: min(9, maxOperand, maxValue))
        let start = value
        var ops: [(op: Character, operand: Int)] = []
        for _ in 0..<n {
            // (op, largest operand, smallest operand, weight)
            var choices: [(Character, Int, Int, Int)] = []
            if value + 1 <= maxValue { choices.append(("+", min(maxOperand, maxValue - value), 1, 2)) }
            if value >= 1 { choices.append(("-", min(maxOperand, value), 1, 2)) }
            if value >= 2, value * 2 <= maxValue { choices.append(("*", min(3, maxValue / value), 2, 1)) }
            var pick = rng.int(below: choices.reduce(0) { $0 + $1.3 })
            var choice = choices[0]
            for c in choices { if pick < c.3 { choice = c; break }; pick -= c.3 }
            let operand = choice.2 + rng.int(below: choice.1 - choice.2 + 1)
            ops.append((choice.0, operand))
            value = apply(choice.0, value, operand)
        }
        return Problem(start: start, operations: ops)
    }

    /// A question's trap step and trap value (a near miss of the correct value there that keeps
    /// the rest of the chain in range), and its own error rate.
    public static func makeTrap(_ problem: Problem, profile: SolverProfile, maxValue: Int = 20,
                                rng: inout RandomGenerator) -> Trap {
        let rate = profile.errorRate * (1 - profile.spread + 2 * profile.spread * rng.uniform())
        let step = rng.int(below: problem.operations.count)
        let truth = problem.values(from: problem.start, at: 0)
        let options = wrongValues(problem, at: step, truth: truth, maxValue: maxValue, nearOnly: true)
        let value = options.isEmpty ? -1 : options[rng.int(below: options.count)]
        return Trap(step: step, value: value, errorRate: min(0.9, max(0, rate)))
    }

    /// Wrong results for step `index` (not the correct value there) that keep the rest of the
    /// chain in 0...maxValue; near misses (off by 1 or 2) only when `nearOnly`.
    static func wrongValues(_ problem: Problem, at index: Int, truth: [Int], maxValue: Int, nearOnly: Bool) -> [Int] {
        let right = truth[index]
        let range = nearOnly ? [right - 2, right - 1, right + 1, right + 2] : Array(0...maxValue)
        return range.filter { w in
            guard w != right, (0...maxValue).contains(w) else { return false }
            guard index + 1 < problem.operations.count else { return true }
            return problem.values(from: w, at: index + 1).allSatisfy { (0...maxValue).contains($0) }
        }
    }

    /// The noisy solver with a fixed error rate and no trap (see `solve(_:profile:trap:maxValue:rng:)`).
    public static func solve(_ problem: Problem, errorRate: Double, maxValue: Int = 20, rng: inout RandomGenerator) -> Solution {
        var profile = SolverProfile(errorRate: errorRate)
        profile.trapFactor = 1
        profile.trapConsistency = 0
        return solve(problem, profile: profile, trap: Trap(step: -1, value: -1, errorRate: errorRate), maxValue: maxValue, rng: &rng)
    }

    /// The noisy solver: each operation is wrong with the question's rate (the trap step with
    /// `trapFactor` times it); a wrong result is the trap value (trap step, with probability
    /// `trapConsistency`), else a near miss (probability `nearMiss`) or any value in range; it is
    /// never the correct value of the correct solution at that step, and the rest of the chain
    /// stays in 0...maxValue (an operation with no such value is done right). Later steps compute
    /// correctly from the wrong value, so the final answer is right exactly when every step is.
    public static func solve(_ problem: Problem, profile: SolverProfile, trap: Trap, maxValue: Int = 20,
                             rng: inout RandomGenerator) -> Solution {
        let truth = problem.values(from: problem.start, at: 0)
        var value = problem.start
        var steps: [String] = []
        var correct: [Bool] = []
        var stillCorrect = true
        for (k, o) in problem.operations.enumerated() {
            let right = apply(o.op, value, o.operand)
            var result = right
            let rate = k == trap.step ? min(0.9, trap.errorRate * profile.trapFactor) : trap.errorRate
            if rng.uniform() < rate {
                // The chain from here: what is "right" now may already be off the correct solution.
                var chain = truth
                chain[k] = right
                var options: [Int] = []
                if k == trap.step, stillCorrect, trap.value >= 0, rng.uniform() < profile.trapConsistency {
                    options = [trap.value]
                } else {
                    let near = rng.uniform() < profile.nearMiss
                    options = wrongValues(problem, at: k, truth: chain, maxValue: maxValue, nearOnly: near)
                    if options.isEmpty && near { options = wrongValues(problem, at: k, truth: chain, maxValue: maxValue, nearOnly: false) }
                    // Never land back on the correct solution's value (a second error must not cancel the first).
                    options = options.filter { $0 != truth[k] }
                }
                if !options.isEmpty {
                    result = options[rng.int(below: options.count)]
                    stillCorrect = false
                }
            }
            steps.append("\(value)\(o.op)\(o.operand)=\(result)")
            correct.append(stillCorrect)
            value = result
        }
        steps.append("Final answer: \(value)")
        correct.append(stillCorrect)
        return Solution(question: problem.question, steps: steps, stepCorrect: correct,
                        finalAnswer: value, correctAnswer: problem.answer)
    }
}

/// "train-000042".
func paddedID(_ k: Int, prefix: String) -> String {
    let digits = String(k)
    return prefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
}
