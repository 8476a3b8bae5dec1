import Foundation
import Support
import Datasets
import Reweight

/// The built-in multimodal benchmark: sums of handwritten digits that are only in the picture.
///
/// A question shows a picture of two handwritten digits side by side (UCI digits, 8x8, upscaled
/// `scale` times with Pillow's bicubic filter into a `2*8*scale` x `8*scale` picture: black ink on
/// white) and asks "What is the sum of the two numbers in the picture?". A solution reads the
/// digits and adds them, one step each:
///
///     The first number is 3. / The second number is 1. / 3 + 1 = 4. / Final answer: 4.
///
/// The text never says which digits are shown, so whether a reading step is right can only be
/// seen in the picture; the sum step can be checked from the text (the two numbers before it).
/// A noisy solver misreads each digit with probability `misreadRate` (another digit of
/// `digits`) and gets the sum wrong with probability `sumErrorRate` (off by 1 or 2); later steps
/// follow from what was written, so a solution is right exactly when every step is (a candidate
/// whose errors cancel out in the final answer is drawn again). Steps are labelled `+` up to the
/// first error, `-` from it on (the PRM convention).
///
/// Splits, each from its own seeded generator and its own digit samples (the test pictures use
/// digit images no training picture uses):
/// - `coldStart`: exact labels, `picturesPerQuestion` solutions per picture;
/// - `train`: the reweighting pool in four domains, the four label kinds of the text benchmark
///   (`ArithmeticBenchmark.LabelKind`): clean, noisy (independent flips), shifted (the `-` one
///   step late) and mc (Monte Carlo labelling, `MonteCarloNoise`); the domain is only in
///   `PRMInstance.domain`;
/// - `meta`: one solution per question from the test solver, whole-solution label and step labels;
/// - `test`: `candidatesPerQuestion` solutions per question.
/// Every picture is written as a PNG into `directory` (named by split and index); instances name
/// it by absolute path. Same configuration, same data and the same files.
public struct DigitPictureBenchmark {
    public struct Domain: Sendable, Equatable {
        public var name: String
        public var count: Int
        public var labels: ArithmeticBenchmark.LabelKind
        public init(name: String, count: Int, labels: ArithmeticBenchmark.LabelKind) {
            self.name = name
            self.count = count
            self.labels = labels
        }
    }

    public struct Config: Sendable, Equatable {
        public var seed: UInt64 = 0
        /// The digit classes pictures show (few classes: a tiny ViT learns to read them fast).
        public var digits: [Int] = [0, 1, 2]
        /// Upscaling of the 8x8 digits (4: 32-pixel digits, one per 32-pixel tile).
        public var scale = 4
        public var coldStartCount = 2000
        public var domains: [Domain]
        public var metaCount = 60
        public var testQuestions = 100
        public var candidatesPerQuestion = 8
        /// Solutions per cold-start or pool picture (several solutions of one question, as sampled data).
        public var solutionsPerPicture = 4
        /// Per-digit misreading probability of the training solver and of the test solver.
        public var trainMisreadRate = 0.3
        public var misreadRate = 0.3
        /// Probability that the sum is wrong.
        public var sumErrorRate = 0.15
        public var systemPrompt = "Check each step."

        /// A pool of `trainSize` instances split equally over the four domains.
        public init(seed: UInt64 = 0, trainSize: Int = 400) {
            self.seed = seed
            let q = max(0, trainSize) / 4
            domains = [
                Domain(name: "clean", count: max(0, trainSize) - 3 * q, labels: .clean),
                Domain(name: "noisy", count: q, labels: .noisy(flipRate: 0.3)),
                Domain(name: "shifted", count: q, labels: .shifted),
                Domain(name: "mc", count: q, labels: .monteCarlo(ArithmeticBenchmark.MonteCarloNoise())),
            ]
        }

        func validate() throws {
            func need(_ ok: Bool, _ what: String) throws { if !ok { throw BilevelError.invalidConfiguration("multimodal benchmark: \(what)") } }
            try need(digits.count >= 2 && Set(digits).count == digits.count && digits.allSatisfy { (0...9).contains($0) },
                     "digits must be at least two different digits 0-9, got \(digits)")
            try need((1...16).contains(scale), "scale must be in 1...16, got \(scale)")
            try need(coldStartCount >= 0 && metaCount >= 0 && testQuestions >= 0 && domains.allSatisfy { $0.count >= 0 },
                     "split sizes must be >= 0")
            try need(candidatesPerQuestion >= 1 && solutionsPerPicture >= 1, "candidates and solutions per picture must be >= 1")
            for (name, p) in [("misread_rate", misreadRate), ("train_misread_rate", trainMisreadRate), ("sum_error_rate", sumErrorRate)] {
                try need((0...1).contains(p), "\(name) must be in 0...1, got \(p)")
            }
        }
    }

