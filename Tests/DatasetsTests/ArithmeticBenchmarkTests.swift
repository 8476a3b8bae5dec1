import XCTest
@testable import Datasets

final class ArithmeticBenchmarkTests: XCTestCase {
    static let bench = ArithmeticBenchmark()

    func testSizesAndDefaults() {
        let b = Self.bench
        XCTAssertEqual(b.train.count, 1200)
        XCTAssertEqual(b.coldStart.count, 16000)
        XCTAssertEqual(b.meta.count, 200)
        XCTAssertEqual(b.test.count, 200)
        XCTAssertTrue(b.test.allSatisfy { $0.candidates.count == 8 })
        XCTAssertEqual(Dictionary(grouping: b.train, by: { $0.domain! }).mapValues(\.count), ["clean": 600, "mc": 600])
        // The Monte Carlo-labelled share of the pool, rounded; the rest is clean.
        XCTAssertEqual(ArithmeticBenchmark.Config(trainSize: 20, noiseRate: 0.25).domains.map(\.count), [15, 5])
        XCTAssertEqual(ArithmeticBenchmark.Config(trainSize: 3, noiseRate: 0).domains.map(\.count), [3, 0])
        XCTAssertEqual(ArithmeticBenchmark.Config(trainSize: 3, noiseRate: 1).domains.map(\.count), [0, 3])
        XCTAssertEqual(ArithmeticBenchmark.Config(coldStartSize: 7).coldStartCount, 7)
    }

    func testDeterministic() {
        let again = ArithmeticBenchmark()
        XCTAssertEqual(again.train, Self.bench.train)
        XCTAssertEqual(again.meta, Self.bench.meta)
        XCTAssertEqual(again.test, Self.bench.test)
        let other = ArithmeticBenchmark(config: .init(seed: 1, coldStartSize: 0))
        XCTAssertNotEqual(other.train.map(\.question), Self.bench.train.map(\.question))
        // A split's content does not depend on another split's size.
        var config = ArithmeticBenchmark.Config(coldStartSize: 10)
        config.metaCount = 10
        let smaller = ArithmeticBenchmark(config: config)
        XCTAssertEqual(smaller.test, Self.bench.test)
        XCTAssertEqual(smaller.train, Self.bench.train)
        XCTAssertEqual(smaller.coldStart, Array(Self.bench.coldStart.prefix(10)))
    }

    /// "12-3=9" -> (12, "-", 3, 9).
    static func parse(_ step: String) -> (Int, Character, Int, Int) {
        let opIndex = step.dropFirst().firstIndex(where: { "+-*".contains($0) })!
        let eq = step.firstIndex(of: "=")!
        return (Int(step[..<opIndex])!, step[opIndex], Int(step[step.index(after: opIndex)..<eq])!,
                Int(step[step.index(after: eq)...])!)
    }

    func cleanLabels(_ i: PRMInstance) -> [Float] {
        i.metadata["clean_labels"]!.arrayValue!.map { Float($0.numberValue!) }
    }

    func testExampleAndStepCorrectness() {
        for i in Self.bench.train {
            XCTAssertTrue(i.question.hasPrefix("Compute ") && i.question.hasSuffix("."))
            XCTAssertTrue(i.steps.last!.hasPrefix("Final answer: "))
            // Clean labels: '+' exactly while every step so far is arithmetically right (against
            // the correct chain: later steps compute right from a wrong value).
            var ok = true
            var truth: Int? = nil
            var previous: Int? = nil
            for (k, step) in i.steps.dropLast().enumerated() {
                let (a, op, b, c) = Self.parse(step)
                if truth == nil { truth = a }
                if let p = previous { XCTAssertEqual(a, p, "a step starts from the previous result") }
                previous = c
                truth = op == "+" ? truth! + b : op == "-" ? truth! - b : truth! * b
                ok = ok && c == truth
                XCTAssertEqual(cleanLabels(i)[k], ok ? 1 : 0, "\(i.id) step \(k)")
                // Small numbers: every value and operand in range.
                let top = Self.bench.config.maxValue
                XCTAssertTrue((0...top).contains(a) && (1...9).contains(b) && (0...top).contains(c), step)
            }
            XCTAssertEqual(cleanLabels(i).last, ok ? 1 : 0)
            XCTAssertEqual(i.metadata["final_answer"] == i.metadata["answer"], ok)
        }
    }

