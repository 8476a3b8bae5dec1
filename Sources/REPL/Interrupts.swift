import Foundation
import Lang

/// Write end of the self-pipe the SIGINT handler writes to (set once by `install`).
nonisolated(unsafe) private var sigintPipeWrite: Int32 = -1

/// The SIGINT handler: one `write` (async-signal-safe); everything else happens on the watcher
/// thread, in ordinary code.
private let sigintHandler: @convention(c) (Int32) -> Void = { _ in
    var byte: UInt8 = 1
    let saved = errno
    _ = write(sigintPipeWrite, &byte, 1)
    errno = saved
}

/// Routes Ctrl-C (SIGINT). While code runs under `whileRunning`, a Ctrl-C asks that interpreter to
/// stop at its next safe point (`Interpreter.requestInterrupt()`); at the prompt it makes
/// `promptFD` readable, so the line reader clears the line. The process never dies of SIGINT
/// unless `exitOnRepeat` is set (scripts): then a second Ctrl-C before the first was honoured
/// exits with status 130.
public final class InterruptController: @unchecked Sendable {
    public static let shared = InterruptController()

    private let lock = NSLock()
    private var installed = false
    private var running: Interpreter?
    private var pendingWhileRunning = false
    private var promptPipe: [Int32] = [-1, -1]
    /// Scripts: a second Ctrl-C while the first is still pending exits the process.
    public var exitOnRepeat = false

    private init() {}

    /// Becomes readable when Ctrl-C is pressed while no code runs (drain it with `drainPrompt`).
    public var promptFD: Int32 { promptPipe[0] }

    /// Installs the SIGINT handler and starts the watcher thread (idempotent).
    public func install() {
        lock.lock(); defer { lock.unlock() }
        if installed { return }
        installed = true
        var sig: [Int32] = [-1, -1]
        guard pipe(&sig) == 0, pipe(&promptPipe) == 0 else { return }
        for fd in [sig[1], promptPipe[0], promptPipe[1]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        for fd in sig + promptPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        sigintPipeWrite = sig[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = sigintHandler
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(SIGINT, &action, nil)
        let readEnd = sig[0]
        let watcher = Thread { [unowned self] in
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                self.deliver()
            }
        }
        watcher.name = "dprm-sigint"
        watcher.start()
    }

    private func deliver() {
        lock.lock()
        let target = running
        let repeated = pendingWhileRunning
        if target != nil { pendingWhileRunning = true }
        lock.unlock()
        if let t = target {
            if repeated && exitOnRepeat {
                FileHandle.standardError.write("\ndprm: interrupted again; exiting\n".data(using: .utf8)!)
                exit(130)
            }
            t.requestInterrupt()
        } else {
            var byte: UInt8 = 1
            _ = write(promptPipe[1], &byte, 1)
        }
    }

    /// Runs `body` with Ctrl-C routed to `interpreter` (a stale request is dropped first).
    public func whileRunning<T>(_ interpreter: Interpreter, _ body: () throws -> T) rethrows -> T {
        interpreter.clearInterrupt()
        lock.lock(); running = interpreter; pendingWhileRunning = false; lock.unlock()
        defer { lock.lock(); running = nil; pendingWhileRunning = false; lock.unlock() }
        return try body()
    }

    /// Reads away Ctrl-C presses recorded at the prompt; true if there were any.
    @discardableResult
    public func drainPrompt() -> Bool {
        guard promptPipe[0] >= 0 else { return false }
        var buf = [UInt8](repeating: 0, count: 64)
        var any = false
        while read(promptPipe[0], &buf, buf.count) > 0 { any = true }
        return any
    }
}
