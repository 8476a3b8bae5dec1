import XCTest
@testable import REPL

/// Drives the real `dprm` binary in a pseudo-terminal (util-linux `script`), as a person would:
/// readline prompts, tab completion, the continuation prompt, and Ctrl-C both at the prompt and
/// during a running loop.
final class PseudoTerminalTests: XCTestCase {
    final class Terminal: @unchecked Sendable {
        let process = Process()
        let input = Pipe(), output = Pipe()
        private let lock = NSLock()
        private var raw = Data()
        /// Where the next `expect` starts looking (so each step matches new output only).
        private var mark = 0

        init(binary: String) throws {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
                throw XCTSkip("util-linux `script` is not installed")
            }
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            // `exec`: script runs the command through $SHELL; dash (CI's /bin/sh) would otherwise stay
            // as dprm's parent in the terminal's process group, die of the Ctrl-C we send, and
            // make `script -e` report its status 130 instead of dprm's.
            process.arguments = ["-qefc", "exec '\(binary)'", "/dev/null"]
            var env = ProcessInfo.processInfo.environment
            env["TERM"] = "xterm"
            env["DPRM_HISTORY"] = ""
            env["INPUTRC"] = "/dev/null"
            process.environment = env
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            output.fileHandleForReading.readabilityHandler = { [weak self] h in
                let d = h.availableData
                guard let self, !d.isEmpty else { return }
                self.lock.lock(); self.raw.append(d); self.lock.unlock()
            }
            try process.run()
        }

        /// The output so far with escape sequences and carriage returns removed.
        var text: String {
            lock.lock(); defer { lock.unlock() }
            var s = String(decoding: raw, as: UTF8.self)
            s = s.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
            s = s.replacingOccurrences(of: "\u{1B}[=>]", with: "", options: .regularExpression)
            return s.replacingOccurrences(of: "\r", with: "")
        }

        func send(_ s: String) { input.fileHandleForWriting.write(Data(s.utf8)) }

