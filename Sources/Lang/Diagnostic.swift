import Foundation

/// A place in .dprm source, as shown to users.
public struct SourceLocation: Equatable, CustomStringConvertible {
    /// File path, `repl:5`, or `-e`.
    public var file: String
    /// 1-based line (in the whole file, also for notebook cells).
    public var line: Int
    /// 1-based column (in characters).
    public var column: Int
    /// Number of characters to underline (at least 1).
    public var length: Int
    /// Notebook cell index, when the code came from a cell.
    public var cell: Int?
    /// The text of the line, for the caret display.
    public var sourceLine: String?

    public init(file: String, line: Int, column: Int, length: Int = 1, cell: Int? = nil, sourceLine: String? = nil) {
        self.file = file; self.line = line; self.column = column; self.length = length
        self.cell = cell; self.sourceLine = sourceLine
    }

    /// `file.dprm:12:7`
    public var description: String { "\(file):\(line):\(column)" }
}

/// One .dprm call on the stack when a runtime error happened.
public struct TraceFrame: Equatable {
    /// The function that was executing (`<main>` for top-level code).
    public var function: String
    /// Where in that function execution was (the call site, or the error itself for the innermost frame).
    public var location: SourceLocation
}

/// An error raised by parsing or running .dprm code. Errors without a location (thrown by builtins
/// and native objects) get the location of the expression that caused them on the way out.
public struct DprmError: Error, CustomStringConvertible {
    public enum Kind: String {
        /// The source does not parse (exit code 65).
        case syntax
        /// An unknown variable (exit code 70).
        case name
        /// An operation applied to values of the wrong type, or a call with the wrong arguments (70).
        case type
        /// Any other failure while running: index out of range, file not found, user `error(...)` (70).
        case runtime
        /// Stopped by `Interpreter.requestInterrupt()` (Ctrl-C) (70).
        case interrupt
    }
    public var kind: Kind
    public var message: String
    public var location: SourceLocation?
    /// Outermost call first, innermost (where the error happened) last.
    public var trace: [TraceFrame] = []
    /// Extra lines printed after the message (e.g. "did you mean").
    public var notes: [String] = []

    public init(_ kind: Kind, _ message: String, location: SourceLocation? = nil, notes: [String] = []) {
        self.kind = kind; self.message = message; self.location = location; self.notes = notes
    }
    public static func type(_ m: String) -> DprmError { DprmError(.type, m) }
    public static func runtime(_ m: String) -> DprmError { DprmError(.runtime, m) }
    public static func name(_ m: String) -> DprmError { DprmError(.name, m) }

    /// Process exit code the command line uses: 65 for syntax errors, 70 otherwise (64 is usage, CLI only).
    public var exitCode: Int32 { kind == .syntax ? 65 : 70 }

    /// `file.dprm:12:7: error: message` (or `... error (cell 3): message`).
    public var headline: String {
        var prefix = ""
        if let l = location { prefix = "\(l): " }
        let cell = location?.cell.map { " (cell \($0))" } ?? ""
        let what = kind == .interrupt ? "interrupted" : "error"
        return "\(prefix)\(what)\(cell): \(message)"
    }

    /// The full report: headline, source line with a caret under the span, notes, and the .dprm stack.
    public func render() -> String {
        var out = [headline]
        if let l = location, let src = l.sourceLine {
            let gutter = String(l.line)
            out.append(" \(gutter) | \(src)")
            let pad = String(repeating: " ", count: gutter.count)
            // Keep tabs so the caret lines up with the source line.
            let lead = String(src.prefix(max(0, l.column - 1)).map { $0 == "\t" ? "\t" : " " })
            out.append(" \(pad) | \(lead)^\(String(repeating: "~", count: max(0, l.length - 1)))")
        }
        for n in notes { out.append("note: \(n)") }
        if trace.count > 1 {
            out.append("stack (most recent call last):")
            // Deep recursion: show both ends of the stack.
            let shown: [TraceFrame?] = trace.count > 12 ? trace.prefix(5).map { $0 } + [nil] + trace.suffix(5).map { $0 } : trace
            for f in shown {
                if let f { out.append("  \(f.location) in \(f.function)") }
                else { out.append("  ... \(trace.count - 10) more frames ...") }
            }
        }
        return out.joined(separator: "\n")
    }

    public var description: String { render() }
}

/// The outcome of `Interpreter.parseStatus`: the REPL asks for another line when `.incomplete`.
public enum ParseStatus {
    case complete
    /// Input ended inside an open brace, bracket, parenthesis or string, or after a binary operator.
    case incomplete
    case error(DprmError)
}
