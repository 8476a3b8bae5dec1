import XCTest
@testable import Datasets

final class WriterTests: XCTestCase {
    func testTrainRoundTrip() throws {
        let instances = [
            PRMInstance(id: "x1", domain: "geo", systemPrompt: "sys", question: "Q \"quoted\"\nline",
                        steps: ["a", "b ①", "c"], labels: [1, 0.5, 0], image: "img/x1.png",
                        metadata: ["source": .string("unit"), "n": .number(3)]),
            PRMInstance(id: "x2", question: "Q2", steps: ["only"], labels: [1]),
        ]
        let dir = try TestPaths.scratch()
        let path = dir + "/train.json"
        try DatasetIO.writeTrain(instances, to: path)
        XCTAssertEqual(try DatasetIO.readTrain(path).items, instances)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["train.json"], "no temporary file left behind")
        // Overwriting replaces the file atomically.
        try DatasetIO.writeTrain([instances[1]], to: path)
        XCTAssertEqual(try DatasetIO.readTrain(path).items, [instances[1]])
    }

    func testMetaAndCandidatesRoundTrip() throws {
        let meta = [MetaInstance(id: "m", question: "Q", steps: ["s1", "Final answer: 3"], label: false, domain: "d", image: "i.png")]
        let dir = try TestPaths.scratch()
        try DatasetIO.writeMeta(meta, to: dir + "/meta.json")
        XCTAssertEqual(try DatasetIO.readMeta(dir + "/meta.json").items, meta)

        let sets = [CandidateSet(id: "t", question: "Compute 2 + 3.", image: nil,
                                 candidates: ["2 + 3 = 5\nFinal answer: 5", "2 + 3 = 6\nFinal answer: 6"],
                                 correct: [true, false])]
        XCTAssertEqual(sets[0].finalAnswers, ["5", "6"])
        XCTAssertEqual(sets[0].candidateSteps[1], ["2 + 3 = 6", "Final answer: 6"])
        try DatasetIO.writeCandidates(sets, to: dir + "/test.json")
        XCTAssertEqual(try DatasetIO.readCandidates(dir + "/test.json").items, sets)
    }

    func testCandidatesWithoutOptionalKeys() throws {
        let path = try TestPaths.write("""
        [{"question": "q", "image_path": "a.png", "candidates": ["Step 1: x\\nStep 2: y\\nThe answer is 4."], "true_false": [true]}]
        """, name: "test.json")
        let set = try DatasetIO.readCandidates(path).items[0]
        XCTAssertEqual(set.id, "0")
        XCTAssertEqual(set.image, "a.png")
        XCTAssertEqual(set.candidateSteps[0], ["Step 1: x", "Step 2: y", "The answer is 4."])
        XCTAssertEqual(set.finalAnswers, ["4"])
    }
}
