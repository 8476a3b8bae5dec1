import XCTest
@testable import Datasets

final class ArithmeticBenchmarkTests: XCTestCase {
    static let bench = ArithmeticBenchmark()

    func testSizesAndDefaults() {
        let b = Self.bench
        XCTAssertEqual(b.train.count, 18000)
        XCTAssertEqual(b.meta.count, 200)
        XCTAssertEqual(b.test.count, 200)
        XCTAssertTrue(b.test.allSatisfy { $0.candidates.count == 8 })
        XCTAssertEqual(Dictionary(grouping: b.train, by: { $0.domain! }).mapValues(\.count),
                       ["clean": 16000, "noisy": 1000, "easy": 500, "shifted": 500])
        // The 32:2:1:1 mix for any size: shares rounded, at least one instance in each small
        // domain, the remainder to the clean domain.
        XCTAssertEqual(ArithmeticBenchmark.Config(trainSize: 20).domains.map(\.count), [17, 1, 1, 1])
        XCTAssertEqual(ArithmeticBenchmark.Config(trainSize: 360).domains.map(\.count), [320, 20, 10, 10])
        XCTAssertEqual(ArithmeticBenchmark.Config(trainSize: 3).domains.map(\.count), [3, 0, 0, 0])
    }

    func testDeterministic() {
        let again = ArithmeticBenchmark()
        XCTAssertEqual(again.train, Self.bench.train)
        XCTAssertEqual(again.meta, Self.bench.meta)
        XCTAssertEqual(again.test, Self.bench.test)
        let other = ArithmeticBenchmark(config: .init(seed: 1))
        XCTAssertNotEqual(other.train.map(\.question), Self.bench.train.map(\.question))
        // A split's content does not depend on another split's size.
        var config = ArithmeticBenchmark.Config()
        config.metaCount = 10
        XCTAssertEqual(ArithmeticBenchmark(config: config).test, Self.bench.test)
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
                XCTAssertTrue((0...20).contains(a) && (1...9).contains(b) && (0...20).contains(c), step)
            }
            XCTAssertEqual(cleanLabels(i).last, ok ? 1 : 0)
            XCTAssertEqual(i.metadata["final_answer"] == i.metadata["answer"], ok)
        }
    }

    func testDomainLabelStatistics() {
        let byDomain = Dictionary(grouping: Self.bench.train, by: { $0.domain! })
        for i in byDomain["clean"]! { XCTAssertEqual(i.labels, cleanLabels(i)) }
        // Noisy: about 35% of step labels flipped.
        var flipped = 0, total = 0
        for i in byDomain["noisy"]! {
            for (l, c) in zip(i.labels, cleanLabels(i)) { total += 1; if l != c { flipped += 1 } }
        }
        XCTAssertEqual(Double(flipped) / Double(total), 0.35, accuracy: 0.03)
        // Easy: one operation.
        XCTAssertTrue(byDomain["easy"]!.allSatisfy { $0.steps.count == 2 && $0.labels == cleanLabels($0) })
        // Shifted: the '-' starts one step late.
        var shiftedSome = 0
        for i in byDomain["shifted"]! {
            let clean = cleanLabels(i)
            if let e = clean.firstIndex(of: 0) {
                var want = clean
                want[e] = 1
                XCTAssertEqual(i.labels, want)
                shiftedSome += 1
            } else {
                XCTAssertEqual(i.labels, clean)
            }
        }
        XCTAssertGreaterThan(shiftedSome, 100)
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
            for name in ["clean", "noisy", "easy", "shifted"] { XCTAssertFalse(text.contains(name)) }
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
