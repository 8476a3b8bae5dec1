import XCTest
import Foundation
@testable import Lang

/// `read_json` / `json_parse` go through Support's one strict parser (plus NaN and Infinity,
/// which Python writes), so the language accepts the same JSON as the data readers.
final class JSONBridgeTests: XCTestCase {
    func run(_ code: String) throws -> Value {
        try Interpreter(options: .init(output: { _ in })).evaluate(code, name: "test")
    }

    func message(_ code: String) -> String {
        do { _ = try run(code); return "no error" } catch { return "\(error)" }
    }

    func testNonFiniteNumbersAndOrder() throws {
        let v = try run(#"let d = json_parse('{"z": NaN, "a": -Infinity, "m": [1, true, null]}')\#n[keys(d), d["a"], d["z"] != d["z"], d["m"]]"#)
        XCTAssertEqual(v.repr, #"[["z", "a", "m"], -inf, true, [1, true, nil]]"#)
        XCTAssertEqual(try run(#"json_string({b: [1, 2.5], a: nil, r: range(3)})"#).description,
                       #"{"b":[1,2.5],"a":null,"r":[0,1,2]}"#)
    }

    /// read_json, read_csv and read_file follow the data readers' rule (Support's `UTF8Text`):
    /// a byte-order mark is skipped, invalid UTF-8 is an error naming the byte offset.
    func testByteOrderMarkAndInvalidUTF8LikeTheDataReaders() throws {
        let dir = NSTemporaryDirectory() + "lang-utf8-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data([0xEF, 0xBB, 0xBF] + Array(#"{"a": 1}"#.utf8)).write(to: URL(fileURLWithPath: dir + "/bom.json"))
        try Data([0xEF, 0xBB, 0xBF] + Array("x,y\n1,2\n".utf8)).write(to: URL(fileURLWithPath: dir + "/bom.csv"))
        try Data(Array("x,y\n1,".utf8) + [0xC3, 0x28]).write(to: URL(fileURLWithPath: dir + "/bad.csv"))
        XCTAssertEqual(try run(#"read_json("\#(dir)/bom.json")["a"]"#).repr, "1")
        XCTAssertEqual(try run(#"keys(read_csv("\#(dir)/bom.csv")[0])"#).repr, #"["x", "y"]"#)
        XCTAssertEqual(try run(#"len(read_file("\#(dir)/bom.json"))"#).repr, "8")
        for builtin in ["read_csv", "read_file"] {
            let m = message(#"\#(builtin)("\#(dir)/bad.csv")"#)
            XCTAssertTrue(m.contains("\(dir)/bad.csv: invalid UTF-8 at byte offset 6 (0xc3)"), m)
        }
    }

    func testStrictErrorsWithLineAndColumn() {
        XCTAssertTrue(message(#"json_parse('[1,\n 2,]')"#).contains("JSON: invalid JSON at line 2, column 4: unexpected character"),
                      message(#"json_parse('[1,\n 2,]')"#))
        // The old language parser took these; the data readers never did.
        XCTAssertTrue(message(#"json_parse('["a\tb"]')"#).contains("control character in string"))
        XCTAssertTrue(message(#"json_parse('[01]')"#).contains("a number cannot start with 0"))
        XCTAssertTrue(message(#"json_parse("\#(String(repeating: "[", count: 600)))")"#).contains("nesting deeper than 512 levels"))
        XCTAssertTrue(message("json_string(print)").contains("cannot write"))
    }
}
