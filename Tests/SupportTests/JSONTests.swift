import XCTest
import Support

/// The one JSON parser and serialiser: strict RFC 8259 by default, errors with line and column,
/// a depth limit, NaN/Infinity only when asked for, and text that reads back to the same value.
final class JSONTests: XCTestCase {
    func parseError(_ text: String, options: JSONParseOptions = .strict, file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        do {
            _ = try JSONValue.parse(text, options: options)
            XCTFail("parsed \(text.debugDescription)", file: file, line: line)
            return nil
        } catch let e as JSONParseError {
            return e
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func testParsesExactTypesInOrder() throws {
        let v = try JSONValue.parse(#"{"b": [1, 2.5, -3e2, true, null], "a": "x\ny\u00e9\ud83d\ude00", "c": {}}"#)
        XCTAssertEqual(v.objectValue?.map(\.key), ["b", "a", "c"], "keys keep file order")
        XCTAssertEqual(v["b"], .array([.number(1), .number(2.5), .number(-300), .bool(true), .null]))
        XCTAssertEqual(v["a"]?.stringValue, "x\nyé😀")
        XCTAssertEqual(v["c"], .object([]))
        XCTAssertNil(v["b"]?.arrayValue?[3].numberValue, "a bool is not a number")
        XCTAssertEqual(v["b"]?.arrayValue?[0].intValue, 1)
        XCTAssertNil(v["b"]?.arrayValue?[1].intValue, "2.5 is not whole")
    }

    func testErrorsGiveLineAndColumn() throws {
        let e = try XCTUnwrap(parseError("{\n  \"a\": 1,\n  \"b\" 2\n}"))
        XCTAssertEqual(e.line, 3)
        XCTAssertEqual(e.column, 7)
        XCTAssertEqual(e.message, "expected ':' after key")
        XCTAssertEqual(e.description, "invalid JSON at line 3, column 7: expected ':' after key")
        // Columns count characters, not bytes: "é" is two bytes of UTF-8 but one column.
        let wide = try XCTUnwrap(parseError(#"["é", x]"#))
        XCTAssertEqual(wide.column, 7)
        XCTAssertEqual(wide.offset, 7)
        XCTAssertEqual(parseError(#"{"a": 1} x"#)?.message, "unexpected text after the value")
        XCTAssertEqual(parseError(#"["a"#)?.message, "unterminated string")
        XCTAssertEqual(parseError("[1,]")?.message, "unexpected character")
        XCTAssertEqual(parseError("[012]")?.message, "a number cannot start with 0 followed by digits")
        XCTAssertEqual(parseError("[1.]")?.message, "digits expected after '.'")
        XCTAssertEqual(parseError(#"["\q"]"#)?.message, #"bad escape '\q'"#)
        XCTAssertEqual(parseError(#"["\q"]"#)?.column, 3, "points at the backslash")
        XCTAssertEqual(parseError("[\"a\tb\"]")?.line, 1)
        XCTAssertTrue(parseError("[\"a\tb\"]")?.message.hasPrefix("control character in string") ?? false)
        XCTAssertEqual(parseError("")?.message, "unexpected end of input")
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        XCTAssertNoThrow(try JSONValue.parse(ok))
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        let e = try XCTUnwrap(parseError(deep))
        XCTAssertEqual(e.message, "nesting deeper than 512 levels")
        XCTAssertEqual(e.column, 513)
        // A far deeper document fails the same way instead of overflowing the stack.
        XCTAssertEqual(parseError(String(repeating: "{\"a\":", count: 100_000))?.message, "nesting deeper than 512 levels")
        XCTAssertEqual(parseError("[[[1]]]", options: JSONParseOptions(maxDepth: 2))?.message, "nesting deeper than 2 levels")
    }

    func testNonFiniteNumbersOnlyWhenAllowed() throws {
        let text = "[NaN, Infinity, -Infinity, 1]"
        let strict = try XCTUnwrap(parseError(text))
        XCTAssertEqual(strict.message, "NaN is not JSON (only finite numbers are allowed here)")
        XCTAssertEqual(strict.column, 2)
        XCTAssertEqual(parseError("[-Infinity]")?.column, 2, "the error points at the minus sign")
        let loose = try JSONValue.parse(text, options: JSONParseOptions(allowNonFinite: true))
        let numbers = try XCTUnwrap(loose.arrayValue?.compactMap(\.numberValue))
        XCTAssertTrue(numbers[0].isNaN)
        XCTAssertEqual(Array(numbers[1...]), [.infinity, -.infinity, 1])
        XCTAssertEqual(parseError("[Inf]", options: JSONParseOptions(allowNonFinite: true))?.message, "invalid literal")
        // JSON has no spelling for them, so the serialiser writes null.
        XCTAssertEqual(loose.serialized(), "[null,null,null,1]")
    }

    func testSerialiserRoundTrips() throws {
        let value = JSONValue.object([
            ("id", .string("a \"quoted\"\\ path\n\t\u{01}é😀")),
            ("n", .array([.number(3), .number(-0.1), .number(1e-7), .number(123456789012), .number(0.30000000000000004)])),
            ("flags", .array([.bool(true), .bool(false), .null])),
            ("empty", .object([])), ("none", .array([])),
        ])
        let compact = value.serialized()
        XCTAssertEqual(compact, #"{"id":"a \"quoted\"\\ path\n\t\u0001é😀","n":[3,-0.1,1e-07,123456789012,0.30000000000000004],"flags":[true,false,null],"empty":{},"none":[]}"#)
        XCTAssertEqual(try JSONValue.parse(compact), value)
        let pretty = value.serialized(pretty: true)
        XCTAssertTrue(pretty.hasPrefix("{\n  \"id\": \"a"), pretty)
        XCTAssertTrue(pretty.contains("\n  \"n\": [\n    3,\n    -0.1,"), pretty)
        XCTAssertEqual(try JSONValue.parse(pretty), value)
        XCTAssertEqual(value.serialized(indent: 4).split(separator: "\n")[1], "    \"id\": \"a \\\"quoted\\\"\\\\ path\\n\\t\\u0001é😀\",")
        XCTAssertEqual(JSONValue.quote("tab\there"), #""tab\there""#)
    }
}