    func testDomainLabelStatistics() {
        let byDomain = Dictionary(grouping: Self.bench.train, by: { $0.domain! })
        for i in byDomain["clean"]! {
            XCTAssertEqual(i.labels, cleanLabels(i))
            XCTAssertEqual(i.metadata["corruption"], .string("none"))
        }
        // The cold-start set: exact labels, its own ids.
        XCTAssertTrue(Self.bench.coldStart.allSatisfy { $0.labels == cleanLabels($0) && $0.id.hasPrefix("cold-") && $0.domain == "clean" })
        // Monte Carlo labels: each instance says what was done to it, and it is that.
        var kinds: [String: Int] = [:]
        var flipped = 0, flipTotal = 0
        for i in byDomain["mc"]! {
            let clean = cleanLabels(i)
            let kind = i.metadata["corruption"]!.stringValue!
            kinds[kind, default: 0] += 1
            let e = clean.firstIndex(of: 0)
            switch kind {
            case "none": XCTAssertEqual(i.labels, clean)
            case "late":
                var want = clean
                want[e!] = 1
                XCTAssertEqual(i.labels, want)
            case "early":
                var want = clean
                want[e! - 1] = 0
                XCTAssertEqual(i.labels, want)
            case "all_positive":
                XCTAssertNotNil(e)
                XCTAssertEqual(i.labels, clean.map { _ in 1 })
            case "flips":
                XCTAssertNotEqual(i.labels, clean)
                for (l, c) in zip(i.labels, clean) { flipTotal += 1; if l != c { flipped += 1 } }
            default: XCTFail("unknown corruption \(kind)")
            }
        }
        // The default shares (late 35%, early 15%, all + 35%, flips 15%) where they apply: most
        // training solutions are wrong, so most of the domain is corrupted; an early mark needs
        // a first error after the first step.
        let n = Double(byDomain["mc"]!.count)
        XCTAssertEqual(Double(kinds["late"]!) / n, 0.35 * 0.85, accuracy: 0.08)
        XCTAssertEqual(Double(kinds["all_positive"]!) / n, 0.35 * 0.85, accuracy: 0.08)
        XCTAssertGreaterThan(kinds["early"]!, 10)
        XCTAssertGreaterThan(kinds["flips"]!, 30)
        XCTAssertGreaterThan(Double(flipped) / Double(flipTotal), 0.35)
        XCTAssertEqual(kinds.values.reduce(0, +) - kinds["none"]!, Self.bench.train.filter { $0.labels != cleanLabels($0) }.count)
        // Labels are mixed: the training solver (error rate 0.35 per operation, three times that
        // at a question's trap step) gets most solutions wrong, but not all.
        for (name, items) in byDomain {
            let wrong = items.filter { cleanLabels($0).contains(0) }.count
            XCTAssertTrue((0.5...0.95).contains(Double(wrong) / Double(items.count)), "\(name): \(wrong) wrong")
        }
        // The test solver is the stronger one: about a third of its candidates are right.
        let right = Self.bench.test.flatMap { $0.correct }.filter { $0 }.count
        XCTAssertTrue((0.25...0.5).contains(Double(right) / Double(Self.bench.test.count * 8)), "\(right) right candidates")
    }

    func testNothingInTheTextRevealsTheDomain() {
        let b = Self.bench
        XCTAssertEqual(Set(b.train.map(\.systemPrompt)).count, 1)
        for i in b.train {
            let text = ([i.systemPrompt, i.question, i.id] + i.steps).joined(separator: " ")
            for name in ["clean", "mc", "late", "early", "flips", "positive"] { XCTAssertFalse(text.contains(name)) }
        }
        // Domains are interleaved, not in blocks.
        XCTAssertGreaterThan(Set(b.train.prefix(20).map(\.domain)).count, 1)
    }

    func testMetaAndTestSets() throws {
        let b = Self.bench
        let metaCorrect = b.meta.filter(\.label).count
        XCTAssertTrue((40...160).contains(metaCorrect), "meta correct: \(metaCorrect)")
        for m in b.meta {
            XCTAssertEqual(m.label, FinalAnswer.extract(m.steps.last!) == String(Int(m.metadata["answer"]!.numberValue!)))
            // Exact step labels: `+` up to the first error, `-` from it; a wrong answer ends in `-`.
            let steps = try XCTUnwrap(m.stepLabels)
            XCTAssertEqual(steps.count, m.steps.count)
            XCTAssertEqual(steps, steps.sorted(by: >))
            if !m.label { XCTAssertEqual(steps.last, 0) }
        }
        var first = 0, oracle = 0, vote = 0
        for set in b.test {
            let answer = String(Int(set.metadata["answer"]!.numberValue!))
            XCTAssertEqual(set.correct, set.finalAnswers.map { $0 == answer })
            XCTAssertEqual(set.candidates.map { FinalAnswer.extract($0) }, set.finalAnswers)
            XCTAssertEqual(set.candidates.map { StepSplitter.split($0) }, set.candidateSteps)
            if set.correct[0] { first += 1 }
            if set.anyCorrect { oracle += 1 }
            var counts: [String: Int] = [:]
            for a in set.finalAnswers { counts[a!, default: 0] += 1 }
            if counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })!.key == answer { vote += 1 }
        }
        print("first \(first), vote \(vote), oracle \(oracle) of \(b.test.count); meta correct \(metaCorrect)")
        // Room for a PRM: no-selection well below the oracle, voting in between.
        XCTAssertLessThan(first, 140)
        XCTAssertGreaterThan(oracle, 180)
        XCTAssertGreaterThan(vote, first)
    }

    func testSequencesAreShort() {
        let tok = Self.bench.makeTokenizer()
        let template = ChatTemplate(tokenizer: tok)
        let lengths = Self.bench.train.map { template.encode($0).tokens.count }
        XCTAssertLessThan(lengths.max()!, 200)
        XCTAssertLessThan(tok.vocabularySize, 150)
    }
}
