import XCTest
import Lang
@testable import REPL

final class ScriptArgumentsTests: XCTestCase {
    func testOptionsFlagsAndPositionals() {
        guard case .dict(let d) = ScriptArguments.parse(["--lr", "0.01", "--verbose", "--name", "run1", "data.json",
                                                         "--steps=300", "--fast", "--", "--literal", "7"]) else {
            return XCTFail("args must be a dict")
        }
        XCTAssertEqual(d["lr"]?.asNumber, 0.01)
        if case .bool(true)? = d["verbose"] {} else { XCTFail("bare --verbose is true") }
        XCTAssertEqual(d["name"]?.asString, "run1")
        XCTAssertEqual(d["steps"]?.asNumber, 300)
        if case .bool(true)? = d["fast"] {} else { XCTFail("--fast before -- is true") }
        XCTAssertEqual(d["_"]?.asList?.map(\.repr), ["\"data.json\"", "\"--literal\"", "7"])
    }

    /// The two examples of docs/cli.md, exactly as documented.
    func testDocumentedExamples() {
        XCTAssertEqual(ScriptArguments.parse(["data/train.json", "--lr", "5e-5", "--verbose"]).repr,
                       #"{"lr": 5e-05, "verbose": true, "_": ["data/train.json"]}"#)
        XCTAssertEqual(ScriptArguments.parse(["--verbose", "data/train.json"]).repr,
                       #"{"verbose": "data/train.json", "_": []}"#)
    }

    func testEmpty() {
        guard case .dict(let d) = ScriptArguments.parse([]) else { return XCTFail() }
        XCTAssertEqual(d.keys, ["_"])
    }

    func testCellRanges() {
        XCTAssertEqual(ScriptRunner.parseCellRange("3"), 3...3)
        XCTAssertEqual(ScriptRunner.parseCellRange("2..4"), 2...4)
        XCTAssertEqual(ScriptRunner.parseCellRange("2.."), 2...Int.max)
        XCTAssertEqual(ScriptRunner.parseCellRange("..4"), 0...4)
        XCTAssertNil(ScriptRunner.parseCellRange("4..2"))
        XCTAssertNil(ScriptRunner.parseCellRange("x"))
    }
}
