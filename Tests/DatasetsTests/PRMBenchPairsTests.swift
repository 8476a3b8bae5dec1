import XCTest
@testable import Datasets

/// `readPRMBenchPairs` (the language's `prmbench_pairs`): one best-of-2 set per usable record,
/// the correct process in a seeded position, unusable records skipped with a message.
final class PRMBenchPairsTests: XCTestCase {
    func record(_ idx: String, modified: [String] = ["1 + 1 = 3.", "So 3."], errors: [Int] = [1],
                modifiedQuestion: String? = nil) -> String {
        var fields = [#""idx": "\#(idx)""#, #""original_question": "What is 1 + 1?""#, #""classification": "arith""#,
                      #""original_process": ["1 + 1 = 2.", "So 2."]"#,
                      #""modified_process": [\#(modified.map { "\"\($0)\"" }.joined(separator: ", "))]"#,
                      #""error_steps": [\#(errors.map(String.init).joined(separator: ", "))]"#]
        if let q = modifiedQuestion { fields.append(#""modified_question": "\#(q)""#) }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    func testPairsAndSkips() throws {
        let lines = [record("a"), record("b", modifiedQuestion: "What is 2 + 2?"), record("c", errors: [5]), record("d", errors: [2])]
        let path = try TestPaths.write(lines.joined(separator: "\n") + "\n", name: "pairs.jsonl")
        let (sets, skipped) = try DatasetIO.readPRMBenchPairs(path, seed: 3, systemPrompt: "Check.")
        XCTAssertEqual(sets.map(\.id), ["a", "d"])
        XCTAssertEqual(skipped, ["\(path): record 2: the modified process answers a different question",
                                 "\(path): record 3: no error step inside modified_process"])
        for set in sets {
            XCTAssertEqual(set.question, "What is 1 + 1?")
            XCTAssertEqual(set.domain, "arith")
            XCTAssertEqual(set.systemPrompt, "Check.")
            // Whichever position it is in, the candidate marked correct is the original process.
            let correct = try XCTUnwrap(set.correct.firstIndex(of: true))
            XCTAssertEqual(set.candidateSteps[correct], ["1 + 1 = 2.", "So 2."])
            XCTAssertEqual(set.correct.filter { $0 }.count, 1)
        }
        XCTAssertEqual(try DatasetIO.readPRMBenchPairs(path, limit: 1, seed: 3, systemPrompt: "Check.").sets.map(\.id), ["a"])
    }

    func testOrderIsSeededPerRecord() throws {
        let path = try TestPaths.write((0..<16).map { record("r\($0)") }.joined(separator: "\n"), name: "order.jsonl")
        func firstIsCorrect(_ seed: UInt64) throws -> [Bool] {
            try DatasetIO.readPRMBenchPairs(path, seed: seed, systemPrompt: "s").sets.map { $0.correct[0] }
        }
        let a = try firstIsCorrect(0)
        XCTAssertEqual(try firstIsCorrect(0), a, "same seed, same order")
        XCTAssertTrue(a.contains(true) && a.contains(false), "both orders occur among 16 records: \(a)")
        XCTAssertNotEqual(try firstIsCorrect(1), a, "another seed, another order")
    }
}
