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

    /// Inside a call, at the start of an argument: the callee's keyword parameters, from the
    /// builtin's declaration (or a .dprm function's parameters).
    func testKeywordArgumentsOfTheEnclosingCall() throws {
        let c = completer()
        let line = "coldstart(prm, d, it"
        let r = c.complete(line)
        XCTAssertEqual(r.start, line.utf8.count - 2)
        XCTAssertEqual(r.candidates.first, "iterations:")
        XCTAssertFalse(r.candidates.contains("iteration_num:"), "aliases are accepted, not offered")
        // Every declared keyword, nested calls and strings with brackets skipped.
        let all = c.complete("let x = coldstart(f(\"(\"), [1, 2], ").candidates
        XCTAssertTrue(all.contains("lr:") && all.contains("scheduler_gamma:") && all.contains("lm_loss_weight:"), "\(all)")
        XCTAssertTrue(c.complete("prm_new(max_").candidates.contains("max_vocab:"))
        // Not at an argument's start, or outside any call: names only.
        XCTAssertFalse(c.complete("coldstart(prm, d + it").candidates.contains("iterations:"))
        XCTAssertFalse(c.complete("coldstart(prm)[it").candidates.contains("iterations:"))
        // A .dprm function's parameters.
        let interp = c.interpreter
        try interp.evaluate("fn train_it(data, steps = 10, rate = 0.1) { steps }")
        XCTAssertEqual(c.complete("train_it(1, st").candidates.first, "steps:")
        // Core and plot builtins declare theirs too (every builtin does).
        XCTAssertEqual(c.complete("read_csv(\"a.csv\", he").candidates.first, "header:")
        XCTAssertTrue(c.complete("plot(h, ou").candidates.contains("out:"))
        XCTAssertTrue(c.complete("plot(h, ti").candidates.contains("title:"))
        // A method call on a name: the method's declared parameters.
        try interp.evaluate("let t = tensor([[1, 2], [3, 4]])\nlet fig = figure()")
        XCTAssertEqual(Array(c.complete("t.sum(ke").candidates.prefix(1)), ["keepdims:"])
        XCTAssertEqual(interp.keywordNames(ofCallee: "t.sum"), ["axis", "keepdims"])
        XCTAssertTrue(c.complete("fig.plot([1], col").candidates.contains("color:"))
        // On a core value, the builtin called as its method, without its receiver parameter.
        try interp.evaluate("let xs = [3, 1, 2]")
        XCTAssertEqual(interp.keywordNames(ofCallee: "xs.sort"), ["key", "reverse"])
    }

    /// After `d.` a dict offers its keys (then the builtins usable as methods).
    func testDictKeysAfterTheDot() {
        let r = completer().complete("config.")
        XCTAssertEqual(Array(r.candidates.prefix(2)), ["learning_rate", "layers"], "keys first, in their order")
        // Then builtins usable as methods (`layer_norm`), after the keys.
        XCTAssertEqual(completer().complete("config.la").candidates, ["layers", "layer_norm"])
    }

    /// A folder completes with `/` and nothing after it (no closing quote), so the path can go
    /// on; absolute and relative paths alike.
    func testFoldersCompleteWithASlashAndNoQuote() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/runs/seed1", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/runs/seed1/history.csv", contents: Data())
        let c = completer()
        XCTAssertEqual(c.complete("read_csv(\"\(dir)/ru").candidates, ["\(dir)/runs/"])
        XCTAssertEqual(c.complete("read_csv(\"\(dir)/runs/").candidates, ["\(dir)/runs/seed1/"])
        XCTAssertEqual(c.complete("read_csv(\"\(dir)/runs/seed1/h").candidates, ["\(dir)/runs/seed1/history.csv"])
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(dir)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        XCTAssertEqual(c.complete("read_csv(\"ru").candidates, ["runs/"])
        XCTAssertEqual(c.complete("read_csv(\"./runs/se").candidates, ["./runs/seed1/"])
        XCTAssertEqual(c.complete(":load runs/").candidates, ["runs/seed1/"])
        for candidate in c.complete("read_csv(\"runs/").candidates { XCTAssertFalse(candidate.contains("\""), candidate) }
    }
}
