// The dprm command: the REPL, running scripts and notebooks, checking them, and builtin help.
//
// Exit codes (sysexits): 0 ok, 64 usage error (bad flags, missing file, no such cell), 65 syntax
// error, 70 runtime error, 130 interrupted by Ctrl-C.
//
// Everything that runs .dprm code runs on one thread with a 64 MB stack (`BigStack`): the
// interpreter recurses on the native stack. The main thread parses the command line and waits.
import ArgumentParser
import Foundation
import Distributed
import Support
import Lang
import REPL
import Stdlib

let version = "0.1.0"

enum Exit {
    static let ok: Int32 = 0, usage: Int32 = 64, syntax: Int32 = 65, runtime: Int32 = 70, interrupted: Int32 = 130
}

func printError(_ s: String) { FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8)) }
func printOut(_ s: String) { FileHandle.standardOutput.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8)) }

/// Prints a diagnostic to stderr and returns the exit code for it.
func report(_ error: Error) -> Int32 {
    guard let e = error as? DprmError else { printError("error: \(error)"); return Exit.runtime }
    if e.kind == .interrupt {
        var lines = e.render().components(separatedBy: "\n")
        let place = e.location.map { "\($0)" + ($0.cell.map { " (cell \($0))" } ?? "") + ": " } ?? ""
        lines[0] = "\(place)interrupted by Ctrl-C (stopped at the next safe point)"
        printError(lines.joined(separator: "\n"))
        return Exit.interrupted
    }
    printError(e.render())
    return e.exitCode
}

func makeInterpreter() -> Interpreter { Stdlib.makeInterpreter() }

/// The words after `--` on the command line: the script's `args`.
nonisolated(unsafe) var scriptArgs: [String] = []

/// Runs `body` on the big-stack thread with Ctrl-C routed to `interp`; maps errors to exit codes.
func runScript(_ interp: Interpreter, _ body: @escaping () throws -> Void) -> Int32 {
    InterruptController.shared.exitOnRepeat = true
    InterruptController.shared.install()
    return BigStack.run {
        do {
            try InterruptController.shared.whileRunning(interp) { try body() }
            return Exit.ok
        } catch { return report(error) }
    }
}

/// A file argument that must exist (usage error otherwise).
func readScript(_ path: String, command: String) throws -> String {
    do { return try ScriptRunner.read(path) } catch let e as DprmError {
        throw usageError(command, e.message)
    }
}

/// Prints `dprm CMD: message` and gives the usage exit code.
func usageError(_ command: String, _ message: String) -> ExitCode {
    printError("dprm \(command): \(message)\nsee 'dprm help \(command)'")
    return ExitCode(Exit.usage)
}

struct Dprm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dprm",
        abstract: "Process-reward-model research toolkit: the .dprm language, its REPL and notebook reports.",
        discussion: """
        Words after -- reach the script as the dict `args` (dprm run FILE -- --lr 0.1 data.json).
        With no arguments, dprm starts the REPL on a terminal, or runs the script read from stdin
        when stdin is not a terminal (echo 'print(1)' | dprm).
        `dprm help NAME` documents a builtin; docs/cli.md describes everything.
        Exit codes: 0 ok, 64 usage, 65 syntax error, 70 runtime error, 130 interrupted.
        """,
        version: "dprm \(version)",
        subcommands: [Run.self, Check.self, NotebookCommand.self, Repl.self])

    @Option(name: [.customShort("e"), .customLong("eval")], help: ArgumentHelp("Run CODE and print the value of its last expression.", valueName: "code"))
    var code: String?

    func run() throws {
        throw ExitCode(code.map(evaluateCode) ?? runDefault())
    }
}

/// `dprm -e CODE`: runs the code and prints the value of its last expression like the REPL.
func evaluateCode(_ code: String) -> Int32 {
    let interp = makeInterpreter()
    interp.setGlobal("args", ScriptArguments.parse(scriptArgs))
    return runScript(interp) {
        let v = try interp.evaluate(code, name: "-e")
        if case .nil = v {} else { printOut(ValueDisplay.show(v)) }
    }
}

/// `dprm` alone: the REPL on a terminal, else the script on stdin.
func runDefault() -> Int32 {
    if isatty(STDIN_FILENO) == 0 {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        let text = String(decoding: data, as: UTF8.self)
        let interp = makeInterpreter()
        interp.setGlobal("args", ScriptArguments.parse(scriptArgs))
        return runScript(interp) { try interp.evaluate(text, name: "<stdin>") }
    }
    return startREPL()
}

