import XCTest
import Lang
import Stdlib
@testable import REPL

/// Captures what a session writes.
final class Capture: @unchecked Sendable {
    var out = ""
    var err = ""
}

/// Runs a REPL session over `lines` (nil = Ctrl-C at the prompt) on a big-stack thread.
func runSession(_ lines: [String?], interpreter: Interpreter = Stdlib.makeInterpreter())
    -> (out: String, err: String, reader: ScriptedLineReader, session: REPLSession) {
    runSession(ScriptedLineReader(lines), interpreter: interpreter)
}

/// Runs a REPL session reading from `reader` on a big-stack thread.
func runSession(_ reader: ScriptedLineReader, interpreter: Interpreter = Stdlib.makeInterpreter())
    -> (out: String, err: String, reader: ScriptedLineReader, session: REPLSession) {
    let capture = Capture()
    let session = REPLSession(interpreter: interpreter, reader: reader,
                              write: { capture.out += $0 }, writeError: { capture.err += $0 })
    BigStack.run { session.run() }
    return (capture.out, capture.err, reader, session)
}

final class REPLSessionTests: XCTestCase {
    func testExpressionsEchoTheirValue() {
        let r = runSession(["1 + 2", "\"hi\"", "[1, \"a\"]", "let x = 5", "print(\"out\")"])
        XCTAssertEqual(r.out, "3\n\"hi\"\n[1, \"a\"]\nout\n")
        XCTAssertEqual(r.err, "")
    }

    func testMultiLineInputContinuesWhileIncomplete() {
        let r = runSession(["fn double(a) {", "  a * 2", "}", "double(", "21)", "let xs = [1,", "2, 3]", "len(xs)"])
        XCTAssertEqual(r.out, "42\n3\n")
        XCTAssertEqual(r.err, "")
        XCTAssertEqual(r.reader.prompts, ["dprm> ", "...> ", "...> ", "dprm> ", "...> ", "dprm> ", "...> ", "dprm> ", "dprm> "])
        // The whole block is one history entry.
        XCTAssertEqual(r.reader.history.first, "fn double(a) {\n  a * 2\n}")
    }

    func testSemicolonSilencesAndUnderscoreHoldsLastValue() {
        let r = runSession(["40 + 2;", "_", "_ + 1", "let y = _ * 2", "y"])
        XCTAssertEqual(r.out, "42\n43\n86\n")
    }

    func testCtrlCDropsPendingInput() {
        let r = runSession(["let a = [1,", nil, "1 + 1"])
        XCTAssertEqual(r.out, "2\n")
        XCTAssertEqual(r.err, "")
        XCTAssertEqual(r.reader.prompts, ["dprm> ", "...> ", "dprm> ", "dprm> "])
    }

    func testCtrlDAtContinuationPromptCancelsTheInputOnATerminal() {
        // At a terminal: Ctrl-D at `...>` drops the unfinished input and the session goes on;
        // Ctrl-D at an empty primary prompt ends it.
        let typed = ScriptedLineReader(inputs: [.line("let a = 5"), .line("let b = [1,"), .endOfInput, .line("a + 1"), .endOfInput, .line("a")],
                                       interactive: true)
        let r = runSession(typed)
        XCTAssertEqual(r.out, "(unfinished input cancelled; Ctrl-D on an empty prompt quits)\n6\n")
        XCTAssertEqual(r.err, "")
        XCTAssertEqual(r.reader.prompts, ["dprm> ", "dprm> ", "...> ", "dprm> ", "dprm> "])
        XCTAssertNil(r.session.interpreter.global("b"))
        XCTAssertEqual(r.session.failedInputs, 0)
        // Piped input that ends mid-statement is run, so its error says what is missing.
        let piped = runSession(["let b = [1,"])
        XCTAssertTrue(piped.err.contains("error"), piped.err)
        XCTAssertEqual(piped.session.failedInputs, 1)
    }

    func testFailedInputsAreCounted() {
        let r = runSession(["1", "nope", ":nosuch", ":run", "let = 2", "2"])
        XCTAssertEqual(r.out, "1\n2\n")
        XCTAssertEqual(r.session.failedInputs, 4)
    }

