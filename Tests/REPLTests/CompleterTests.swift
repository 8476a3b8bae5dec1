import XCTest
import Lang
import Stdlib
@testable import REPL

final class CompleterTests: XCTestCase {
    func completer() -> Completer {
        let interp = Stdlib.makeInterpreter()
        interp.setGlobal("config", .dict(DictRef([("learning_rate", .number(0.1)), ("layers", .number(2))])))
        interp.setGlobal("lengthy", .number(1))
        return Completer(interpreter: interp)
    }

    func testNamesBuiltinsGlobalsAndKeywords() {
        let c = completer()
        let r = c.complete("let n = len")
        XCTAssertEqual(r.start, 8)
        XCTAssertTrue(r.candidates.contains("len"))
        XCTAssertTrue(r.candidates.contains("lengthy"))
        XCTAssertTrue(c.complete("whi").candidates.contains("while"))
    }

    func testMembersOfAPlainVariable() {
        let c = completer()
        let r = c.complete("print(config.l")
        XCTAssertEqual(r.start, 13)
        XCTAssertTrue(r.candidates.contains("learning_rate"))
        XCTAssertTrue(r.candidates.contains("layers"))
        // Receivers that would need evaluation are never completed.
        XCTAssertEqual(c.complete("f().l").candidates, [])
        XCTAssertEqual(c.complete("a.config.l").candidates, [])
        XCTAssertEqual(c.complete("xs[0].l").candidates, [])
        XCTAssertEqual(c.complete("unknown.l").candidates, [])
    }

    func testCommands() {
        let r = completer().complete(":re")
        XCTAssertEqual(r.start, 0)
        XCTAssertEqual(r.candidates, [":reset"])
    }

    func testPathsInStringsAndCommandArguments() throws {
        let dir = try temporaryDirectory()
        FileManager.default.createFile(atPath: dir + "/train.json", contents: Data())
        FileManager.default.createFile(atPath: dir + "/test.json", contents: Data())
        try FileManager.default.createDirectory(atPath: dir + "/tables", withIntermediateDirectories: true)
        let c = completer()
        let line = "let d = read_json(\"\(dir)/t"
        let r = c.complete(line)
        XCTAssertEqual(r.start, line.utf8.count - dir.utf8.count - 2)
        XCTAssertEqual(r.candidates, ["\(dir)/tables/", "\(dir)/test.json", "\(dir)/train.json"])
        XCTAssertEqual(c.complete(":load \(dir)/tr").candidates, ["\(dir)/train.json"])
        // Inside an interpolation we are back in code.
        XCTAssertTrue(c.complete("\"{len").candidates.contains("len"))
        // After a closed string: code again; in a comment: nothing.
        XCTAssertTrue(c.complete("\"a\" + len").candidates.contains("len"))
        XCTAssertEqual(c.complete("1 # len").candidates, [])
    }
}
