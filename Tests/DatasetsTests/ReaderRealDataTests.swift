import XCTest
@testable import Datasets

/// Every reader on the real files of the shared data (skipped, naming the path, when absent).
final class ReaderRealDataTests: XCTestCase {
    func testDreamPRM15MetaFormat() throws {
        let path = try TestPaths.sharedFile("dreamprm15/meta_MMMU_Pro.json")
        let meta = try DatasetIO.readMeta(path)
        XCTAssertEqual(meta.items.count, 1656)
        XCTAssertEqual(meta.skipped, 0)
        let first = meta.items[0]
        XCTAssertEqual(first.id, "test_Art_113")
        XCTAssertFalse(first.label)
        XCTAssertEqual(first.steps, ["D"])
        XCTAssertEqual(first.image, "../data/meta_images/test_Art_113.png")
        XCTAssertEqual(first.systemPrompt, Datasets.defaultSystemPrompt)
        XCTAssertTrue(first.question.hasPrefix("### Question:\nQuestion: <image 1> of Louis Black"))
        XCTAssertEqual(first.metadata["response"], .string("D"))
        XCTAssertEqual(meta.items.reduce(0) { $0 + $1.steps.count }, 3296)  // one gpt turn per step
        let second = meta.items[5]
        XCTAssertEqual(second.steps.last, "Answer: A")

        // The same file read as training data: every gpt turn is '+'.
        let train = try DatasetIO.readTrain(path)
        XCTAssertEqual(train.items.count, 1656)
        XCTAssertTrue(train.items.allSatisfy { $0.labels.allSatisfy { $0 == 1 } })
        XCTAssertEqual(train.items[0].metadata["true_false"], .bool(false))
    }

    func testDreamPRMV1Meta() throws {
        let path = try TestPaths.sharedFile("dreamprm/meta.json")
        XCTAssertThrowsError(try DatasetIO.readMetaV1(path)) { error in
            XCTAssertEqual("\(error)", "\(path): record 1: empty steps (the solution has no step)")
        }
        let result = try DatasetIO.readMetaV1(path, options: ReadOptions(skipInvalid: true))
        XCTAssertEqual(result.items.count + result.skipped, 500)
        XCTAssertEqual(result.items.count, 129)
        XCTAssertTrue(result.messages.allSatisfy { $0.hasPrefix(path + ": record ") && $0.hasSuffix("empty steps (the solution has no step)") })
        let first = result.items[0]
        XCTAssertEqual(first.id, "2")
        XCTAssertTrue(first.label)
        XCTAssertEqual(first.question, "Question: The following diagram shows the bacteriorhodopsin protein.This protein have quaternary structure.\nOptions: (A) True (B) False")
        XCTAssertEqual(first.steps.count, 6)
        XCTAssertTrue(first.steps[0].hasPrefix("Step 1: Restate the question.\n   - The question is asking"))
        XCTAssertTrue(first.steps[4].hasPrefix("Step 5: Summarize and conclude"))
        XCTAssertEqual(first.steps[5], "Final answer: B")
        XCTAssertEqual(first.image, "dataset/MMMU/images/test/2.png")
        // Markdown headings ("### Step 1") are markers too; the preamble joins the first step.
        let second = result.items[1]
        XCTAssertEqual(second.id, "3")
        XCTAssertEqual(second.steps.count, 6)
        XCTAssertTrue(second.steps[0].hasPrefix("Let's analyze the question step by step:\n\n### Step 1: Restate the question"))
        XCTAssertTrue(second.steps[1].hasPrefix("### Step 2: Gather evidence"))
        XCTAssertEqual(second.steps[5], "Final answer: D")
        XCTAssertEqual(FinalAnswer.extract(second.steps.joined(separator: "\n\n")), "d")
    }

    func testPRMBench() throws {
        let path = try TestPaths.sharedFile("prmbench/prm800k_test_p1_4o_circular.jsonl")
        let result = try DatasetIO.readPRMBench(path)
        XCTAssertEqual(result.items.count, 180)  // 90 records, two instances each
        let original = result.items[0], modified = result.items[1]
        XCTAssertEqual(original.id, "prm_test_p1_0/original")
        XCTAssertEqual(modified.id, "prm_test_p1_0/modified")
        XCTAssertEqual(original.domain, "circular")
        XCTAssertEqual(original.steps.count, 6)
        XCTAssertEqual(original.labels, [1, 1, 1, 1, 1, 1])
        XCTAssertEqual(modified.steps.count, 7)
        XCTAssertEqual(modified.labels, [1, 1, 0, 0, 0, 0, 0])  // error_steps [3, 4, 5]
        XCTAssertEqual(modified.steps[2], "3. Assume a pencil costs 29 cents. Then verify this against the original equations.")
        XCTAssertEqual(modified.metadata["error_steps"], .array([.number(3), .number(4), .number(5)]))
        XCTAssertTrue(original.question.hasPrefix("Three pencils and a jumbo eraser cost $1.24."))

        // No error steps (two correct solutions): both all '+'.
        let multi = try DatasetIO.readPRMBench(try TestPaths.sharedFile("prmbench/prm_test_p12_multi_solutions.jsonl"))
        XCTAssertEqual(multi.items.count, 330)
        XCTAssertTrue(multi.items.allSatisfy { $0.labels.allSatisfy { $0 == 1 } && $0.domain == "multi_solutions" })
    }

