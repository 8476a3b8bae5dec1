import Foundation
import Lang

/// Running .dprm files the way `dprm run`, `:run` and `:load` do: a file with `# %%` markers runs
/// cell by cell (diagnostics name the cell); a file without markers runs as one program.
public enum ScriptRunner {
    /// Parses a cell selection: `3`, `2..4` (inclusive), `2..` (to the end), `..4`.
    public static func parseCellRange(_ text: String) -> ClosedRange<Int>? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let n = Int(t), n >= 0 { return n...n }
        guard let r = t.range(of: "..") else { return nil }
        let lo = t[..<r.lowerBound], hi = t[r.upperBound...]
        guard let a = lo.isEmpty ? 0 : Int(lo), let b = hi.isEmpty ? Int.max : Int(hi), a >= 0, a <= b else { return nil }
        return a...b
    }

    /// Reads a script file; errors name the path.
    public static func read(_ path: String) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
            throw DprmError.runtime("no such file: \(path)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DprmError.runtime("cannot read '\(path)' (not UTF-8 text?)")
        }
        return text
    }

    /// The code cells of `text` to run for `selection` (nil: all). Throws a runtime error naming
    /// the existing cells when the selection matches none.
    public static func codeCells(_ text: String, path: String, selection: ClosedRange<Int>?) throws -> [NotebookCell] {
        let all = Notebook.cells(text)
        guard let sel = selection else { return all.filter { $0.kind == .code } }
        let chosen = Notebook.select(all, sel)
        if chosen.isEmpty {
            let have = all.map { String($0.index) }.joined(separator: ", ")
            let what = sel.lowerBound == sel.upperBound ? "cell \(sel.lowerBound)" : "cells \(sel.lowerBound)..\(sel.upperBound == Int.max ? "" : String(sel.upperBound))"
            throw DprmError.runtime("\(path) has no \(what) (cells: \(have.isEmpty ? "none" : have))")
        }
        return chosen.filter { $0.kind == .code }
    }

    /// Whether the text has `# %%` cell markers.
    public static func hasCells(_ text: String) -> Bool {
        Notebook.cells(text).contains { $0.index > 0 }
    }

    /// Runs a file (all of it, or the selected cells) and returns the value of the last statement.
    @discardableResult
    public static func run(_ interpreter: Interpreter, path: String, text: String, selection: ClosedRange<Int>? = nil) throws -> Value {
        if selection == nil && !hasCells(text) {
            return try interpreter.evaluate(text, name: path, path: path)
        }
        let cells = try codeCells(text, path: path, selection: selection)
        try checkSyntax(interpreter, cells, path: path)
        var last = Value.nil
        for cell in cells {
            try interpreter.checkInterrupt() // a Ctrl-C that a builtin stopped for ends the script here
            last = try interpreter.evaluate(cell: cell, file: path)
        }
        return last
    }

    /// Throws the first syntax error of `cells` (noting where the others are) before any cell runs.
    public static func checkSyntax(_ interpreter: Interpreter, _ cells: [NotebookCell], path: String) throws {
        let errors = interpreter.syntaxErrors(in: cells, file: path)
        guard var first = errors.first else { return }
        for e in errors.dropFirst() { first.notes.append("also: " + (e.location.map { "\($0)" + ($0.cell.map { " (cell \($0))" } ?? "") + ": " } ?? "") + e.message) }
        first.notes.append("no cell was run")
        throw first
    }
}

/// Script arguments after `--` (`dprm run train.dprm -- --lr 0.01 --verbose data.json`) as the
/// global `args`: `--name value` becomes an entry (numbers and `true`/`false` converted),
/// `--name=value` too, a `--flag` followed by another option or by nothing is `true`, and the
/// other words are collected in order under `args["_"]`. A lone `--` ends option parsing.
public enum ScriptArguments {
    public static func parse(_ words: [String]) -> Value {
        let dict = DictRef()
        var positional: [Value] = []
        var i = 0
        var optionsDone = false
        while i < words.count {
            let w = words[i]
            if !optionsDone && w == "--" { optionsDone = true; i += 1; continue }
            if !optionsDone && w.hasPrefix("--") && w.count > 2 {
                let body = String(w.dropFirst(2))
                if let eq = body.firstIndex(of: "=") {
                    dict[String(body[..<eq])] = convert(String(body[body.index(after: eq)...]))
                } else if i + 1 < words.count && !isOption(words[i + 1]) {
                    dict[body] = convert(words[i + 1]); i += 1
                } else {
                    dict[body] = .bool(true)
                }
            } else {
                positional.append(convert(w))
            }
            i += 1
        }
        dict["_"] = .list(positional)
        return .dict(dict)
    }

    static func isOption(_ w: String) -> Bool { w.hasPrefix("--") }

    /// `"3"` -> 3, `"1e-3"` -> 0.001, `"true"` -> true; anything else stays a string.
    static func convert(_ s: String) -> Value {
        if s == "true" { return .bool(true) }
        if s == "false" { return .bool(false) }
        let t = s.trimmingCharacters(in: .whitespaces)
        if t == s, let f = t.first, "0123456789+-.".contains(f), let x = Double(t), x.isFinite { return .number(x) }
        return .string(s)
    }
}