    /// One solution of a picture's question.
    public struct Solution: Sendable, Equatable {
        public var steps: [String]
        public var stepCorrect: [Bool]
        public var finalAnswer: Int
        public var firstError: Int? { stepCorrect.firstIndex(of: false) }
        public var isCorrect: Bool { firstError == nil }
    }

    public static let question = "What is the sum of the two numbers in the picture?"

    public let config: Config
    public let directory: String
    public private(set) var coldStart: [PRMInstance] = []
    public private(set) var train: [PRMInstance] = []
    public private(set) var meta: [MetaInstance] = []
    public private(set) var test: [CandidateSet] = []

    /// Generates the benchmark from `digits` (`NoisyDigits.load` of the UCI file: features in
    /// 0...1, labels 0-9) and writes its pictures into `directory` (created when missing).
    public init(config: Config, digits: NoisyDigits.Dataset, directory: String) throws {
        try config.validate()
        self.config = config
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        do { try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true) }
        catch { throw BilevelError.invalidConfiguration("multimodal benchmark: cannot create the picture folder \(self.directory): \(error)") }

        // Digit samples of each class, split in two: training pictures and test/meta pictures.
        var byClass: [Int: [Int]] = [:]
        for (i, y) in digits.labels.enumerated() where config.digits.contains(y) { byClass[y, default: []].append(i) }
        var splitRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 10)
        var trainSamples: [Int: [Int]] = [:], testSamples: [Int: [Int]] = [:]
        for d in config.digits {
            var s = byClass[d] ?? []
            guard s.count >= 2 else { throw BilevelError.invalidConfiguration("multimodal benchmark: the digits file has \(s.count) images of digit \(d), need at least 2") }
            splitRNG.shuffle(&s)
            trainSamples[d] = Array(s[..<(s.count / 2)])
            testSamples[d] = Array(s[(s.count / 2)...])
        }

        func picture(_ a: Int, _ b: Int, samples: [Int: [Int]], name: String, rng: inout RandomGenerator) throws -> String {
            let left = rng.pick(samples[a]!), right = rng.pick(samples[b]!)
            let image = Self.render([digits.features[left], digits.features[right]], scale: config.scale)
            let path = self.directory + "/" + name + ".png"
            do { try PNGImage.save(image, to: path) } catch { throw BilevelError.invalidConfiguration("multimodal benchmark: cannot write \(path): \(error)") }
            return path
        }

        // Training solutions: the cold-start set (exact labels) and the pool (four label kinds).
        func solutions(count: Int, prefix: String, rng: inout RandomGenerator,
                       label: (Solution, inout RandomGenerator) -> ([Float], String?, String?)) throws -> [PRMInstance] {
            var out: [PRMInstance] = []
            var k = 0
            while out.count < count {
                let (a, b) = (rng.pick(config.digits), rng.pick(config.digits))
                let path = try picture(a, b, samples: trainSamples, name: "\(prefix)-\(k)", rng: &rng)
                for _ in 0..<min(config.solutionsPerPicture, count - out.count) {
                    let s = Self.solve(a, b, misread: config.trainMisreadRate, sumError: config.sumErrorRate, digits: config.digits, rng: &rng)
                    let clean: [Float] = s.stepCorrect.map { $0 ? 1 : 0 }
                    let (labels, domain, kind) = label(s, &rng)
                    out.append(PRMInstance(id: "", domain: domain, systemPrompt: config.systemPrompt, question: Self.question,
                                           steps: s.steps, labels: labels, image: path,
                                           metadata: ["clean_labels": .array(clean.map { .number(Double($0)) }),
                                                      "corruption": .string(labels == clean ? "none" : kind ?? domain ?? "none"),
                                                      "digits": .array([.number(Double(a)), .number(Double(b))])]))
                }
                k += 1
            }
            return out
        }

        var coldRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 4)
        coldStart = try solutions(count: config.coldStartCount, prefix: "coldstart", rng: &coldRNG) { s, _ in
            (s.stepCorrect.map { $0 ? 1 : 0 }, "clean", nil)
        }
        for k in coldStart.indices { coldStart[k].id = "coldstart-\(k)" }

        var trainRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 1)
        var pool: [PRMInstance] = []
        for domain in config.domains {
            pool += try solutions(count: domain.count, prefix: "train-\(domain.name)", rng: &trainRNG) { s, rng in
                let (labels, kind) = domain.labels.apply(to: s.stepCorrect.map { $0 ? 1 : 0 }, firstError: s.firstError, rng: &rng)
                return (labels, domain.name, kind)
            }
        }
        trainRNG.shuffle(&pool)
        // Ids after shuffling, so they carry no trace of the domain (picture file names do, but
        // the PRM only sees pixels).
        for k in pool.indices { pool[k].id = "train-\(k)" }
        train = pool

        var metaRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 2)
        meta = try (0..<config.metaCount).map { k in
            let (a, b) = (metaRNG.pick(config.digits), metaRNG.pick(config.digits))
            let path = try picture(a, b, samples: testSamples, name: "meta-\(k)", rng: &metaRNG)
            let s = Self.solve(a, b, misread: config.misreadRate, sumError: config.sumErrorRate, digits: config.digits, rng: &metaRNG)
            return MetaInstance(id: "meta-\(k)", systemPrompt: config.systemPrompt, question: Self.question, steps: s.steps,
                                label: s.isCorrect, stepLabels: s.stepCorrect.map { $0 ? 1 : 0 }, domain: "meta", image: path)
        }

        var testRNG = RandomGenerator(seed: config.seed &* 0x9E37_79B9 &+ 3)
        test = try (0..<config.testQuestions).map { k in
            let (a, b) = (testRNG.pick(config.digits), testRNG.pick(config.digits))
            let path = try picture(a, b, samples: testSamples, name: "test-\(k)", rng: &testRNG)
            let solved = (0..<config.candidatesPerQuestion).map { _ in
                Self.solve(a, b, misread: config.misreadRate, sumError: config.sumErrorRate, digits: config.digits, rng: &testRNG)
            }
            return CandidateSet(id: "test-\(k)", question: Self.question, image: path,
                                candidates: solved.map { $0.steps.joined(separator: "\n\n") }, candidateSteps: solved.map(\.steps),
                                correct: solved.map(\.isCorrect), finalAnswers: solved.map { String($0.finalAnswer) },
                                systemPrompt: config.systemPrompt,
                                metadata: ["answer": .number(Double(a + b)), "digits": .array([.number(Double(a)), .number(Double(b))]),
                                           "step_correct": .array(solved.map { .array($0.stepCorrect.map { .bool($0) }) })])
        }
    }

    /// The solver: reads each digit (wrong with probability `misread`: another digit of
    /// `digits`), adds what it read (wrong with probability `sumError`: off by 1 or 2, never
    /// negative), answers the sum it wrote. A wrong solution whose final answer is still right
    /// (errors that cancel) is drawn again, so a solution is right exactly when its answer is.
    public static func solve(_ a: Int, _ b: Int, misread: Double, sumError: Double, digits: [Int],
                             rng: inout RandomGenerator) -> Solution {
        while true {
            func read(_ d: Int) -> Int {
                guard rng.uniform() < misread else { return d }
                let others = digits.filter { $0 != d }
                return rng.pick(others)
            }
            let (ra, rb) = (read(a), read(b))
            var sum = ra + rb
            let sumWrong = rng.uniform() < sumError
            if sumWrong {
                let offsets = [-2, -1, 1, 2].filter { sum + $0 >= 0 }
                sum += rng.pick(offsets)
            }
            let correct = [ra == a, ra == a && rb == b, ra == a && rb == b && !sumWrong, ra == a && rb == b && !sumWrong]
            if sum == a + b && !correct[3] { continue }
            return Solution(steps: ["The first number is \(ra).", "The second number is \(rb).", "\(ra) + \(rb) = \(sum).",
                                    "Final answer: \(sum)."],
                            stepCorrect: correct, finalAnswer: sum)
        }
    }

    /// Digits (64 values in 0...1 each, ink 1) side by side, black ink on white, each upscaled
    /// `scale` times with the bicubic filter.
    public static func render(_ digits: [[Float]], scale: Int) -> RGBImage {
        let side = 8 * scale
        var pixels = [UInt8](repeating: 255, count: digits.count * side * side * 3)
        for (k, d) in digits.enumerated() {
            var small = [UInt8](repeating: 0, count: 64 * 3)
            for p in 0..<64 {
                let v = UInt8(max(0, min(255, (1 - d[p]) * 255)).rounded())
                for c in 0..<3 { small[p * 3 + c] = v }
            }
            let big = RGBImage(width: 8, height: 8, pixels: small).resizedBicubic(width: side, height: side)
            for y in 0..<side {
                for x in 0..<side {
                    for c in 0..<3 { pixels[(y * digits.count * side + k * side + x) * 3 + c] = big.pixels[(y * side + x) * 3 + c] }
                }
            }
        }
        return RGBImage(width: digits.count * side, height: side, pixels: pixels)
    }

    /// Every text of the benchmark (for training a word tokenizer that covers it).
    public var corpus: [String] {
        var texts = [config.systemPrompt, Self.question, ChatTemplate.imageStart, ChatTemplate.imageEnd] + ChatTemplate.templateTexts
        for i in coldStart + train { texts += i.steps }
        for m in meta { texts += m.steps }
        for t in test { texts += t.candidates }
        return texts
    }

    /// A word tokenizer trained on `corpus`.
    public func makeTokenizer() -> WordTokenizer {
        WordTokenizer.train(corpus: corpus, maxVocabulary: 512, minFrequency: 1)
    }
}

