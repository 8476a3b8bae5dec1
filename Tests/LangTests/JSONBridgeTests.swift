import XCTest
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