    func testAllPRMBenchFilesRead() throws {
        let dir = try TestPaths.sharedFile("prmbench")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jsonl") }.sorted()
        XCTAssertEqual(files.count, 25)
        var records = 0, skipped = 0
        for f in files {
            let r = try DatasetIO.readPRMBench(dir + "/" + f, options: ReadOptions(skipInvalid: true))
            records += r.items.count / 2
            skipped += r.skipped
            XCTAssertTrue(r.messages.allSatisfy { $0.contains("all lie past the last step") }, "\(r.messages)")
        }
        XCTAssertEqual(records + skipped, 6216)
        XCTAssertEqual(skipped, 16)
        // A listed step past the end is ignored when an earlier one is inside the process.
        let r = try DatasetIO.readPRMBench(dir + "/prm800k_test_p1_4o_circular.jsonl")
        let glitch = r.items.first { $0.id.hasSuffix("/modified") && $0.metadata["error_steps"] == .array([.number(16), .number(34)]) }
        XCTAssertEqual(glitch?.labels.firstIndex(of: 0), 15)
    }

    func testBigBenchMistake() throws {
        let path = try TestPaths.sharedFile("bbm/multistep_arithmetic.jsonl")
        let result = try DatasetIO.readBBM(path)
        XCTAssertEqual(result.items.count, 300)
        let first = result.items[0]
        XCTAssertEqual(first.id, "multistep_arithmetic/0")
        XCTAssertEqual(first.domain, "multistep_arithmetic")
        XCTAssertEqual(first.steps.count, 5)
        XCTAssertEqual(first.labels, [1, 1, 1, 0, 0])  // mistake_index 3
        XCTAssertEqual(first.question, "(((-9 - 5 - 0) - (4 + 3 + -5)) - ((3 * 4 * 5) * (7 - -7 * 4))) =")
        XCTAssertEqual(result.items[1].labels, [1, 1, 1, 1])  // mistake_index null
        XCTAssertEqual(result.items.filter { $0.labels.allSatisfy { $0 == 1 } }.count, 62)

        var total = 0
        let dir = try TestPaths.sharedFile("bbm")
        for task in ["dyck_languages", "logical_deduction", "multistep_arithmetic", "tracking_shuffled_objects", "word_sorting"] {
            let r = try DatasetIO.readBBM("\(dir)/\(task).jsonl")
            XCTAssertTrue(r.items.allSatisfy { $0.domain == task })
            total += r.items.count
        }
        XCTAssertEqual(total, 2186)
    }

    func testGenericJSONL() throws {
        let path = try TestPaths.sharedFile("bbm/word_sorting.jsonl")
        let raw = try DatasetIO.readJSONL(path, options: ReadOptions(limit: 10))
        XCTAssertEqual(raw.items.count, 10)
        XCTAssertNotNil(raw.items[0]["steps"]?.arrayValue)
        let targets = try DatasetIO.readJSONL(path) { record -> String in
            guard let t = record["target"]?.stringValue else { throw DatasetError.Problem.missingKey("target") }
            return t
        }
        XCTAssertEqual(targets.items.count, 300)
    }
}

final class SharedDataTests: XCTestCase {
    func testDirectoryLookup() throws {
        let data = try TestPaths.sharedFile("bbm")
        let dataDir = URL(fileURLWithPath: data).deletingLastPathComponent().path
        let sharedDir = URL(fileURLWithPath: dataDir).deletingLastPathComponent().path
        XCTAssertEqual(SharedData.directory(environment: ["DPRM_SHARED": dataDir]), dataDir)
        XCTAssertEqual(SharedData.directory(environment: ["DPRM_SHARED": sharedDir]), dataDir)
        XCTAssertNil(SharedData.directory(environment: ["DPRM_SHARED": "/no/such/dir"]))
        XCTAssertNil(SharedData.directory(environment: [:], fallback: nil))
    }
}