    func testArgsExistAndRunPassesScriptArguments() throws {
        let dir = try temporaryDirectory()
        let file = dir + "/train.dprm"
        try """
        # %% settings
        let lr = args.get("lr", 0.5)
        let steps = 3
        fn report() { print("lr", lr, "rest", args["_"]) }
        # %% go
        report()
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let r = runSession(["args", "let steps = 10", "fn report() { 0 }", "let mine = 1",
                            ":run \(file) -- --lr 0.01 \"two words\"", "args[\"lr\"]", ":run \(file)", ":who"])
        XCTAssertEqual(r.err, "")
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "{\"_\": []}")
        XCTAssertEqual(lines[1], "lr 0.01 rest [\"two words\"]")
        XCTAssertEqual(lines[2], "note: \(file) replaced your variables report, steps")
        XCTAssertEqual(lines[3], "0.01")
        // A second run without `--` starts from empty args; `mine` was never touched.
        XCTAssertEqual(lines[4], "lr 0.5 rest []")
        XCTAssertEqual(lines[5], "note: \(file) replaced your variables lr, report")
        XCTAssertFalse(r.out.contains("mine,") || r.out.contains(" mine\n"), r.out)
    }

    func testErrorLeavesStateIntact() {
        let r = runSession(["let n = 10", "let m = n + undefined_name", "n = n / \"x\"", "[1][5]", "n + 1"])
        XCTAssertEqual(r.out, "11\n")
        XCTAssertTrue(r.err.contains("repl:2:13: error: undefined name 'undefined_name'"), r.err)
        XCTAssertTrue(r.err.contains(" 2 | let m = n + undefined_name"), r.err)
        XCTAssertTrue(r.err.contains("^~~~"), r.err)
        XCTAssertTrue(r.err.components(separatedBy: "error").count >= 4, r.err)
        XCTAssertNil(r.session.interpreter.global("m"))
    }

    func testSyntaxErrorIsReportedNotContinued() {
        let r = runSession(["let = 3", "7"])
        XCTAssertTrue(r.err.contains("repl:1:5: error:"), r.err)
        XCTAssertEqual(r.out, "7\n")
    }

    func testWhoListsVariablesWithSummaries() {
        let r = runSession(["let count = 3", "let name = \"prm\"", "fn area(w, h) { w * h }",
                            "let big = range(0, 400, 2)", "1", ":who"])
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.contains("count") && $0.contains("number") && $0.hasSuffix("3") }, r.out)
        XCTAssertTrue(lines.contains { $0.contains("name") && $0.contains("\"prm\"") }, r.out)
        XCTAssertTrue(lines.contains { $0.contains("area") && $0.contains("<fn area(w, h)>") }, r.out)
        XCTAssertTrue(lines.contains { $0.contains("big") && $0.hasSuffix("...") && $0.count < 100 }, r.out)
        XCTAssertFalse(lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("_ ") }, "`_` is not listed")
    }

    func testHelpCommand() {
        let r = runSession([":help len", ":help", ":help :save", ":help lenn"])
        XCTAssertTrue(r.out.hasPrefix("len(x)\n  Number of items"), r.out)
        XCTAssertTrue(r.out.contains(":save FILE"), r.out)
        XCTAssertTrue(r.out.contains("core ("), r.out)
        XCTAssertTrue(r.err.contains("no help for 'lenn'") && r.err.contains("did you mean `len`?"), r.err)
    }

    /// `?name` and `:help x.member`: members of native objects (with their call forms) from the
    /// value of a variable or from the type's name, core values' methods, and a stdlib function's
    /// doc comment.
    func testHelpForMembersAndFunctionDocComments() throws {
        let dir = try temporaryDirectory()
        let module = dir + "/helpers.dprm"
        try "let unused = 0\n\n# Twice `x`, for the test.\n# (A second line.)\nfn twice(x, by = 2) { x * by }\n"
            .write(toFile: module, atomically: true, encoding: .utf8)
        let r = runSession(["let t = tensor([1, 2])", "?t.sum", ":help t.shape", "?tensor.reshape",
                            "let opt = sgd([param(t)], lr: 0.1)", "?opt.lr", "let xs = [1]", ":help xs.push",
                            "import \"\(module)\"", "?twice", "?t.nope"])
        XCTAssertTrue(r.out.contains("t.sum(axis: nil, keepdims: false)\n  Sum over all elements"), r.out)
        XCTAssertTrue(r.out.contains("t.shape\n  The sizes of the axes"), r.out)
        XCTAssertTrue(r.out.contains("tensor.reshape(shape, ...sizes)\n  The same elements with a new shape"), r.out)
        XCTAssertTrue(r.out.contains("parameters:\n  axis: nil  whole number or list: the axis or axes (nil: every element)"), "a method's help lists its declared parameters: \(r.out)")
        XCTAssertTrue(r.out.contains("opt.lr (settable)\n  The learning rate"), r.out)
        XCTAssertTrue(r.out.contains("xs.push(...) is push("), r.out)
        XCTAssertTrue(r.out.contains("twice(x, by = 2)\n  Twice `x`, for the test.\n  (A second line.)\n  function defined in helpers.dprm"), r.out)
        XCTAssertTrue(r.err.contains("no help for 't.nope'"), r.err)
    }

    func testUnknownCommandSuggests() {
        let r = runSession([":whoo"])
        XCTAssertTrue(r.err.contains("unknown command ':whoo'") && r.err.contains("`:who`"), r.err)
    }

    func testSaveThenRerunTheSavedFile() throws {
        let dir = try temporaryDirectory()
        let file = dir + "/session.dprm"
        let r = runSession(["let base = 4", "fn sq(v) {", "  v * v", "}", "sq(base);", "let res = _ + 1",
                            "oops(1)", "print(\"res\", res)", ":save \(file)"])
        XCTAssertTrue(r.out.contains("saved 5 inputs to \(file)"), r.out)
        let saved = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertFalse(saved.contains("oops"), "failed inputs are not saved")
        XCTAssertFalse(FileManager.default.fileExists(atPath: file + ".tmp"))
        // Re-run the saved script in a fresh interpreter.
        let capture = Capture()
        let interp = Stdlib.makeInterpreter(options: Interpreter.Options(output: { capture.out += $0 }))
        let error: Error? = BigStack.run {
            do { try interp.run(file: file); return nil } catch { return error }
        }
        XCTAssertNil(error, "\(error.map { "\($0)" } ?? "")\n\(saved)")
        XCTAssertEqual(capture.out, "res 17\n")
        XCTAssertEqual(interp.global("res")?.asNumber, 17)
    }

    func testResetForgetsVariablesKeepsBuiltins() {
        let r = runSession(["let v = 1", ":reset", "v", "len([1, 2])", ":who"])
        XCTAssertTrue(r.err.contains("undefined name 'v'"), r.err)
        XCTAssertTrue(r.out.contains("2\n"), r.out)
        XCTAssertTrue(r.out.hasSuffix("no variables\n"), r.out)
        XCTAssertEqual(r.session.inputs, ["len([1, 2])"])
    }

    func testQuitStopsReading() {
        let r = runSession(["1", ":quit", "2"])
        XCTAssertEqual(r.out, "1\n")
    }

    func testLoadAndRunFiles() throws {
        let dir = try temporaryDirectory()
        let file = dir + "/nb.dprm"
        try """
        # %% setup
        let a = 2
        # %% [markdown]
        # Prose, not code.
        # %% compute
        let b = a * 10
        b + 1
        # %% broken
        a + missing
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let r = runSession([":run \(file) 1", "a", ":run \(file) 3", "b", ":run \(file) 4", ":run \(file) 9", ":load \(file)"])
        XCTAssertEqual(r.out, "2\n20\n")
        XCTAssertTrue(r.err.contains("\(file):9:5: error (cell 4): undefined name 'missing'"), r.err)
        XCTAssertTrue(r.err.contains("has no cell 9"), r.err)
        XCTAssertTrue(r.err.contains("\(file):9:5: error: undefined name 'missing'"), r.err)
    }

