import Foundation
import Distributed
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on stderr that names its run and its losses:
/// `reweight instance_table [#####.....] 120/1000 lower loss 0.4321 meta loss 0.5123 3.2 it/s ETA 4m35s`.
///
/// Draws only when stderr is a terminal (so logs and pipes stay clean), at most every
/// `minInterval` seconds plus the final step; `finish()` redraws the line one last time with the
/// total time (`done in 5m12s`, or `stopped at 120/1000 after 38s`) and ends it.
public final class ProgressBar {
    public let total: Int
    public let label: String
    public let enabled: Bool
    let start = Date()
    var lastDraw = Date.distantPast
    var drewSomething = false
    let minInterval: TimeInterval
    /// The latest step and value of each loss, for the final line.
    var lastDone = 0
    var lastLosses: [(name: String, value: Float)] = []

    /// `enabled` defaults to whether stderr is a terminal. Under mpirun only rank 0 draws.
    public init(total: Int, label: String = "", enabled: Bool? = nil, minInterval: TimeInterval = 0.1) {
        self.total = total
        self.label = label
        self.enabled = World.shared.isRoot && (enabled ?? (isatty(STDERR_FILENO) == 1))
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

    /// The bar's text after `done` steps with the latest value of each named loss.
    public func line(done: Int, losses: [(name: String, value: Float)], elapsed: Double) -> String {
        let width = 24
        let filled = total > 0 ? min(width, width * done / total) : width
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : .infinity
        var s = label.isEmpty ? "" : label + " "
        s += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        s += " \(done)/\(total)"
        for loss in losses { s += " \(loss.name) " + String(format: "%.4f", loss.value) }
        s += String(format: " %.2f it/s", rate) + " ETA " + ProgressBar.duration(eta)
        return s
    }

    /// Redraws after `done` steps (rate-limited). A loss that is nil this step keeps its last value
    /// (the meta loss is computed only every few lower steps).
    public func update(done: Int, losses: [(name: String, value: Float?)]) {
        lastDone = done
        for loss in losses {
            guard let v = loss.value else { continue }
            if let k = lastLosses.firstIndex(where: { $0.name == loss.name }) { lastLosses[k].value = v } else { lastLosses.append((loss.name, v)) }
        }
        guard enabled else { return }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) >= minInterval else { return }
        lastDraw = now
        drewSomething = true
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line(done: done, losses: lastLosses, elapsed: now.timeIntervalSince(start))).utf8))
    }

    /// The last line: the bar at the last step, then the total time.
    public func finalLine(elapsed: Double) -> String {
        let bar = line(done: lastDone, losses: lastLosses, elapsed: elapsed)
        let cut = bar.range(of: " ETA ").map { String(bar[..<$0.lowerBound]) } ?? bar
        return cut + (lastDone >= total ? " done in " : " stopped at \(lastDone)/\(total) after ") + ProgressBar.duration(elapsed)
    }

    /// Ends the bar: redraws it with the total time and ends its line.
    public func finish() {
        guard enabled, drewSomething else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + finalLine(elapsed: Date().timeIntervalSince(start)) + "\n").utf8))
    }
}
