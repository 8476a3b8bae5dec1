import Foundation
import Support
import Lang

/// An interactive session: reads inputs through a `LineReader`, keeps reading while the parser
/// says the input is incomplete, runs it, echoes values, and handles `:commands`.
///
/// The REPL is a thin client of `Interpreter`: all language state lives there, so an error in an
/// input leaves every variable as it was. Call `run()` on a thread with a large stack (see
/// `BigStack`).
public final class REPLSession {
    public let interpreter: Interpreter
    public let reader: LineReader
    /// Normal output (values, command results, `print` output).
    public let write: (String) -> Void
    /// Diagnostics.
    public let writeError: (String) -> Void
    public var prompt = "dprm> "
    public var continuationPrompt = "...> "
    /// Wall time is shown after inputs that take longer than this (seconds).
    public var timingThreshold = 0.1
    /// This session's successful code inputs, in order (`:save` writes them).
    public private(set) var inputs: [String] = []
    /// Indices into `inputs` of those whose value became `_`.
    private var producedValue: Set<Int> = []
    /// Source line of the next input in the session (diagnostics say `repl:LINE:COL`).
    public private(set) var line = 1
    /// How many inputs failed (an error, an unknown command or a usage error): `dprm repl < FILE`
    /// exits with 70 when it is not zero.
    public private(set) var failedInputs = 0

    /// `interpreter` should come from `Stdlib.makeInterpreter`; its output is routed to `write`.
    public init(interpreter: Interpreter, reader: LineReader,
                write: @escaping (String) -> Void = { StandardOutput.write($0) },
                writeError: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.interpreter = interpreter; self.reader = reader; self.write = write; self.writeError = writeError
        interpreter.output = write
        if interpreter.global("args") == nil { defineEmptyArgs() }
    }

