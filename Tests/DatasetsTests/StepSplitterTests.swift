import XCTest
@testable import Datasets

final class StepSplitterTests: XCTestCase {
    func testStepMarkersAndAnswerLine() {
        let text = "Let's go.\nStep 1: add 2 and 3.\n  - it is 5\nStep 2: double it.\n\nFinal answer: 10"
        XCTAssertEqual(StepSplitter.split(text),
                       ["Let's go.\nStep 1: add 2 and 3.\n  - it is 5", "Step 2: double it.", "Final answer: 10"])
    }

    func testNumberedAndCircledMarkers() {
        XCTAssertEqual(StepSplitter.split("1. first\n2. second\n   3. nested, not top level\n3) third"),
                       ["1. first", "2. second\n   3. nested, not top level", "3) third"])
        XCTAssertEqual(StepSplitter.split("① one\n② two\n③ three\nThe answer is 3."),
                       ["① one", "② two", "③ three", "The answer is 3."])
        // A decimal at a line start is not a marker.
        XCTAssertEqual(StepSplitter.split("3.14 is pi\n2.71 is e"), ["3.14 is pi\n2.71 is e"])
    }

    func testBlankLineBlocksThenInlineEnumeration() {
        XCTAssertEqual(StepSplitter.split("First we add.\nStill adding.\n\nThen we multiply.\n\n\nAnswer: 12"),
                       ["First we add.\nStill adding.", "Then we multiply.", "Answer: 12"])
        XCTAssertEqual(StepSplitter.split("Step 1: add them. Step 2: halve it. Step 3: done"),
                       ["Step 1: add them.", "Step 2: halve it.", "Step 3: done"])
        XCTAssertEqual(StepSplitter.split("We do (1) add 2 (2) add 3."), ["We do (1) add 2", "(2) add 3."])
        XCTAssertEqual(StepSplitter.split("Just one thought."), ["Just one thought."])
        XCTAssertEqual(StepSplitter.split("  \n "), [])
        XCTAssertEqual(StepSplitter.split("Final answer: 4"), ["Final answer: 4"])
    }

    func testPRMBenchNumberedProcessRecovered() throws {
        let path = try TestPaths.sharedFile("prmbench/prm800k_test_p1_4o_circular.jsonl")
        let items = try DatasetIO.readPRMBench(path).items
        // The shipped steps carry "1.", "2.", ... prefixes: joined by newlines they split back.
        var checked = 0
        let numbered = items.filter { item in
            item.steps.enumerated().allSatisfy { k, step in step.hasPrefix("\(k + 1). ") && !step.contains("\n") }
        }
        for item in numbered.prefix(40) {
            XCTAssertEqual(StepSplitter.split(item.steps.joined(separator: "\n")), item.steps, item.id)
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 10)
    }

    func testBigBenchMistakeBlocksRecovered() throws {
        let path = try TestPaths.sharedFile("bbm/multistep_arithmetic.jsonl")
        let items = try DatasetIO.readBBM(path).items
        let first = items[0]
        let steps = StepSplitter.split(first.steps.joined(separator: "\n\n"))
        XCTAssertEqual(steps.count, 5)
        XCTAssertEqual(steps, first.steps)
        XCTAssertTrue(steps[4].hasSuffix("So the answer is 1244"))
        // The final answer of every trace equals its recorded answer.
        let raw = try DatasetIO.readJSONL(path).items
        var agree = 0
        for (item, record) in zip(items, raw) {
            if FinalAnswer.extract(item.steps.last!) == FinalAnswer.normalize(record["answer"]!.stringValue!) { agree += 1 }
        }
        XCTAssertEqual(agree, items.count)
    }

    func testDreamPRMV1StepCounts() throws {
        let path = try TestPaths.sharedFile("dreamprm/meta.json")
        let items = try DatasetIO.readMetaV1(path, options: ReadOptions(skipInvalid: true)).items
        // Every solution of the shipped meta set has 5 reasoning steps and a final-answer step.
        let withFive = items.filter { $0.steps.count == 6 && $0.steps.last!.hasPrefix("Final answer:") }
        XCTAssertGreaterThan(Double(withFive.count) / Double(items.count), 0.9)
        XCTAssertTrue(items.allSatisfy { FinalAnswer.extract($0.steps.joined(separator: "\n")) != nil })
    }

    func testFinalAnswerExtraction() {
        XCTAssertEqual(FinalAnswer.extract("22 * 3 = 66\n66 - 8 = 58\nFinal answer: 58"), "58")
        XCTAssertEqual(FinalAnswer.extract("so $x = \\boxed{1,244}$."), "1244")
        XCTAssertEqual(FinalAnswer.extract("Thus the answer is 12.0."), "12")
        XCTAssertEqual(FinalAnswer.extract("Answer: (B) True"), "b")
        XCTAssertEqual(FinalAnswer.extract("**Final Answer:** \\boxed{\\text{C}}"), "c")
        XCTAssertEqual(FinalAnswer.extract("The answer is 3.\nFinal answer: 4"), "4")  // "Final answer" first
        XCTAssertEqual(FinalAnswer.extract("Final answer: 3\nFinal answer: 5"), "5")   // the last one
        XCTAssertNil(FinalAnswer.extract("no conclusion here"))
        XCTAssertEqual(FinalAnswer.normalize("  $\\frac{1}{2}$ "), "\\frac{1}{2}")
    }
}
