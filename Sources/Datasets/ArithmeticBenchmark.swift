import Tensors

/// The built-in benchmark: multi-step arithmetic problems whose step correctness is known.
///
/// A problem is a start value and a chain of operations, asked as
/// "Compute ((17 + 5) * 3) - 8." and solved one operation per step ("17 + 5 = 22", "22 * 3 = 66",
/// "66 - 8 = 58") followed by "Final answer: 58". A noisy solver gets each operation wrong with
/// probability `solverErrorRate` (the result is off by a small non-zero amount); later steps use
/// the wrong value, so the error propagates to the final answer. A step is labelled `+` while the
/// solution is correct up to and including it (the PRM convention), `-` from the first error on.
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

    public struct Config: Sendable, Equatable {
        public var seed: UInt64 = 0
        public var domains: [TrainDomain]
        public var metaCount = 200
        public var testQuestions = 200
        public var candidatesPerQuestion = 8
        /// Probability that the solver gets one operation wrong.
        public var solverErrorRate = 0.25
        /// Operations per problem in the meta and test sets.
        public var testOperations: ClosedRange<Int> = 2...4
        public var testMaxOperand = 20
        public var systemPrompt = "Check each step. Reply + if the solution is correct so far, else -."

        /// Defaults: four domains of 500 (clean, noisy with 35% flips, easy, shifted), 200 meta,
        /// 200 test questions with 8 candidates.
        public init(seed: UInt64 = 0, trainPerDomain: Int = 500, noiseRate: Double = 0.35) {
            self.seed = seed
            domains = [
                TrainDomain(name: "clean", count: trainPerDomain, labels: .clean, operations: 2...4, maxOperand: 20),
                TrainDomain(name: "noisy", count: trainPerDomain, labels: .noisy(flipRate: noiseRate), operations: 2...4, maxOperand: 20),
                TrainDomain(name: "easy", count: trainPerDomain, labels: .clean, operations: 1...1, maxOperand: 9),
                TrainDomain(name: "shifted", count: trainPerDomain, labels: .shifted, operations: 2...4, maxOperand: 20),
            ]
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

        /// "Compute ((17 + 5) * 3) - 8."
        public var question: String {
            var expr = String(start)
            for (k, o) in operations.enumerated() {
                expr = (k == 0 ? expr : "(\(expr))") + " \(o.op) \(o.operand)"
            }
            return "Compute \(expr)."
        }

        public var answer: Int {
            operations.reduce(start) { ArithmeticBenchmark.apply($1.op, $0, $1.operand) }
        }
    }

    public let config: Config
    public private(set) var train: [PRMInstance] = []
    public private(set) var meta: [MetaInstance] = []
    public private(set) var test: [CandidateSet] = []

    /// Generates every split from `config`.
    public init(config: Config = Config()) {
        self.config = config
        var trainRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 1)
        var metaRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 2)
        var testRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 3)

        var instances: [PRMInstance] = []
        for domain in config.domains {
            for _ in 0..<domain.count {
                let problem = Self.makeProblem(operations: domain.operations, maxOperand: domain.maxOperand, rng: &trainRNG)
                let solution = Self.solve(problem, errorRate: config.solverErrorRate, rng: &trainRNG)
                let clean: [Float] = solution.stepCorrect.map { $0 ? 1 : 0 }
                var labels = clean
                switch domain.labels {
                case .clean: break
                case .noisy(let rate):
                    for k in labels.indices where trainRNG.uniform() < rate { labels[k] = 1 - labels[k] }
                case .shifted:
                    if let e = solution.firstError { labels[e] = 1 }
                }
                instances.append(PRMInstance(
                    id: "", domain: domain.name, systemPrompt: config.systemPrompt, question: solution.question,
                    steps: solution.steps, labels: labels,
                    metadata: ["clean_labels": .array(clean.map { .number(Double($0)) }),
                               "answer": .number(Double(solution.correctAnswer)),
                               "final_answer": .number(Double(solution.finalAnswer))]))
            }
        }
        trainRNG.shuffle(&instances)
        // Ids are assigned after shuffling so they carry no trace of the domain.
        for k in instances.indices { instances[k].id = paddedID(k, prefix: "train-") }
        train = instances

        for k in 0..<config.metaCount {
            let problem = Self.makeProblem(operations: config.testOperations, maxOperand: config.testMaxOperand, rng: &metaRNG)
            let s = Self.solve(problem, errorRate: config.solverErrorRate, rng: &metaRNG)
            meta.append(MetaInstance(id: paddedID(k, prefix: "meta-"), systemPrompt: config.systemPrompt,
                                     question: s.question, steps: s.steps, label: s.isCorrect,
                                     metadata: ["answer": .number(Double(s.correctAnswer))]))
        }

        for k in 0..<config.testQuestions {
            let problem = Self.makeProblem(operations: config.testOperations, maxOperand: config.testMaxOperand, rng: &testRNG)
            let solutions = (0..<config.candidatesPerQuestion).map { _ in
                Self.solve(problem, errorRate: config.solverErrorRate, rng: &testRNG)
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

    /// Every text of the benchmark (for training a tokenizer that covers it).
    public var corpus: [String] {
        var texts = [config.systemPrompt, "system\n", "user\n", "assistant\n", "+", "-"]
        for i in train { texts.append(i.question); texts += i.steps }
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

    /// A random problem whose correct intermediate values stay positive and below about 400.
    public static func makeProblem(operations: ClosedRange<Int>, maxOperand: Int, rng: inout RandomGenerator) -> Problem {
        let n = operations.lowerBound + rng.int(below: operations.count)
        var value = 1 + rng.int(below: maxOperand)
        let start = value
        var ops: [(op: Character, operand: Int)] = []
        for _ in 0..<n {
            var op: Character = ["+", "-", "*"][rng.int(below: 3)]
            if op == "-" && value < 2 { op = "+" }
            if op == "*" && value > 99 { op = "-" }
            let operand: Int
            switch op {
            case "*": operand = 2 + rng.int(below: 2)
            case "-": operand = 1 + rng.int(below: min(maxOperand, value))
            default: operand = 1 + rng.int(below: maxOperand)
            }
            ops.append((op, operand))
            value = apply(op, value, operand)
        }
        return Problem(start: start, operations: ops)
    }

    /// The noisy solver: each operation is wrong with probability `errorRate` (off by 1, 2, 3 or
    /// 10 either way, never back onto the correct value); later steps compute correctly from the
    /// wrong value, so an error propagates and the final answer is right exactly when every step
    /// is. Values of a wrong solution may become negative ("3 - 5 = -2").
    public static func solve(_ problem: Problem, errorRate: Double, rng: inout RandomGenerator) -> Solution {
        var value = problem.start
        var trueValue = problem.start  // the correct solution's value at this point
        var steps: [String] = []
        var correct: [Bool] = []
        var stillCorrect = true
        for o in problem.operations {
            let right = apply(o.op, value, o.operand)
            trueValue = apply(o.op, trueValue, o.operand)
            var result = right
            if rng.uniform() < errorRate {
                let deltas = [1, 2, 3, 10]
                let d = deltas[rng.int(below: deltas.count)]
                // Never land back on the correct value (a second error must not cancel the first),
                // so the final answer is right exactly when every step is.
                let options = [right + d, right - d].filter { $0 != trueValue }
                result = options[rng.int(below: options.count)]
                stillCorrect = false
            }
            steps.append("\(value) \(o.op) \(o.operand) = \(result)")
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