    func testTimeCommand() {
        let r = runSession([":time 6 * 7"])
        XCTAssertTrue(r.out.hasPrefix("42\ntime: "), r.out)
    }

    func testSlowInputShowsWallTime() {
        let r = runSession(["sleep(0.15)"])
        XCTAssertTrue(r.out.contains(" ms]") || r.out.contains(" s]"), r.out)
    }

    func testInterruptStopsRunningCode() {
        let interp = Stdlib.makeInterpreter()
        InterruptController.shared.install()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { kill(getpid(), SIGINT) }
        let r = runSession(["let i = 0", "while true { i += 1 }", "i > 0"], interpreter: interp)
        XCTAssertTrue(r.err.contains("interrupted"), r.err)
        XCTAssertTrue(r.out.hasSuffix("true\n"), r.out)
    }
}

func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "dprm-repl-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// How the REPL echoes values (issue 14: Float32 digits, long containers cut with a count).
final class ValueEchoTests: XCTestCase {
    func testFloat32NumbersShowTheirShortestDigits() {
        let r = runSession(["tensor([0.95228606]).sum().item()", "0.1", "1 / 3", "[tensor([0.5, 0.25]).mean().item(), 2]", "print(tensor([0.95228606]).sum().item())"])
        XCTAssertEqual(r.out, "0.95228606\n0.1\n0.3333333333333333\n[0.375, 2]\n0.9522860646247864\n")
    }

    func testLongContainersAreCutWithACount() {
        let r = runSession(["range(0, 100).map(fn(i) { i })", "let d = {}", "for i in range(0, 25) { d[str(i)] = i }", "d", "print(len(range(0, 100).map(fn(i) { i })))"])
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, ... (80 more), 98, 99]")
        XCTAssertTrue(lines[1].hasPrefix("{\"0\": 0, \"1\": 1,") && lines[1].hasSuffix(", ... (5 more), \"23\": 23, \"24\": 24}"), lines[1])
        XCTAssertEqual(lines[2], "100")
        // print shows everything.
        let p = runSession(["print(range(0, 30).map(fn(i) { i }))"])
        XCTAssertFalse(p.out.contains("more"), p.out)
    }
}
