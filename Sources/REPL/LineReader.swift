import Foundation

/// What one call to `LineReader.readLine` produced.
public enum LineInput: Equatable {
    /// A line without its trailing newline. A pasted block may hold several lines joined by `\n`.
    case line(String)
    /// Ctrl-C at the prompt: the caller drops the pending input and prompts again.
    case interrupted
    /// Ctrl-D on an empty line, or the end of the input. On an interactive reader at a
    /// continuation prompt it cancels the unfinished input instead of ending the session.
    case endOfInput
}

/// Where the REPL gets its input: GNU readline on a terminal, plain stdin otherwise, or a fixed
/// list of lines in tests. The REPL core only sees this protocol.
public protocol LineReader: AnyObject {
    /// Shows `prompt` (if the reader shows prompts) and reads one line.
    func readLine(prompt: String) -> LineInput
    /// Records an entered input (possibly several lines) in the history.
    func addHistory(_ entry: String)
    /// True when more input is already waiting (a paste in progress): the REPL then reads the
    /// following lines before it runs anything, so a pasted block runs as one input.
    var hasPendingInput: Bool { get }
    /// Called once when the session ends (readline saves its history here).
    func close()
    /// True when a person types the input (a terminal): Ctrl-D at a continuation prompt then
    /// cancels the unfinished input, as Ctrl-C does, rather than ending the session.
    var isInteractive: Bool { get }
}

extension LineReader {
    public func addHistory(_ entry: String) {}
    public var hasPendingInput: Bool { false }
    public func close() {}
    public var isInteractive: Bool { false }
}

/// Reads lines from standard input without prompts or line editing: used when stdin is not a
/// terminal, so `dprm repl < session.txt` prints results and nothing else.
public final class StdinLineReader: LineReader {
    public init() {}

    public func readLine(prompt: String) -> LineInput {
        guard let line = Swift.readLine(strippingNewline: true) else { return .endOfInput }
        return .line(line)
    }
}

/// Returns the given inputs one by one, then end of input. Tests drive REPL sessions with it.
/// The prompts asked for are recorded.
public final class ScriptedLineReader: LineReader {
    private var inputs: [LineInput]
    /// Every prompt the REPL showed, in order (to check continuation prompts).
    public private(set) var prompts: [String] = []
    /// Every history entry the REPL added.
    public private(set) var history: [String] = []
    public let isInteractive: Bool

    /// Lines to type; a `nil` entry stands for Ctrl-C at the prompt.
    public convenience init(_ lines: [String?], interactive: Bool = false) {
        self.init(inputs: lines.map { $0.map(LineInput.line) ?? .interrupted }, interactive: interactive)
    }

    /// Inputs as the reader returns them (`.endOfInput` in the middle stands for Ctrl-D).
    public init(inputs: [LineInput], interactive: Bool) {
        self.inputs = inputs
        self.isInteractive = interactive
    }

    public func readLine(prompt: String) -> LineInput {
        prompts.append(prompt)
        return inputs.isEmpty ? .endOfInput : inputs.removeFirst()
    }

    public func addHistory(_ entry: String) { history.append(entry) }
}