        /// Waits until `needle` appears after the last match; returns false on timeout.
        @discardableResult
        func expect(_ needle: String, timeout: Double = 10) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let t = Array(text.utf8)
                if mark <= t.count, let r = String(decoding: t[mark...], as: UTF8.self).range(of: needle) {
                    let tail = String(decoding: t[mark...], as: UTF8.self)
                    mark += tail[..<r.upperBound].utf8.count
                    return true
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return false
        }
    }

    /// Through the real readline: a call's keyword argument, and a folder in a string that
    /// completes with `/` and no closing quote (the typed quote then ends the string).
    func testKeywordAndFolderCompletion() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/runs_folder", withIntermediateDirectories: true)
        let term = try Terminal(binary: try dprmBinary())
        defer { if term.process.isRunning { term.process.terminate() } }
        XCTAssertTrue(term.expect("dprm> "), "no prompt:\n\(term.text)")
        term.send("fn train_it(data, steps_total = 3) { steps_total }\r")
        XCTAssertTrue(term.expect("dprm> "))
        term.send("train_it(1, steps_t\t")
        XCTAssertTrue(term.expect("steps_total:"), "keyword completion:\n\(term.text)")
        term.send(" 7)\r")
        XCTAssertTrue(term.expect("7\n"), term.text)
        XCTAssertTrue(term.expect("dprm> "))
        term.send("let p = \"\(dir)/runs_f\t")
        XCTAssertTrue(term.expect("runs_folder/"), "folder completion:\n\(term.text)")
        term.send("\"\r")
        XCTAssertTrue(term.expect("dprm> "), term.text)
        term.send("p == \"\(dir)/runs_folder/\"\r")
        XCTAssertTrue(term.expect("true\n"), "the completed path is the folder with its slash and nothing more:\n\(term.text)")
    }

    func testCompletionContinuationAndCtrlC() throws {
        let term = try Terminal(binary: try dprmBinary())
        defer { if term.process.isRunning { term.process.terminate() } }
        XCTAssertTrue(term.expect("dprm> "), "no prompt:\n\(term.text)")

        // Tab completion of a global, then of a dict member.
        term.send("let unique_variable_name = 5\r")
        XCTAssertTrue(term.expect("dprm> "))
        term.send("unique_v\t")
        XCTAssertTrue(term.expect("unique_variable_name"), "global completion:\n\(term.text)")
        term.send(" + 1\r")
        XCTAssertTrue(term.expect("6\n"), term.text)
        XCTAssertTrue(term.expect("dprm> "))
        term.send("let cfg = {\"alpha_rate\": 3}\r")
        XCTAssertTrue(term.expect("dprm> "))
        term.send("cfg.alp\t")
        XCTAssertTrue(term.expect("cfg.alpha_rate"), "member completion:\n\(term.text)")
        term.send("\r")
        XCTAssertTrue(term.expect("3\n"), term.text)
        term.send(":he\t")
        XCTAssertTrue(term.expect(":help"), "command completion:\n\(term.text)")
        term.send(" len\r")
        XCTAssertTrue(term.expect("len(x)"), term.text)

        // Continuation prompt for an unfinished input.
        XCTAssertTrue(term.expect("dprm> "))
        term.send("fn inc(a) {\r")
        XCTAssertTrue(term.expect("...> "), "continuation prompt:\n\(term.text)")
        term.send("a + 1\r")
        XCTAssertTrue(term.expect("...> "))
        term.send("}\r")
        XCTAssertTrue(term.expect("dprm> "))
        term.send("inc(41)\r")
        XCTAssertTrue(term.expect("42\n"), term.text)

        // Ctrl-C at the prompt clears the line.
        XCTAssertTrue(term.expect("dprm> "))
        term.send("this is not code")
        XCTAssertTrue(term.expect("not code"))
        term.send("\u{03}")
        XCTAssertTrue(term.expect("^C"), term.text)
        XCTAssertTrue(term.expect("dprm> "))
        term.send("2 * 3\r")
        XCTAssertTrue(term.expect("6\n"), "line was not cleared:\n\(term.text)")

        // Ctrl-C during a running loop interrupts it and returns to the prompt, state intact.
        XCTAssertTrue(term.expect("dprm> "))
        term.send("let spins = 0\r")
        XCTAssertTrue(term.expect("dprm> "))
        term.send("while true { spins += 1 }\r")
        Thread.sleep(forTimeInterval: 0.4)
        term.send("\u{03}")
        XCTAssertTrue(term.expect("interrupted"), "no interrupt:\n\(term.text)")
        XCTAssertTrue(term.expect("dprm> "))
        term.send("spins > 0\r")
        XCTAssertTrue(term.expect("true\n"), term.text)

        // Ctrl-D at the continuation prompt cancels the unfinished input; the session goes on.
        XCTAssertTrue(term.expect("dprm> "))
        term.send("let pending = [1,\r")
        XCTAssertTrue(term.expect("...> "), term.text)
        term.send("\u{04}")
        XCTAssertTrue(term.expect("unfinished input cancelled"), "Ctrl-D at ...> :\n\(term.text)")
        XCTAssertTrue(term.expect("dprm> "))
        XCTAssertTrue(term.process.isRunning, "Ctrl-D at the continuation prompt ended the REPL")
        term.send("spins > 0\r")
        XCTAssertTrue(term.expect("true\n"), term.text)

        // Ctrl-D on an empty line leaves.
        XCTAssertTrue(term.expect("dprm> "))
        term.send("\u{04}")
        let deadline = Date().addingTimeInterval(10)
        while term.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(term.process.isRunning, "Ctrl-D did not exit:\n\(term.text)")
        if !term.process.isRunning { XCTAssertEqual(term.process.terminationStatus, 0) }
    }
}
