import XCTest
@testable import Datasets

/// Bad input: one test per error kind; every message names the file, the record and the problem.
final class ReaderErrorTests: XCTestCase {
    /// A valid DreamPRM-1.5 training record.
    func good(_ id: String, labels: [String] = ["+", "-"]) -> String {
        let steps = labels.enumerated().map { k, l in
            "{\"from\": \"human\", \"value\": \"step \(k)\"}, {\"from\": \"gpt\", \"value\": \"\(l)\"}"
        }.joined(separator: ", ")
        return """
        {"id": "\(id)", "image": "img/\(id).png", "dataset": "geo", "extra": 7, "conversations": [
          {"from": "system", "value": "sys"}, {"from": "human", "value": "Q?"}, \(steps)]}
        """
    }

    func assertFails(_ text: String, name: String = "train.json", record: Int, contains expected: String,
                     read: (String) throws -> Void = { _ = try DatasetIO.readTrain($0) },
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try TestPaths.write(text, name: name)
        XCTAssertThrowsError(try read(path), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("\(path): record \(record): "), "no file/record in: \(message)", file: file, line: line)
            XCTAssertTrue(message.contains(expected), "'\(expected)' not in: \(message)", file: file, line: line)
            XCTAssertEqual((error as? DatasetError)?.record, record, file: file, line: line)
        }
    }

    func testValidTrainRecord() throws {
        let path = try TestPaths.write("[\(good("a")), \(good("b", labels: ["0.75", "+", "-"]))]", name: "train.json")
        let r = try DatasetIO.readTrain(path)
        XCTAssertEqual(r.items.count, 2)
        XCTAssertEqual(r.items[0].labels, [1, 0])
        XCTAssertEqual(r.items[1].labels, [0.75, 1, 0])
        XCTAssertEqual(r.items[0].domain, "geo")
        XCTAssertEqual(r.items[0].image, "img/a.png")
        XCTAssertEqual(r.items[0].systemPrompt, "sys")
        XCTAssertEqual(r.items[0].question, "Q?")
        XCTAssertEqual(r.items[0].steps, ["step 0", "step 1"])
        XCTAssertEqual(r.items[0].metadata, ["extra": .number(7)])
    }

    func testMissingKey() throws {
        try assertFails("[\(good("a")), {\"id\": \"b\"}]", record: 1, contains: "missing key 'conversations'")
        try assertFails("[{\"question\": \"q\", \"candidates\": [\"x\"]}]", name: "test.json", record: 0,
                        contains: "missing key 'true_false'", read: { _ = try DatasetIO.readCandidates($0) })
        try assertFails("{\"input\": \"x\", \"steps\": [\"a\"], \"target\": \"1\"}\n", name: "task.jsonl", record: 0,
                        contains: "missing key 'mistake_index'", read: { _ = try DatasetIO.readBBM($0) })
    }

    func testWrongType() throws {
        let meta = good("a").replacingOccurrences(of: "\"id\": \"a\",", with: "\"id\": \"a\", \"true_false\": \"yes\",")
        try assertFails("[\(meta)]", name: "meta.json", record: 0, contains: "key 'true_false' should be a bool, found string",
                        read: { _ = try DatasetIO.readMeta($0) })
        try assertFails("[\(good("a")), {\"id\": \"b\", \"conversations\": \"hello\"}]", record: 1,
                        contains: "key 'conversations' should be a list, found string")
        try assertFails("[{\"question\": \"q\", \"candidates\": [\"x\", 3], \"true_false\": [true, false]}]", name: "test.json",
                        record: 0, contains: "key 'candidates[1]' should be a string, found number",
                        read: { _ = try DatasetIO.readCandidates($0) })
        let listID = good("a").replacingOccurrences(of: "\"id\": \"a\"", with: "\"id\": [1]")
        try assertFails("[\(listID)]", record: 0, contains: "key 'id' should be a string or an integer, found list")
    }

    func testEmptySteps() throws {
        let noSteps = "{\"id\": \"a\", \"conversations\": [{\"from\": \"system\", \"value\": \"s\"}, {\"from\": \"human\", \"value\": \"Q\"}]}"
        try assertFails("[\(good("x")), \(good("y")), \(noSteps)]", record: 2, contains: "empty steps")
        try assertFails("{\"input\": \"x\", \"steps\": [], \"mistake_index\": null}\n", name: "task.jsonl", record: 0,
                        contains: "empty steps", read: { _ = try DatasetIO.readBBM($0) })
        try assertFails("[{\"id\": 1, \"true_false\": true, \"input\": \"Question: what?\\nOptions: (A) 1 (B) 2\"}]", name: "meta.json",
                        record: 0, contains: "empty steps", read: { _ = try DatasetIO.readMetaV1($0) })
    }

    func testBadGptTurn() throws {
        try assertFails("[\(good("a", labels: ["+", "maybe"]))]", record: 0, contains: "gpt turn must be '+', '-' or a number in [0, 1], found 'maybe'")
        try assertFails("[\(good("a", labels: ["1.5"]))]", record: 0, contains: "found '1.5'")
        let numeric = good("a").replacingOccurrences(of: "\"value\": \"-\"", with: "\"value\": 0.25")
        XCTAssertEqual(try DatasetIO.readTrain(try TestPaths.write("[\(numeric)]", name: "t.json")).items[0].labels, [1, 0.25])
    }

    func testBadConversationOrder() throws {
        let twoHumans = "{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"Q\"}, {\"from\": \"human\", \"value\": \"s1\"}, {\"from\": \"human\", \"value\": \"s2\"}]}"
        try assertFails("[\(twoHumans)]", record: 0, contains: "bad conversation: turn 2 should be the gpt label of the step in turn 1, found human")
        let trailing = "{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"Q\"}, {\"from\": \"human\", \"value\": \"s1\"}]}"
        try assertFails("[\(trailing)]", record: 0, contains: "turn 1 is a step with no gpt label after it")
        let unknown = "{\"id\": \"a\", \"conversations\": [{\"from\": \"robot\", \"value\": \"Q\"}]}"
        try assertFails("[\(unknown)]", record: 0, contains: "turn 0 is from 'robot'")
    }

    func testInvalidRecordValues() throws {
        try assertFails("{\"input\": \"x\", \"steps\": [\"a\", \"b\"], \"mistake_index\": 2}\n", name: "task.jsonl", record: 0,
                        contains: "mistake_index 2 is outside 0..<2", read: { _ = try DatasetIO.readBBM($0) })
        let prm = "{\"original_question\": \"q\", \"original_process\": [\"a\"], \"modified_process\": [\"a\", \"b\"], \"error_steps\": [0], \"classification\": \"c\", \"idx\": \"i\"}"
        try assertFails(prm + "\n", name: "p.jsonl", record: 0, contains: "error step 0 is below 1",
                        read: { _ = try DatasetIO.readPRMBench($0) })
        try assertFails("[{\"question\": \"q\", \"candidates\": [\"x\", \"y\"], \"true_false\": [true]}]", name: "test.json", record: 0,
                        contains: "'candidates' has 2 entries but 'true_false' has 1", read: { _ = try DatasetIO.readCandidates($0) })
    }

    /// Hostile numbers (issue 18, item 5): each used to go through an unchecked Int(x), undefined
    /// in release builds (BBM mistake_index 1e19 labelled every step '-', ids >= 2^63 all became
    /// "-9223372036854775808", PRMBench error_steps [1e300] was reported "below 1").
    func testHugeNumbersAreCheckedNotConverted() throws {
        for index in ["1e19", "1e300", "9223372036854775808", "-1e300"] {
            try assertFails("{\"input\": \"x\", \"steps\": [\"a\", \"b\"], \"mistake_index\": \(index)}\n", name: "task.jsonl", record: 0,
                            contains: "is outside 0..<2", read: { _ = try DatasetIO.readBBM($0) })
        }
        let prm = { (idx: String, errors: String) in
            "{\"original_question\": \"q\", \"original_process\": [\"a\"], \"modified_process\": [\"a\", \"b\"], \"error_steps\": \(errors), \"classification\": \"c\", \"idx\": \(idx)}\n"
        }
        try assertFails(prm("\"i\"", "[1e300]"), name: "p.jsonl", record: 0, contains: "error_steps[0]' should be an integer below 2^63, found 1e+300",
                        read: { _ = try DatasetIO.readPRMBench($0) })
        try assertFails(prm("\"i\"", "[2.5]"), name: "p.jsonl", record: 0, contains: "error_steps[0]' should be an integer below 2^63, found 2.5",
                        read: { _ = try DatasetIO.readPRMBench($0) })
        for id in ["9223372036854775808", "1e300", "-1e19", "9007199254740994"] {
            try assertFails(prm(id, "[2]"), name: "p.jsonl", record: 0, contains: "is not an exact integer",
                            read: { _ = try DatasetIO.readPRMBench($0) })
        }
        // Still read: a number id within 2^53, exactly.
        let ok = try TestPaths.write(prm("9007199254740992", "[2]"), name: "ok.jsonl")
        XCTAssertEqual(try DatasetIO.readPRMBench(ok).items.first?.id, "9007199254740992/original")
        // best-of-2 pairs skip such a record with a message instead of mis-reading it.
        let pairs = try TestPaths.write(prm("\"i\"", "[1e300]"), name: "pairs.jsonl")
        let read = try DatasetIO.readPRMBenchPairs(pairs, systemPrompt: "s")
        XCTAssertEqual(read.sets.count, 0)
        XCTAssertTrue(read.skipped.first?.contains("not a whole step number") == true, "\(read.skipped)")
    }

    /// One rule for text (as read_json and read_csv): a byte-order mark is skipped, invalid
    /// UTF-8 is a file error naming the byte offset.
    func testByteOrderMarkAndInvalidUTF8() throws {
        let bom = try TestPaths.write("\u{FEFF}[\(good("a"))]", name: "bom.json")
        XCTAssertEqual(try DatasetIO.readTrain(bom).items.map(\.id), ["a"])
        let bomLines = try TestPaths.write("\u{FEFF}{\"input\": \"x\", \"steps\": [\"a\"], \"mistake_index\": null}\n", name: "bom.jsonl")
        XCTAssertEqual(try DatasetIO.readBBM(bomLines).items.count, 1)
        let path = try TestPaths.write("", name: "bad.jsonl")
        try Data(Array("{\"input\": \"".utf8) + [0xFF] + Array("\"}\n".utf8)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try DatasetIO.readBBM(path, options: ReadOptions(skipInvalid: true))) { error in
            XCTAssertEqual("\(error)", "\(path): cannot read file: invalid UTF-8 at byte offset 11 (0xff)")
        }
    }

    func testJSONLLineThatIsNotJSON() throws {
        let line = "{\"input\": \"x\", \"steps\": [\"a\"], \"mistake_index\": null}"
        try assertFails("\(line)\n\n\(line)\n{broken\n", name: "task.jsonl", record: 2, contains: "invalid JSON",
                        read: { _ = try DatasetIO.readBBM($0) })
    }

    func testFileLevelErrors() throws {
        let path = try TestPaths.write("[{\"id\": 1,]", name: "broken.json")
        XCTAssertThrowsError(try DatasetIO.readTrain(path, options: ReadOptions(skipInvalid: true))) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path): invalid JSON: line 1, column 11: expected a string key"), "\(error)")
        }
        let notList = try TestPaths.write("{\"id\": 1}", name: "obj.json")
        XCTAssertThrowsError(try DatasetIO.readTrain(notList)) { error in
            XCTAssertEqual("\(error)", "\(notList): key '<top level>' should be a list of records, found object")
        }
        XCTAssertThrowsError(try DatasetIO.readTrain("/no/such/file.json")) { error in
            XCTAssertEqual("\(error)", "/no/such/file.json: cannot read file: no such file")
        }
    }

    func testSkipInvalidCountsAndReports() throws {
        let noConv = "{\"id\": \"bad1\"}"
        let badLabel = good("bad2", labels: ["?"])
        let text = "[\(good("a")), \(noConv), \(good("b")), \(badLabel), \(good("c"))]"
        let path = try TestPaths.write(text, name: "train.json")
        let r = try DatasetIO.readTrain(path, options: ReadOptions(skipInvalid: true))
        XCTAssertEqual(r.items.map(\.id), ["a", "b", "c"])
        XCTAssertEqual(r.skipped, 2)
        XCTAssertEqual(r.messages, ["\(path): record 1: missing key 'conversations'",
                                    "\(path): record 3: gpt turn must be '+', '-' or a number in [0, 1], found '?' in turn 3"])
        XCTAssertEqual(r.errors.map(\.record), [1, 3])
        // Without skipping, the first bad record stops the read.
        XCTAssertThrowsError(try DatasetIO.readTrain(path))
        XCTAssertEqual(try DatasetIO.readTrain(path, options: ReadOptions(skipInvalid: true, limit: 2)).items.map(\.id), ["a", "b"])
    }
}
