import XCTest
@testable import Lang

/// Keyword names read off a written signature (completion for builtins without declared parameters).
final class SignatureTests: XCTestCase {
    func testParameterNamesOfAWrittenSignature() {
        XCTAssertEqual(Builtin.parameterNames(inSignature: "read_csv(path, header: true)"), ["path", "header"])
        XCTAssertEqual(Builtin.parameterNames(inSignature: "f(a, b: [1, 2], c: \"x,y\", d: g(1, 2), ...rest)"), ["a", "b", "c", "d"])
        XCTAssertEqual(Builtin.parameterNames(inSignature: "pi"), [])
    }
}
