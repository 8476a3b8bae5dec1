import Foundation
import XCTest
import Datasets
@testable import PRM
import Support

final class BestOfNTests: XCTestCase {
    /// Hand-made sets: answers and correctness chosen so each baseline has a known value.
    static func handMadeSets() -> [CandidateSet] {
        [
            // q0: first wrong; majority "5" (3 votes) correct; one correct of... 3/4 correct.
            CandidateSet(id: "q0", question: "a", candidates: ["x", "x", "x", "x"],
                         candidateSteps: [["s"], ["s"], ["s"], ["s"]], correct: [false, true, true, true],
                         finalAnswers: ["4", "5", "5", "5"]),
            // q1: first correct; tie 1-1 between "7" (first, correct) and "8"; nil answers ignored.
            CandidateSet(id: "q1", question: "b", candidates: ["x", "x", "x", "x"],
                         candidateSteps: [["s"], ["s"], ["s"], ["s"]], correct: [true, false, false, false],
                         finalAnswers: ["7", nil, "8", nil]),
            // q2: nothing correct; majority "2" (2 votes, the later answer) beats "1" (1 vote).
            CandidateSet(id: "q2", question: "c", candidates: ["x", "x", "x"],
                         candidateSteps: [["s"], ["s"], ["s"]], correct: [false, false, false],
                         finalAnswers: ["1", "2", "2"]),
            // q3: no answers at all: self-consistency falls back to candidate 0 (wrong); 1/2 correct.
            CandidateSet(id: "q3", question: "d", candidates: ["x", "x"],
                         candidateSteps: [["s"], ["s"]], correct: [false, true],
                         finalAnswers: [nil, nil]),
        ]
    }

    func testBaselinesOnHandMadeSets() {
        let b = SelectionBaselines(Self.handMadeSets())
        XCTAssertEqual(b.first, 0.25)                                   // only q1
        XCTAssertEqual(b.random, (0.75 + 0.25 + 0 + 0.5) / 4, accuracy: 1e-12)
        XCTAssertEqual(b.selfConsistencyChoices, [1, 0, 1, 0])
        XCTAssertEqual(b.selfConsistency, 0.5)                          // q0, q1
        XCTAssertEqual(b.oracle, 0.75)                                  // q0, q1, q3
    }

    func testMajorityVoteTies() {
        XCTAssertEqual(SelectionBaselines.majorityVote(["a", "b", "b", "a"]), 0)   // tie: first occurrence
        XCTAssertEqual(SelectionBaselines.majorityVote(["c", "b", "a", "a", "b"]), 1)
        XCTAssertEqual(SelectionBaselines.majorityVote([nil, "z", nil]), 1)
        XCTAssertEqual(SelectionBaselines.majorityVote([nil, nil]), nil)
    }

