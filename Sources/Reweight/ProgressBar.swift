import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on stderr: `[#####.....] 120/1000 loss 0.4321 3.2 it/s ETA 4m35s`.
///
/// Draws only when stderr is a terminal (so logs and pipes stay clean), at most every
/// `minInterval` seconds plus the final step; `finish()` ends the line.
public final class ProgressBar {
    public let total: Int
    public let label: String
    public let enabled: Bool
    let start = Date()
    var lastDraw = Date.distantPast
    var drewSomething = false
    let minInterval: TimeInterval

    /// `enabled` defaults to whether stderr is a terminal.
    public init(total: Int, label: String = "", enabled: Bool? = nil, minInterval: TimeInterval = 0.1) {
        self.total = total
        self.label = label
        self.enabled = enabled ?? (isatty(STDERR_FILENO) == 1)
        self.minInterval = minInterval
    }

    /// "4m35s", "1h02m", "12s".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }

    /// The bar's text after `done` steps with the latest `loss`.
    public func line(done: Int, loss: Float?, elapsed: Double) -> String {
        let width = 24
        let filled = total > 0 ? min(width, width * done / total) : width
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : .infinity
        var s = label.isEmpty ? "" : label + " "
        s += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        s += " \(done)/\(total)"
        if let loss { s += String(format: " loss %.4f", loss) }
        s += String(format: " %.2f it/s", rate) + " ETA " + ProgressBar.duration(eta)
        return s
    }

    /// Redraws after `done` steps (rate-limited).
    public func update(done: Int, loss: Float?) {
        guard enabled else { return }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) >= minInterval else { return }
        lastDraw = now
        drewSomething = true
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line(done: done, loss: loss, elapsed: now.timeIntervalSince(start))).utf8))
    }

    /// Ends the bar's line.
    public func finish() {
        guard enabled, drewSomething else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
