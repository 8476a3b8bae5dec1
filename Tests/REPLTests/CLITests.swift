import XCTest
@testable import REPL

/// The `dprm` binary built next to this test bundle (`$DPRM_BIN` overrides). With
/// `DPRM_TEST_TARGETS=REPLTests` the executable is not part of the build graph: build it into the
/// same scratch folder first (`swift build --scratch-path .build-repl --product dprm`).
func dprmBinary() throws -> String {
    if let p = ProcessInfo.processInfo.environment["DPRM_BIN"], !p.isEmpty { return p }
    var dir = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent("dprm").path
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue,
           FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    throw XCTSkip("dprm binary not found next to \(ProcessInfo.processInfo.arguments[0]); build it with `swift build --product dprm` in the same scratch folder or set DPRM_BIN")
}

struct RunResult { let status: Int32; let out: String; let err: String }

/// Runs the binary with `arguments`, feeding `stdin` (not a terminal), in `directory`.
func runDprm(_ arguments: [String], stdin: String? = nil, directory: String? = nil,
             environment: [String: String] = [:]) throws -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try dprmBinary())
    p.arguments = arguments
    if let d = directory { p.currentDirectoryURL = URL(fileURLWithPath: d) }
    var env = ProcessInfo.processInfo.environment
    env["DPRM_HISTORY"] = ""
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out; p.standardError = err; p.standardInput = input
    try p.run()
    if let s = stdin { input.fileHandleForWriting.write(Data(s.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes fully before waiting, so a chatty child cannot block on a full pipe.
    final class Box: @unchecked Sendable { var data = Data() }
    let stderrData = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { stderrData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus, out: String(decoding: stdoutData, as: UTF8.self),
                     err: String(decoding: stderrData.data, as: UTF8.self))
}

final class CLITests: XCTestCase {
    func testVersionAndEval() throws {
        let v = try runDprm(["--version"])
        XCTAssertEqual(v.status, 0)
        XCTAssertTrue(v.out.hasPrefix("dprm "), v.out)
        let e = try runDprm(["-e", "let a = 20\na * 2 + 2"])
        XCTAssertEqual(e.status, 0, e.err)
        XCTAssertEqual(e.out, "42\n")
        XCTAssertEqual(try runDprm(["-e", "print(\"x\")"]).out, "x\n")
    }

    func testExitCodes() throws {
        let syntax = try runDprm(["-e", "let = 1"])
        XCTAssertEqual(syntax.status, 65)
        XCTAssertTrue(syntax.err.contains("-e:1:5: error:"), syntax.err)
        let runtime = try runDprm(["-e", "fn f(x) { x + nope }\nf(1)"])
        XCTAssertEqual(runtime.status, 70)
        XCTAssertTrue(runtime.err.contains("undefined name 'nope'"), runtime.err)
        XCTAssertEqual(try runDprm(["--no-such-flag"]).status, 64)
        XCTAssertEqual(try runDprm(["run"]).status, 64)
        XCTAssertEqual(try runDprm(["run", "/no/such/file.dprm"]).status, 64)
        XCTAssertEqual(try runDprm(["run", "x.dprm", "--cell", "1", "--cells", "1..2"]).status, 64)
    }

    func testRunWithArgsAndCells() throws {
        let dir = try temporaryDirectory()
        let file = dir + "/train.dprm"
        try """
        # %% one
        print("cell one", args["lr"] * 2, args["verbose"], args["_"])
        # %% two
        print("cell two", args["name"])
        # %% three
        error("stop here")
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let all = try runDprm(["run", file, "--", "--lr", "0.5", "--verbose", "--name", "x", "a.json", "3"])
        XCTAssertEqual(all.status, 70)
        XCTAssertEqual(all.out, "cell one 1 true [\"a.json\", 3]\ncell two x\n")
        XCTAssertTrue(all.err.contains("\(file):6:1: error (cell 3): stop here"), all.err)
        XCTAssertTrue(all.err.contains(" 6 | error(\"stop here\")"), all.err)
        let two = try runDprm(["run", file, "--cell", "2", "--", "--name", "y"])
        XCTAssertEqual(two.status, 0, two.err)
        XCTAssertEqual(two.out, "cell two y\n")
        let range = try runDprm(["run", file, "--cells", "1..2", "--", "--lr", "1", "--verbose=false", "--name", "z"])
        XCTAssertEqual(range.status, 0, range.err)
        XCTAssertEqual(range.out, "cell one 2 false []\ncell two z\n")
        let missing = try runDprm(["run", file, "--cell", "7"])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.err.contains("no cell 7"), missing.err)
    }

    func testStackTraceOnStderr() throws {
        let dir = try temporaryDirectory()
        let file = dir + "/deep.dprm"
        try "fn inner(t) {\n  t / \"no\"\n}\nfn outer(t) {\n  inner(t)\n}\nouter(1)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let r = try runDprm(["run", file])
        XCTAssertEqual(r.status, 70)
        XCTAssertTrue(r.err.contains("\(file):2:"), r.err)
        XCTAssertTrue(r.err.contains("stack"), r.err)
        XCTAssertTrue(r.err.contains("in inner") && r.err.contains("in outer"), r.err)
        XCTAssertEqual(r.out, "")
    }

    func testCheck() throws {
        let dir = try temporaryDirectory()
        let good = dir + "/good.dprm", bad = dir + "/bad.dprm", broken = dir + "/broken.dprm"
        try "let x = 1\nprint(x)\n".write(toFile: good, atomically: true, encoding: .utf8)
        try "# %% a\nlet total = 1\n# %% b\nprint(totl)\n".write(toFile: bad, atomically: true, encoding: .utf8)
        try "let x = (1,\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let g = try runDprm(["check", good])
        XCTAssertEqual(g.status, 0, g.err)
        XCTAssertEqual(g.out, "", "check runs nothing")
        let b = try runDprm(["check", bad])
        XCTAssertEqual(b.status, 65)
        XCTAssertTrue(b.err.contains("bad.dprm:4:7: error (cell 2): undefined name 'totl'"), b.err)
        XCTAssertTrue(b.err.contains("did you mean `total`?"), b.err)
        XCTAssertEqual(try runDprm(["check", broken]).status, 65)
    }

    /// `dprm check` on the real scripts: every example and stdlib module is clean (they all run
    /// in ExampleTests), so any report would be a false error, e.g. a method name such as
    /// `b.train.domains()` taken for an undefined global.
    func testCheckAcceptsEveryExampleAndStdlibModule() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var scripts: [String] = []
        for folder in ["examples", "stdlib"] {
            let dir = repo.appendingPathComponent(folder).path
            scripts += try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".dprm") }.sorted().map { dir + "/" + $0 }
        }
        XCTAssertGreaterThan(scripts.count, 8)
        for script in scripts {
            let r = try runDprm(["check", script], directory: repo.path)
            XCTAssertEqual(r.status, 0, "\(script):\n\(r.err)")
            XCTAssertEqual(r.err, "", script)
        }
        // A real mistake in a copy of an example is still found, and located.
        let dir = try temporaryDirectory()
        let copy = dir + "/bestofn.dprm"
        let text = try String(contentsOfFile: repo.appendingPathComponent("examples/bestofn.dprm").path, encoding: .utf8)
        try (text + "\nprint(undefined_result)\n").write(toFile: copy, atomically: true, encoding: .utf8)
        let lines = text.components(separatedBy: "\n").count
        let r = try runDprm(["check", copy], directory: repo.path)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.err.contains("\(copy):\(lines + 1):7: error"), r.err)
        XCTAssertTrue(r.err.contains("undefined name 'undefined_result'"), r.err)
    }

    func testScriptFromStdin() throws {
        let r = try runDprm([], stdin: "print(1)\nlet y = 2\nprint(y + 1)\n")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "1\n3\n")
        let bad = try runDprm([], stdin: "print(1)\nboom()\nprint(2)\n")
        XCTAssertEqual(bad.status, 70)
        XCTAssertEqual(bad.out, "1\n")
        XCTAssertTrue(bad.err.contains("<stdin>:2:1"), bad.err)
    }

    func testReplWithPipedInputHasNoPrompts() throws {
        let r = try runDprm(["repl"], stdin: "let a = [1,\n2]\na\nlen(a);\n_ * 10\nnope\n:who\n")
        XCTAssertEqual(r.status, 70, "an input failed, so the piped session fails")
        XCTAssertEqual(r.out, "[1, 2]\n20\n  a  list  [1, 2]\n")
        XCTAssertTrue(r.err.contains("repl:6:1: error: undefined name 'nope'"), r.err)
        XCTAssertFalse(r.out.contains("dprm>"))
        let clean = try runDprm(["repl"], stdin: "let a = 2\na * 3\n")
        XCTAssertEqual(clean.status, 0, clean.err)
        XCTAssertEqual(clean.out, "6\n")
    }

    func testHelp() throws {
        let general = try runDprm(["help"])
        XCTAssertEqual(general.status, 0)
        XCTAssertTrue(general.out.contains("USAGE") && general.out.contains("notebook") && general.out.contains("core:"), general.out)
        let len = try runDprm(["help", "len"])
        XCTAssertEqual(len.status, 0)
        XCTAssertTrue(len.out.hasPrefix("len(x)"), len.out)
        let typo = try runDprm(["help", "lenn"])
        XCTAssertEqual(typo.status, 64)
        XCTAssertTrue(typo.err.contains("did you mean `len`?"), typo.err)
        XCTAssertTrue(try runDprm(["help", "run"]).out.contains("--cells"))
    }

    func testNotebookCommand() throws {
        let dir = try temporaryDirectory()
        let file = dir + "/nb.dprm"
        try "# %% [markdown]\n# # Title\n# %% a\nlet v = 2\nprint(\"v is\", v)\nv * 21\n".write(toFile: file, atomically: true, encoding: .utf8)
        // The report's folder does not exist yet: it is made before any cell runs.
        let html = dir + "/out/deeper/report.html"
        let r = try runDprm(["notebook", file, "-o", html, "--", "--seed", "3"], directory: dir)
        XCTAssertEqual(r.status, 0, r.err)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertTrue(page.contains("<h1>Title</h1>") && page.contains("v is 2") && page.contains(">42</pre>"), page)
        XCTAssertTrue(page.contains("arguments: --seed 3") && page.contains("dprm 0."), page)
        let md = dir + "/report.md"
        XCTAssertEqual(try runDprm(["notebook", file, "-o", md], directory: dir).status, 0)
        XCTAssertTrue(try String(contentsOfFile: md, encoding: .utf8).contains("```dprm\nlet v = 2"))
        // A failing notebook still writes its report, then exits with the error's code.
        try "# %% a\nprint(1)\n# %% b\nnope\n".write(toFile: file, atomically: true, encoding: .utf8)
        let failed = try runDprm(["notebook", file, "-o", html], directory: dir)
        XCTAssertEqual(failed.status, 70)
        XCTAssertTrue(try String(contentsOfFile: html, encoding: .utf8).contains("Stopped at cell 2"))
        // A syntax error in a later cell is reported before anything runs (exit 65, no report).
        try "# %% a\nwrite_file(\"\(dir)/ran.txt\", \"x\")\n# %% b\nlet = 1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let typo = try runDprm(["notebook", file, "-o", dir + "/typo.html"], directory: dir)
        XCTAssertEqual(typo.status, 65, typo.err)
        XCTAssertTrue(typo.err.contains("nb.dprm:4:5: error (cell 2):"), typo.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran.txt"))
        XCTAssertEqual(try runDprm(["run", file], directory: dir).status, 65)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran.txt"), "dprm run checks every cell's syntax first too")
        // A report folder that cannot be made fails before running.
        try "x".write(toFile: dir + "/plainfile", atomically: true, encoding: .utf8)
        try "# %% a\nwrite_file(\"\(dir)/ran.txt\", \"x\")\n".write(toFile: file, atomically: true, encoding: .utf8)
        let blocked = try runDprm(["notebook", file, "-o", dir + "/plainfile/r.html"], directory: dir)
        XCTAssertEqual(blocked.status, 64, blocked.err)
        XCTAssertTrue(blocked.err.contains("cannot create the report's folder"), blocked.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran.txt"))
    }

    /// examples/reweighting_study.dprm as a researcher runs it (`dprm notebook ... -o study.html`),
    /// on a tiny setting: every cell runs, the report embeds the study's figures, the results
    /// cover every method at every N, and a second run reuses the cached cold start.
    func testReweightingStudyNotebook() throws {
        var gnuplot = false
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            where FileManager.default.isExecutableFile(atPath: "\(dir)/gnuplot") { gnuplot = true }
        if !gnuplot && ProcessInfo.processInfo.environment["DPRM_GNUPLOT"] == nil {
            throw XCTSkip("gnuplot is not installed (sudo apt-get install gnuplot-nox); the study's figures need it")
        }
        let dir = try temporaryDirectory()
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let study = repo.appendingPathComponent("examples/reweighting_study.dprm").path
        let tiny = ["--preset", "tiny", "--coldstart_steps", "3", "--reweight_steps", "4", "--batch_size", "2",
                    "--meta_batch_size", "2", "--train_size", "24", "--coldstart_size", "16", "--meta", "4", "--test", "6",
                    "--ns", "1,2,8", "--out", dir + "/figs", "--cache", dir + "/cache"]
        let html = dir + "/study.html"
        let r = try runDprm(["notebook", study, "-o", html, "--"] + tiny, directory: dir)
        XCTAssertEqual(r.status, 0, r.err + r.out)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertFalse(page.contains("Stopped at cell"), page)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/figs/results.json"))) as? [String: Any])
        let figures = try XCTUnwrap(results["figures"] as? [String])
        XCTAssertEqual(figures.count, 6)
        for f in figures {
            XCTAssertTrue(FileManager.default.fileExists(atPath: f), f)
            XCTAssertTrue(page.contains("<figcaption>") && page.contains((f as NSString).lastPathComponent), f)
        }
        XCTAssertEqual(page.components(separatedBy: "data:image/png;base64,").count - 1, 6)
        let byN = try XCTUnwrap(results["accuracies_by_n"] as? [String: [String: Double]])
        XCTAssertEqual(Set(byN.keys), ["cold_start", "vanilla", "oracle_drop", "instance_table", "instance_net", "domain_table"])
        let accuracies = try XCTUnwrap(results["accuracies"] as? [String: Double])
        for (m, curve) in byN {
            XCTAssertEqual(Set(curve.keys), ["1", "2", "8"], m)
            // All 8 candidates: the same choice as best_of_n's (ties to the lowest index in both).
            XCTAssertEqual(try XCTUnwrap(curve["8"]), try XCTUnwrap(accuracies[m]), accuracy: 1e-12, m)
        }
        let baselines = try XCTUnwrap(results["baselines_by_n"] as? [String: [Double]])
        XCTAssertEqual(try XCTUnwrap(baselines["first"]?.first), try XCTUnwrap(accuracies["first"]), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(baselines["oracle"]?.last), try XCTUnwrap(accuracies["oracle"]), accuracy: 1e-12)
        // Best-of-1 is the first candidate for every method.
        for (m, curve) in byN { XCTAssertEqual(try XCTUnwrap(curve["1"]), try XCTUnwrap(accuracies["first"]), accuracy: 1e-12, m) }
        let byVisits = try XCTUnwrap(results["table_auroc_by_visits"] as? [String: [Any]])
        XCTAssertEqual(byVisits["visits"]?.count, byVisits["auroc"]?.count)
        XCTAssertEqual(try XCTUnwrap(byVisits["visits"]?.last as? Double), 4.0 * 2 / 24, accuracy: 1e-12)
        // The cold start was cached; a second run loads it.
        let cached = try FileManager.default.contentsOfDirectory(atPath: dir + "/cache")
        XCTAssertEqual(cached.count, 1, "\(cached)")
        let again = try runDprm(["notebook", study, "-o", dir + "/again.md", "--"] + tiny, directory: dir)
        XCTAssertEqual(again.status, 0, again.err + again.out)
    }

    func testInterruptStopsScript() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try dprmBinary())
        p.arguments = ["-e", "print(\"start\")\nlet i = 0\nwhile true { i += 1 }"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        _ = out.fileHandleForReading.availableData // "start" printed: the loop is running
        Thread.sleep(forTimeInterval: 0.2)
        kill(p.processIdentifier, SIGINT)
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertTrue(errText.contains("interrupted by Ctrl-C"), errText)
    }
}