    /// Reads and runs inputs until `:quit` or end of input.
    public func run() {
        var pending: [String] = []
        defer { reader.close() }
        while true {
            switch reader.readLine(prompt: pending.isEmpty ? prompt : continuationPrompt) {
            case .endOfInput:
                // Ctrl-D at a continuation prompt drops the unfinished input, as Ctrl-C does; only
                // an empty primary prompt ends the session. At the real end of piped input the
                // unfinished input is run, which reports what is missing.
                if !pending.isEmpty && reader.isInteractive {
                    pending = []
                    write("(unfinished input cancelled; Ctrl-D on an empty prompt quits)\n")
                    continue
                }
                if !pending.isEmpty { runCode(pending.joined(separator: "\n")) }
                return
            case .interrupted:
                pending = []
            case .line(let text):
                if pending.isEmpty {
                    let trimmed = text.trimmingCharacters(in: .whitespaces)
                    if trimmed.isEmpty { continue }
                    if trimmed.hasPrefix(":") {
                        reader.addHistory(trimmed)
                        if !command(trimmed) { return }
                        continue
                    }
                    // `?name` (IPython, Julia): the same as `:help name`.
                    if trimmed.hasPrefix("?") {
                        reader.addHistory(trimmed)
                        help(String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces))
                        continue
                    }
                }
                pending.append(text)
                // A paste arrives faster than anyone types: gather it all, then run it as one input.
                if reader.hasPendingInput { continue }
                let source = pending.joined(separator: "\n")
                if case .incomplete = Interpreter.parseStatus(source) { continue }
                pending = []
                reader.addHistory(source)
                runCode(source)
            }
        }
    }

    /// Scripts read `args`; in the REPL it is empty (`{_: []}`) until `:run FILE -- ...` sets it.
    private func defineEmptyArgs() { interpreter.setGlobal("args", ScriptArguments.parse([])) }

    /// True for the empty `args` the session defines, which `:who` does not list.
    private func isEmptyArgs(_ v: Value) -> Bool {
        guard case .dict(let d) = v, d.count == 1, case .list(let rest)? = d["_"] else { return false }
        return rest.items.isEmpty
    }

    // MARK: code

    /// Runs one complete input: echoes its value unless it ends with `;`, updates `_`, reports
    /// errors and the wall time of slow inputs. Returns the value, or nil after an error.
    @discardableResult
    public func runCode(_ source: String, echo: Bool = true, showTiming: Bool = true) -> Value? {
        let first = line
        line += source.split(separator: "\n", omittingEmptySubsequences: false).count
        let silent = source.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(";")
        let start = monotonicSeconds()
        let result = evaluate { try interpreter.evaluate(source, name: "repl", firstLine: first) }
        let elapsed = monotonicSeconds() - start
        if let v = result {
            inputs.append(source)
            if case .nil = v {} else {
                producedValue.insert(inputs.count - 1)
                interpreter.setGlobal("_", v)
                if echo && !silent { write(ValueDisplay.show(v) + "\n") }
            }
        }
        if showTiming && elapsed > timingThreshold { write("[\(ValueDisplay.duration(elapsed))]\n") }
        return result
    }

    /// Runs `body` with Ctrl-C routed to the interpreter; prints the diagnostic on failure.
    func evaluate(_ body: () throws -> Value) -> Value? {
        do {
            return try InterruptController.shared.whileRunning(interpreter, body)
        } catch let e as DprmError {
            writeError(e.render() + "\n")
        } catch {
            writeError("error: \(error)\n")
        }
        failedInputs += 1
        return nil
    }

    // MARK: commands

    /// Runs a `:command` line. Returns false for `:quit`.
    @discardableResult
    public func command(_ text: String) -> Bool {
        let body = text.dropFirst().trimmingCharacters(in: .whitespaces)
        let name = String(body.prefix { !$0.isWhitespace })
        let arg = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        switch name {
        case "quit", "q", "exit": return false
        case "help", "h", "?": help(arg)
        case "who": who()
        case "load":
            guard !arg.isEmpty else { return usage(":load FILE") }
            runFile(arg, selection: nil, asCells: false)
        case "run":
            // :run FILE [CELLS] [-- SCRIPT ARGS]: the words after `--` become `args`, as in `dprm run`.
            var words = REPLSession.words(arg)
            var scriptWords: [String]? = nil
            if let dash = words.firstIndex(of: "--") {
                scriptWords = Array(words[(dash + 1)...])
                words = Array(words[..<dash])
            }
            guard let file = words.first, words.count <= 2 else { return usage(":run FILE [CELLS] [-- --name value ...]") }
            var selection: ClosedRange<Int>? = nil
            if words.count > 1 {
                guard let r = ScriptRunner.parseCellRange(words[1]) else {
                    failedInputs += 1
                    writeError("error: bad cell selection '\(words[1])' (use N or A..B)\n"); return true
                }
                selection = r
            }
            interpreter.setGlobal("args", ScriptArguments.parse(scriptWords ?? []))
            runFile(file, selection: selection, asCells: true)
        case "time":
            guard !arg.isEmpty else { return usage(":time EXPR") }
            let start = monotonicSeconds()
            let v = runCode(arg, echo: true, showTiming: false)
            if v != nil { write("time: \(ValueDisplay.duration(monotonicSeconds() - start))\n") }
        case "save":
            guard !arg.isEmpty else { return usage(":save FILE") }
            save(to: arg)
        case "reset":
            interpreter.reset()
            defineEmptyArgs()
            inputs = []
            producedValue = []
            write("session reset: variables and imports forgotten\n")
        default:
            var msg = "error: unknown command ':\(name)'"
            if let s = closestName(":" + name, in: REPLCommand.names) { msg += "\nnote: did you mean `\(s)`?" }
            failedInputs += 1
            writeError(msg + "\n(:help lists the commands)\n")
        }
        return true
    }

    private func usage(_ text: String) -> Bool {
        failedInputs += 1
        writeError("usage: \(text)\n")
        return true
    }

    func help(_ name: String) {
        if name.isEmpty {
            var s = "commands:\n"
            for c in REPLCommand.table { s += "  \(c.usage.padding(toLength: 20, withPad: " ", startingAt: 0)) \(c.summary)\n" }
            s += """
            keys: Tab completes names, keyword arguments in a call, members after `x.`, :commands and
                  paths in strings; `?name` is `:help name`;
                  Ctrl-C clears the line or stops running code; Ctrl-D on an empty line leaves.
            input: an expression prints its value (end it with `;` to silence it); `_` is the last
                   value; an unfinished input continues on the next line (`...>`).
            builtins: 
            """
            s += interpreter.registries.map { "\($0.module) (\($0.builtins.count))" }.joined(separator: ", ")
            s += "\n  help() lists them all; :help NAME documents one\n"
            write(s)
            return
        }
        let key = name.hasPrefix(":") ? name : name
        if let text = interpreter.help(key) { write(text + "\n"); return }
        let cmd = key.hasPrefix(":") ? key : ":" + key
        if let c = REPLCommand.table.first(where: { $0.name == cmd }) {
            write("\(c.usage)\n  \(c.summary)\n"); return
        }
        var msg = "error: no help for '\(name)'"
        if let s = closestName(name, in: interpreter.builtins.map(\.name) + interpreter.globals.map(\.name)) {
            msg += "\nnote: did you mean `\(s)`?"
        }
        writeError(msg + "\n")
    }

    func who() {
        let vars = interpreter.globals.filter { $0.name != "_" && !($0.name == "args" && isEmptyArgs($0.value)) }
        if vars.isEmpty { write("no variables\n"); return }
        let width = min(24, vars.map(\.name.count).max() ?? 0)
        let typeWidth = min(12, vars.map(\.value.typeName.count).max() ?? 0)
        for (n, v) in vars {
            write("  \(n.padding(toLength: max(width, n.count), withPad: " ", startingAt: 0))  \(v.typeName.padding(toLength: max(typeWidth, v.typeName.count), withPad: " ", startingAt: 0))  \(ValueDisplay.summary(v))\n")
        }
    }

    /// `:load` (the file as one program) and `:run` (its code cells, or the selected ones). What
    /// ran is kept for `:save` as the code itself, so the saved script does not need the file.
    func runFile(_ rawPath: String, selection: ClosedRange<Int>?, asCells: Bool) {
        let path = NSString(string: unquote(rawPath)).expandingTildeInPath
        let start = monotonicSeconds()
        var ran: [String] = []
        let before = interpreter.globals.filter { $0.name != "_" && $0.name != "args" }
        let result = evaluate {
            let text = try ScriptRunner.read(path)
            if asCells {
                var last = Value.nil
                for cell in try ScriptRunner.codeCells(text, path: path, selection: selection) {
                    last = try interpreter.evaluate(cell: cell, file: path)
                    ran.append("# --- \(path), cell \(cell.index) ---\n" + cell.source)
                }
                return last
            }
            let v = try interpreter.evaluate(text, name: path, path: path)
            ran.append("# --- :load \(path) ---\n" + text)
            return v
        }
        inputs.append(contentsOf: ran)
        let replaced = before.filter { old in interpreter.global(old.name).map { !REPLSession.sameBinding($0, old.value) } ?? false }
        if !replaced.isEmpty {
            write("note: \(path) replaced \(replaced.count == 1 ? "your variable" : "your variables") " + replaced.map(\.name).joined(separator: ", ") + "\n")
        }
        let elapsed = monotonicSeconds() - start
        if result != nil && elapsed > timingThreshold { write("[\(ValueDisplay.duration(elapsed))]\n") }
    }

    /// `:save FILE`: the successful inputs, separated by blank lines, written atomically.
    func save(to rawPath: String) {
        let path = NSString(string: unquote(rawPath)).expandingTildeInPath
        var text = "# dprm session saved \(ISO8601DateFormatter().string(from: Date()))\n\n"
        text += scriptFromInputs()
        do {
            try atomicWrite(text, to: path)
            write("saved \(inputs.count) input\(inputs.count == 1 ? "" : "s") to \(path)\n")
        } catch let e as DprmError { writeError("error: \(e.message)\n") } catch { writeError("error: \(error)\n") }
    }

    /// The inputs as a script. `_` exists only in the REPL, so when an input reads it, the
    /// earlier inputs that set it are written as `_ = (expression)` after a `let _ = nil`.
    public func scriptFromInputs() -> String {
        let usesUnderscore = inputs.map(REPLSession.mentionsUnderscore)
        var out: [String] = []
        if usesUnderscore.contains(true) { out.append("let _ = nil  # the REPL's last value") }
        for (k, input) in inputs.enumerated() {
            var src = input.hasSuffix("\n") ? String(input.dropLast()) : input
            if producedValue.contains(k), usesUnderscore[(k + 1)...].contains(true) {
                var expr = src.trimmingCharacters(in: .whitespacesAndNewlines)
                if expr.hasSuffix(";") { expr = String(expr.dropLast()) }
                let assigned = "_ = (\(expr))"
                if case .complete = Interpreter.parseStatus(assigned) { src = assigned }
            }
            out.append(src)
        }
        return out.joined(separator: "\n\n") + "\n"
    }

    /// Whether a global still holds the value it held: the same object for lists, dicts,
    /// functions and native values, an equal value for the rest.
    static func sameBinding(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.nil, .nil): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.string(let x), .string(let y)): return x == y
        case (.range(let a0, let a1), .range(let b0, let b1)): return a0 == b0 && a1 == b1
        case (.list(let x), .list(let y)): return x === y
        case (.dict(let x), .dict(let y)): return x === y
        case (.function(let f), .function(let g)): return f === g
        case (.native(let x), .native(let y)): return x === y
        default: return false
        }
    }

    /// Splits a command line into words at spaces; single or double quotes keep spaces in a word.
    static func words(_ text: String) -> [String] {
        var out: [String] = [], word = "", quote: Character? = nil, inWord = false
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c; inWord = true
            } else if c == " " || c == "\t" {
                if inWord { out.append(word); word = ""; inWord = false }
            } else {
                word.append(c); inWord = true
            }
        }
        if inWord { out.append(word) }
        return out
    }

    static func mentionsUnderscore(_ s: String) -> Bool {
        let b = Array(s.utf8)
        for (i, c) in b.enumerated() where c == UInt8(ascii: "_") {
            let before = i > 0 ? b[i - 1] : 32, after = i + 1 < b.count ? b[i + 1] : 32
            if !isIdentByte(before) && !isIdentByte(after) { return true }
        }
        return false
    }

    private func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == s.last, f == "\"" || f == "'" { return String(s.dropFirst().dropLast()) }
        return s
    }
}