    func testSelectionAndTieRule() throws {
        let sets = Self.handMadeSets()
        let scores: [[[Float]]] = [
            [[0.9, 0.1], [0.8, 0.6], [0.7, 0.7], [0.2]],   // mean: 0.5, 0.7, 0.7, 0.2 -> tie 1/2 -> 1 (correct)
            [[0.5], [0.5], [0.5], [0.5]],                   // all equal -> 0 (correct)
            [[0.1], [0.9], [0.3]],                          // -> 1 (wrong)
            [[0.4, 0.9], []],                               // empty candidate never chosen -> 0 (wrong)
        ]
        let mean = bestOfN(sets: sets, stepScores: scores, aggregation: .mean)
        XCTAssertEqual(mean.choices, [1, 0, 1, 0])
        XCTAssertEqual(mean.chosenCorrect, [true, true, false, false])
        XCTAssertEqual(mean.accuracy, 0.5)
        XCTAssertEqual(mean.scores[0][0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(mean.scores[3][1], -.infinity)
        // min picks differently in q0: 0.1, 0.6, 0.7, 0.2 -> 2.
        let mn = bestOfN(sets: sets, stepScores: scores, aggregation: .min)
        XCTAssertEqual(mn.choices, [2, 0, 1, 0])
        // max: 0.9, 0.8, 0.7, 0.2 -> 0 (wrong) in q0.
        XCTAssertEqual(bestOfN(sets: sets, stepScores: scores, aggregation: .max).choices[0], 0)
        // AUROC over all candidates of the mean scores, against the brute-force pair count.
        let flat = mean.scores.flatMap { $0 }
        let labels = sets.flatMap(\.correct)
        XCTAssertEqual(mean.auroc!, pairAUROC(flat, labels), accuracy: 1e-12)
        // The table lists the baselines, the PRM and the oracle with gains over "first".
        let table = mean.table().description
        XCTAssertTrue(table.contains("PRM (mean)"))
        XCTAssertTrue(table.contains("PRM (mean)               50.00   +25.00"), table)
        XCTAssertTrue(table.contains("Oracle"))
    }

    func pairAUROC(_ s: [Float], _ y: [Bool]) -> Double {
        var total = 0.0, pairs = 0.0
        for i in s.indices where y[i] {
            for j in s.indices where !y[j] {
                pairs += 1
                total += s[i] > s[j] ? 1 : (s[i] == s[j] ? 0.5 : 0)
            }
        }
        return total / pairs
    }

    func testAUROCByHandAndFixtures() {
        XCTAssertEqual(auroc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75)
        XCTAssertEqual(auroc([0.5, 0.5, 0.5, 0.9], [true, false, false, true]), 0.75)   // ties count 1/2
        XCTAssertEqual(auroc([1, 2, 3], [false, true, true]), 1)
        XCTAssertEqual(auroc([3, 2, 1], [false, true, true]), 0)
        XCTAssertNil(auroc([0.2, 0.4], [true, true]))
        XCTAssertEqual(auroc([-.infinity, 0.1], [false, true]), 1)
        for c in AggregationTests.fixtures.auroc {
            if let expected = c.auroc {
                XCTAssertEqual(auroc(c.scores, c.labels)!, expected, accuracy: 1e-12)
            } else {
                XCTAssertNil(auroc(c.scores, c.labels))
            }
        }
    }

    func testResultsTableFormat() {
        let t = ResultsTable(rows: [.init(method: "No selection", accuracy: 0.425), .init(method: "PRM", accuracy: 0.5),
                                    .init(method: "Worse", accuracy: 0.4)],
                             base: 0.425, baseMethod: "No selection")
        XCTAssertEqual(t.description, """
        Method        Accuracy     Gain
        ------------  --------  -------
        No selection     42.50        -
        PRM              50.00    +7.50
        Worse            40.00    -2.50
        """)
    }

    func testBestOfNWithPRMAndJSON() throws {
        let prm = PRMFixture.tinyPRM()
        let sets = PRMFixture.benchmark.test
        let r = bestOfN(prm, sets: sets, aggregation: .min)
        XCTAssertEqual(r.choices.count, sets.count)
        XCTAssertEqual(r.stepScores.map(\.count), sets.map(\.candidates.count))
        for (q, s) in sets.enumerated() {
            XCTAssertEqual(r.stepScores[q].map(\.count), s.candidateSteps.map(\.count))
            let best = r.scores[q].max()!
            XCTAssertEqual(r.scores[q].firstIndex(of: best), r.choices[q])
        }
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try r.write(json: dir + "/bon.json")
        let value = try JSONValue.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/bon.json"))))
        XCTAssertEqual(value["aggregation"]?.stringValue, "min")
        XCTAssertEqual(value["accuracy"]?.numberValue, r.accuracy)
        XCTAssertEqual(value["questions"]?.arrayValue?.count, sets.count)
        XCTAssertEqual(value["questions"]?.arrayValue?[0]["choice"]?.numberValue, Double(r.choices[0]!))
        XCTAssertEqual(value["baselines"]?["oracle"]?.numberValue, r.baselines.oracle)
    }
}
