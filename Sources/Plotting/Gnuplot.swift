import Foundation

/// A gnuplot executable and the way dprm talks to it: one process per figure, the commands
/// through a stdin pipe, stdout captured (text plots), stderr read and turned into `PlotError`.
/// Every call waits for its process and closes its pipes before returning, so plotting in a loop
/// leaves no process or file descriptor behind.
public struct Gnuplot: Sendable, Equatable {
    /// Absolute path of the executable.
    public let executable: String
    /// Seconds after which a gnuplot process is killed (a raw `pause` could block forever).
    public var timeout: Double

    public init(executable: String, timeout: Double = 60) {
        self.executable = executable
        self.timeout = timeout
    }

    /// Finds gnuplot: `DPRM_GNUPLOT` if set (an empty or non-executable value means "no gnuplot",
    /// which is how tests and users simulate its absence), else `gnuplot` on `PATH`.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> Gnuplot? {
        if let explicit = environment["DPRM_GNUPLOT"] {
            return FileManager.default.isExecutableFile(atPath: explicit) ? Gnuplot(executable: explicit) : nil
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/gnuplot"
            if FileManager.default.isExecutableFile(atPath: candidate) { return Gnuplot(executable: candidate) }
        }
        return nil
    }

    /// What a finished script produced.
    public struct Output: Equatable, Sendable {
        /// gnuplot's stdout as bytes (a `dumb` plot, or an image when no output file was set).
        public var data: Data
        /// gnuplot's stdout as text.
        public var stdout: String { String(decoding: data, as: UTF8.self) }
        /// gnuplot's warnings (`line N: warning: ...`), which do not fail the figure.
        public var warnings: [String]
    }

    // MARK: terminals

    private static let terminalCache = TerminalCache()

    /// Terminal names this gnuplot supports, from `gnuplot -e "set terminal"`; probed once per
    /// executable and cached for the life of the process.
    public func terminals() throws -> Set<String> {
        if let cached = Gnuplot.terminalCache.get(executable) { return cached }
        let result = try launch(arguments: ["-e", "set terminal"], input: nil)
        let names = Gnuplot.parseTerminals(String(decoding: result.stdout, as: UTF8.self) + "\n" + result.stderr)
        guard !names.isEmpty else {
            throw PlotError.gnuplotFailed(status: result.status, stderr: "could not list terminals: \(result.stderr)")
        }
        Gnuplot.terminalCache.set(executable, names)
        return names
    }

    /// Parses the listing of `set terminal`: lines `       name  description` after the header.
    static func parseTerminals(_ listing: String) -> Set<String> {
        var names = Set<String>()
        for rawLine in listing.replacingOccurrences(of: "Press return for more:", with: "\n").split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard rawLine.first == " ", let name = line.split(separator: " ").first else { continue }
            if name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { names.insert(String(name)) }
        }
        return names
    }

    // MARK: running scripts

    /// Runs `script` (as made by `GnuplotScript.make`) in a fresh gnuplot and waits for it.
    /// Throws `PlotError.gnuplot` with gnuplot's message, the offending command and its line
    /// number in `script` for the first error gnuplot reports.
    @discardableResult
    public func run(_ script: String) throws -> Output {
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let result = try launch(arguments: [], input: Gnuplot.instrument(lines))
        let report = Gnuplot.parseDiagnostics(result.stderr, lines: lines)
        if let error = report.error { throw error }
        guard result.status == 0 else { throw PlotError.gnuplotFailed(status: result.status, stderr: result.stderr) }
        return Output(data: result.stdout, warnings: report.warnings)
    }

    /// The marker printed (on stderr) after command line `n` ran, so errors can be matched to lines.
    static func marker(_ n: Int) -> String { "@@dprm-line \(n)" }

    /// `lines` with a `print` of a marker after every command (not inside a datablock, not after
    /// a continued line), so stderr can be split per command.
    static func instrument(_ lines: [String]) -> String {
        var out = ""
        var blockEnd: String?
        for (index, line) in lines.enumerated() {
            out += line + "\n"
            if let end = blockEnd {
                if line.trimmingCharacters(in: .whitespaces) == end { blockEnd = nil }
                continue
            }
            if let range = line.range(of: "<<"), line.trimmingCharacters(in: .whitespaces).hasPrefix("$") {
                blockEnd = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                continue
            }
            if line.hasSuffix("\\") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            out += "print \"\(marker(index + 1))\"\n"
        }
        return out
    }

    /// Splits gnuplot's stderr at the markers: the text before marker `n` belongs to line `n`.
    /// A `line N: message` in that text is an error, unless the message starts with `warning:`.
    static func parseDiagnostics(_ stderr: String, lines: [String]) -> (error: PlotError?, warnings: [String]) {
        var warnings: [String] = []
        var pending: [String] = []
        var firstError: PlotError?
        func flush(line: Int?) {
            for text in pending {
                guard let range = text.range(of: #"line \d+: "#, options: .regularExpression) else { continue }
                let message = String(text[range.upperBound...]).trimmingCharacters(in: .whitespaces)
                if message.hasPrefix("warning:") {
                    warnings.append(String(message.dropFirst("warning:".count)).trimmingCharacters(in: .whitespaces))
                } else if firstError == nil {
                    let number = line ?? 0
                    let command = (1...max(lines.count, 1)).contains(number) ? lines[number - 1] : "(unknown command)"
                    firstError = .gnuplot(message: message, command: command, line: number)
                }
            }
            pending.removeAll()
        }
        let prefix = marker(0).dropLast()
        for text in stderr.split(separator: "\n") {
            if text.hasPrefix(prefix), let number = Int(text.dropFirst(prefix.count)) {
                flush(line: number)
            } else {
                pending.append(String(text))
            }
        }
        // Text after the last marker: the command after it failed, or gnuplot itself did.
        flush(line: nil)
        return (firstError, warnings)
    }

    struct Launch {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    /// Starts gnuplot, feeds `input` to its stdin (nil: /dev/null), reads stdout and stderr on
    /// their own threads (so a chatty gnuplot never blocks on a full pipe), waits for exit, and
    /// closes every pipe end before returning.
    func launch(arguments: [String], input: String?) throws -> Launch {
        Gnuplot.ignoreSIGPIPE
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GNUTERM"] = "dumb"  // never open a window if a script forgets its terminal
        process.environment = environment
        let stdinPipe = input == nil ? nil : Pipe()
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardInput = stdinPipe ?? FileHandle.nullDevice
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        defer {
            try? stdinPipe?.fileHandleForWriting.close()
            try? stdinPipe?.fileHandleForReading.close()
            try? stdoutPipe.fileHandleForReading.close()
            try? stdoutPipe.fileHandleForWriting.close()
            try? stderrPipe.fileHandleForReading.close()
            try? stderrPipe.fileHandleForWriting.close()
        }
        do {
            try process.run()
        } catch {
            throw PlotError.io(path: executable, message: "cannot start gnuplot: \(error.localizedDescription). \(PlotError.installHint)")
        }

        let collected = Collected()
        let readers = DispatchGroup()
        for (handle, keyPath) in [(stdoutPipe.fileHandleForReading, \Collected.stdout), (stderrPipe.fileHandleForReading, \Collected.stderr)] {
            readers.enter()
            DispatchQueue.global().async {
                let data = handle.readDataToEndOfFile()
                collected.set(keyPath, data)
                readers.leave()
            }
        }
        if let writer = stdinPipe?.fileHandleForWriting, let input = input {
            // Written on its own thread too, so a gnuplot stuck mid-script (a raw `pause`) is
            // caught by the timeout instead of blocking this write on a full pipe. EPIPE (gnuplot
            // gone early) is not an error here: its exit status and stderr say why.
            readers.enter()
            DispatchQueue.global().async {
                try? writer.write(contentsOf: Data(input.utf8))
                try? writer.close()
                readers.leave()
            }
        }
        var timedOut = false
        if readers.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            readers.wait()
        }
        process.waitUntilExit()
        let stdout = collected.get(\.stdout)
        let stderr = String(decoding: collected.get(\.stderr), as: UTF8.self)
        if timedOut {
            throw PlotError.gnuplotFailed(status: -1, stderr: "killed after \(timeout) s without finishing. \(stderr)")
        }
        return Launch(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Writing to a pipe whose reader died raises SIGPIPE, which would kill the whole REPL;
    /// ignore it (once, and only if nobody installed a handler) so the write fails with EPIPE.
    private static let ignoreSIGPIPE: Void = {
        var current = sigaction()
        if sigaction(SIGPIPE, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil {
            signal(SIGPIPE, SIG_IGN)
        }
    }()
}

/// Output bytes gathered by the reader threads.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    var stdout = Data()
    var stderr = Data()

    func set(_ keyPath: ReferenceWritableKeyPath<Collected, Data>, _ data: Data) {
        lock.lock()
        self[keyPath: keyPath] = data
        lock.unlock()
    }

    func get(_ keyPath: KeyPath<Collected, Data>) -> Data {
        lock.lock()
        defer { lock.unlock() }
        return self[keyPath: keyPath]
    }
}

/// Terminal lists by executable path.
private final class TerminalCache: @unchecked Sendable {
    private let lock = NSLock()
    private var byExecutable: [String: Set<String>] = [:]

    func get(_ executable: String) -> Set<String>? {
        lock.lock()
        defer { lock.unlock() }
        return byExecutable[executable]
    }

    func set(_ executable: String, _ names: Set<String>) {
        lock.lock()
        byExecutable[executable] = names
        lock.unlock()
    }
}