/// The interactive REPL (readline on a terminal, plain stdin otherwise).
func startREPL() -> Int32 {
    InterruptController.shared.install()
    return BigStack.run {
        let interp = makeInterpreter()
        let tty = isatty(STDIN_FILENO) != 0
        let reader: LineReader
        if tty {
            let completer = Completer(interpreter: interp)
            reader = ReadlineLineReader(historyPath: ReadlineLineReader.defaultHistoryPath(),
                                        complete: { completer.complete($0) })
            printOut("dprm \(version): :help for help, Tab completes, Ctrl-D quits")
        } else {
            reader = StdinLineReader()
        }
        let session = REPLSession(interpreter: interp, reader: reader)
        if !tty { session.prompt = ""; session.continuationPrompt = "" }
        session.run()
        // Piped input (`dprm repl < session.txt`) is a script: a failed input fails the run.
        return !tty && session.failedInputs > 0 ? Exit.runtime : Exit.ok
    }
}

extension Dprm {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a .dprm script (all of it, or some of its # %% cells).",
            discussion: "Arguments after -- reach the script as the dict `args`: --name value entries (numbers converted), bare --flag = true, the rest in args[\"_\"].")

        @Argument(help: "The script.") var file: String
        @Option(help: "Run only cell N.") var cell: Int?
        @Option(help: ArgumentHelp("Run cells A..B (inclusive; A.. and ..B work too).", valueName: "A..B")) var cells: String?

        func validate() throws {
            if cell != nil && cells != nil { throw ValidationError("use --cell or --cells, not both") }
            if let c = cells, ScriptRunner.parseCellRange(c) == nil { throw ValidationError("bad --cells '\(c)': use A..B, A.. or ..B") }
            if let c = cell, c < 0 { throw ValidationError("--cell must be 0 or more") }
        }

        func run() throws {
            let text = try readScript(file, command: "run")
            let selection: ClosedRange<Int>? = cell.map { $0...$0 } ?? cells.flatMap(ScriptRunner.parseCellRange)
            if let sel = selection {
                do { _ = try ScriptRunner.codeCells(text, path: file, selection: sel) } catch let e as DprmError {
                    throw usageError("run", e.message)
                }
            }
            let interp = makeInterpreter()
            interp.setGlobal("args", ScriptArguments.parse(scriptArgs))
            throw ExitCode(runScript(interp) { try ScriptRunner.run(interp, path: file, text: text, selection: selection) })
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse a script and resolve its names without running it; print the problems found.",
            discussion: "Exit code 0 when clean, 65 when there are syntax or name errors.")

        @Argument(help: "The script.") var file: String

        func run() throws {
            let text = try readScript(file, command: "check")
            let interp = makeInterpreter()
            interp.setGlobal("args", .dict(DictRef()))
            let cells = Notebook.cells(text)
            var errors = interp.check(text, name: file, path: file)
            // Name the cell each problem is in.
            for k in errors.indices {
                guard let line = errors[k].location?.line, errors[k].location?.cell == nil else { continue }
                if let c = cells.last(where: { $0.firstLine - 1 <= line }), c.index > 0 { errors[k].location?.cell = c.index }
            }
            for e in errors { printError(e.render()) }
            throw ExitCode(errors.isEmpty ? Exit.ok : Exit.syntax)
        }
    }

    struct NotebookCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "notebook",
            abstract: "Run every cell of a notebook script and write a report (self-contained HTML, or Markdown).",
            discussion: "Stops at the first failing cell; the report shows its error and marks the later cells as not run. The exit code is then that error's (65 or 70).")

        @Argument(help: "The notebook (.dprm with # %% cells).") var file: String
        @Option(name: .shortAndLong, help: ArgumentHelp("Report file: .html (default) or .md.", valueName: "report")) var output: String?

        func run() throws {
            _ = try readScript(file, command: "notebook")
            let out = output ?? (URL(fileURLWithPath: file).deletingPathExtension().path + ".html")
            let markdown = out.lowercased().hasSuffix(".md") || out.lowercased().hasSuffix(".markdown")
            let interp = makeInterpreter()
            interp.setGlobal("args", ScriptArguments.parse(scriptArgs))
            InterruptController.shared.exitOnRepeat = true
            InterruptController.shared.install()
            let outDir = URL(fileURLWithPath: out).deletingLastPathComponent().path
            // Make the report's folder before running, so a long notebook never ends unable to write.
            do { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) } catch {
                throw usageError("notebook", "cannot create the report's folder \(outDir): \(error.localizedDescription)")
            }
            let watch = [FileManager.default.currentDirectoryPath, URL(fileURLWithPath: file).deletingLastPathComponent().path, outDir]
            let code: Int32 = BigStack.run {
                do {
                    var r = try NotebookReport.run(path: file, interpreter: interp, watch: watch)
                    r.version = version
                    r.arguments = scriptArgs
                    try atomicWrite(markdown ? r.markdown(reportDirectory: outDir) : r.html(), to: out)
                    let figures = r.cells.reduce(0) { $0 + $1.figures.count }
                    printOut("wrote \(out): \(r.cells.count) cells, \(figures) figure\(figures == 1 ? "" : "s"), \(ValueDisplay.duration(r.totalSeconds))")
                    if let f = r.failure {
                        if let e = f.dprmError { return report(e) }
                        printError(f.error ?? "error"); return Exit.runtime
                    }
                    return Exit.ok
                } catch { return report(error) }
            }
            throw ExitCode(code)
        }
    }

    struct Repl: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the REPL (also when stdin is not a terminal: no prompts, values printed).")
        func run() throws { throw ExitCode(startREPL()) }
    }
}

