import Foundation
import CReadline

// GNU readline calls back into C function pointers, which cannot capture context: the state they
// need lives in these globals. Only one `ReadlineLineReader` is active at a time (there is one
// terminal), and readline runs on the REPL thread only.
nonisolated(unsafe) private var completionSource: ((String) -> (start: Int, candidates: [String]))?
nonisolated(unsafe) private var completionMatches: [String] = []
nonisolated(unsafe) private var completionIndex = 0
nonisolated(unsafe) private var acceptedLine: String?
nonisolated(unsafe) private var lineDone = false

/// `rl_callback_handler_install` line handler: nil means Ctrl-D on an empty line (end of input).
private let lineHandler: @convention(c) (UnsafeMutablePointer<CChar>?) -> Void = { line in
    if let line { acceptedLine = String(cString: line); free(line) } else { acceptedLine = nil }
    lineDone = true
    // Removing the handler here keeps readline from printing the prompt again.
    rl_callback_handler_remove()
}

/// Hands readline one candidate per call (state 0 starts over); readline frees the strings.
private let matchGenerator: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
    if state == 0 { completionIndex = 0 }
    guard completionIndex < completionMatches.count else { return nil }
    defer { completionIndex += 1 }
    return strdup(completionMatches[completionIndex])
}

/// `rl_attempted_completion_function`: readline's word (`text`, from byte `start`) may differ from
/// the word our completer replaces (readline splits at its break characters, e.g. after `/`), so
/// candidates are shifted to begin where readline's word begins.
private let attemptedCompletion: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, end in
    rl_attempted_completion_over = 1
    rl_completion_append_character = 0
    guard let source = completionSource, let buffer = rl_line_buffer else { return nil }
    let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: Int(end)))
    let (ourStart, candidates) = source(String(decoding: bytes, as: UTF8.self))
    let rlStart = Int(start)
    var shifted: [String] = []
    for c in candidates {
        if rlStart <= ourStart {
            shifted.append(String(decoding: bytes[rlStart..<ourStart], as: UTF8.self) + c)
        } else {
            let drop = rlStart - ourStart
            let cb = Array(c.utf8)
            guard cb.count >= drop else { continue }
            shifted.append(String(decoding: cb[drop...], as: UTF8.self))
        }
    }
    completionMatches = shifted
    if shifted.isEmpty { return nil }
    return rl_completion_matches(text, matchGenerator)
}

/// Line editing with GNU readline on a terminal: history (kept in a file), tab completion, and
/// Ctrl-C that clears the line. Uses readline's callback interface so a Ctrl-C (delivered
/// through `InterruptController.promptFD`) can end the read without longjmp.
public final class ReadlineLineReader: LineReader {
    private let historyPath: String?
    private let historyLimit: Int32 = 2000

    /// `historyPath` nil disables the history file. `complete` maps the text before the cursor to
    /// (start offset, candidates) — see `Completer.complete`.
    public init(historyPath: String?, complete: @escaping (String) -> (start: Int, candidates: [String])) {
        self.historyPath = historyPath
        completionSource = complete
        InterruptController.shared.install()
        rl_readline_name = UnsafePointer(strdup("dprm"))
        // We handle SIGINT ourselves (InterruptController); readline must not install handlers.
        rl_catch_signals = 0
        rl_attempted_completion_function = attemptedCompletion
        // Word breaks: `.` for members, quotes and `/` for paths, `:` for commands.
        let breaks = strdup(" \t\n\"'`@$><=;|&{(,)}[]+-*/%!:.#")
        rl_basic_word_break_characters = UnsafePointer(breaks)
        rl_completer_word_break_characters = UnsafePointer(breaks)
        using_history()
        stifle_history(historyLimit)
        if let p = historyPath {
            if !FileManager.default.fileExists(atPath: p) { _ = FileManager.default.createFile(atPath: p, contents: nil) }
            read_history(p)
        }
    }

    /// A person at a terminal types the input.
    public var isInteractive: Bool { true }

    public func readLine(prompt: String) -> LineInput {
        acceptedLine = nil
        lineDone = false
        InterruptController.shared.drainPrompt()
        rl_callback_handler_install(prompt, lineHandler)
        defer { if !lineDone { rl_callback_handler_remove() } }
        while true {
            var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: InterruptController.shared.promptFD, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, 2, -1)
            if n < 0 {
                if errno == EINTR { continue }
                return .endOfInput
            }
            if fds[1].revents != 0 {
                InterruptController.shared.drainPrompt()
                rl_free_line_state()
                rl_callback_sigcleanup()
                rl_replace_line("", 0)
                rl_callback_handler_remove()
                lineDone = true
                fputs("^C\n", stdout); fflush(stdout)
                return .interrupted
            }
            if fds[0].revents != 0 {
                rl_callback_read_char()
                if lineDone {
                    guard let line = acceptedLine else { fputs("\n", stdout); fflush(stdout); return .endOfInput }
                    return .line(line)
                }
            }
        }
    }

    public var hasPendingInput: Bool {
        var fd = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        return poll(&fd, 1, 0) > 0 && fd.revents & Int16(POLLIN) != 0
    }

    public func addHistory(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        add_history(entry)
        if let p = historyPath { append_history(1, p) }
    }

    public func close() {
        if let p = historyPath { history_truncate_file(p, historyLimit) }
    }

    /// The history file: `$DPRM_HISTORY` if set (empty disables), else `~/.dprm_history`.
    public static func defaultHistoryPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let p = environment["DPRM_HISTORY"] { return p.isEmpty ? nil : p }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".dprm_history")
    }
}