/// `dprm help [name]`: general usage, a subcommand's usage, or a builtin's documentation.
func help(_ args: [String]) -> Int32 {
    guard let name = args.first else {
        printOut(Dprm.helpMessage())
        let interp = makeInterpreter()
        var s = "\nBUILTINS (dprm help NAME for one):\n"
        for r in interp.registries {
            s += "  \(r.module): " + r.builtins.map(\.name).joined(separator: ", ") + "\n"
        }
        printOut(s)
        return Exit.ok
    }
    let sub: [String: ParsableCommand.Type] = ["run": Dprm.Run.self, "check": Dprm.Check.self, "notebook": Dprm.NotebookCommand.self, "repl": Dprm.Repl.self]
    if let cmd = sub[name] { printOut(Dprm.helpMessage(for: cmd)); return Exit.ok }
    let interp = makeInterpreter()
    if let text = interp.help(name) { printOut(text); return Exit.ok }
    var msg = "dprm help: no builtin named '\(name)'"
    if let s = closestName(name, in: interp.builtins.map(\.name)) { msg += "\nnote: did you mean `\(s)`?" }
    printError(msg)
    return Exit.usage
}


signal(SIGPIPE, SIG_IGN)

// An `mpirun` job (docs/distributed.md): MPI starts here, only when a launcher started this
// process (`World.launchedByMPI`); without one this is a world of one rank and nothing changes.
// Rank 0 alone shows standard output (every rank runs the same script and would print the same
// lines N times; DPRM_RANK_OUTPUT=all keeps every rank's). Errors (stderr) show on every rank.
let world = World.shared
if world.isDistributed, world.rank != 0, ProcessInfo.processInfo.environment["DPRM_RANK_OUTPUT"] != "all" {
    let null = open("/dev/null", O_WRONLY)
    if null >= 0 { dup2(null, STDOUT_FILENO); close(null) }
}

/// Ends the process with `code`. In an MPI job a failed rank ends the whole job (MPI_Abort), so
/// the other ranks never wait for it; a successful one finalises MPI first.
func finish(_ code: Int32) -> Never {
    if world.isDistributed && code != Exit.ok {
        world.abort("stopping every rank: this rank failed with exit code \(code) (its error is above)", code: code)
    }
    world.finalize()
    exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "help" { finish(help(Array(arguments.dropFirst()))) }
// Words after the first `--` belong to the script (`args`), never to dprm's own parser.
if let dash = arguments.firstIndex(of: "--") {
    scriptArgs = Array(arguments[(dash + 1)...])
    arguments = Array(arguments[..<dash])
}
// Fast paths that skip the argument parser (its reflection costs milliseconds at start-up):
// `dprm`, `dprm -e CODE` and `dprm --eval CODE` (start-up of `dprm -e "1+1"` is benchmarked).
if arguments.isEmpty { finish(runDefault()) }
if arguments.count == 2, arguments[0] == "-e" || arguments[0] == "--eval" { finish(evaluateCode(arguments[1])) }
do {
    var command = try Dprm.parseAsRoot(arguments)
    try command.run()
    finish(Exit.ok)
} catch let code as ExitCode {
    finish(code.rawValue)
} catch {
    Dprm.exit(withError: error)
}
