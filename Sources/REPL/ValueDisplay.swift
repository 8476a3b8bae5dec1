import Foundation
import Lang

/// How the REPL, `dprm -e` and notebook reports show values.
public enum ValueDisplay {
    /// The echo of an expression's value: strings quoted, containers in source form, native objects
    /// (tensors, models) through their own description (tensors print as summaries).
    public static func show(_ v: Value) -> String {
        switch v {
        case .native(let n): return n.description
        default: return v.repr
        }
    }

    /// One line for `:who`: native objects' summary, functions' signature, other values in
    /// source form, cut to `width` characters.
    public static func summary(_ v: Value, width: Int = 60) -> String {
        var s: String
        switch v {
        case .native(let n): s = n.summary
        default: s = v.repr
        }
        if let nl = s.firstIndex(of: "\n") { s = String(s[..<nl]) + " ..." }
        if s.count > width { s = String(s.prefix(width - 3)) + "..." }
        return s
    }

    /// `0.123 s`, `12.3 ms`, `2 min 3.4 s`.
    public static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return String(format: "%.1f ms", seconds * 1000) }
        if seconds < 60 { return String(format: "%.2f s", seconds) }
        let m = Int(seconds / 60)
        return String(format: "%d min %.1f s", m, seconds - Double(m * 60))
    }
}

/// Monotonic clock for timings.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Edit distance, for "did you mean" on REPL commands and help names.
func closest(_ name: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var prev = Array(0...b.count), cur = prev
        for i in 1...a.count {
            cur[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
    let a = Array(name.lowercased())
    var best: (String, Int)? = nil
    for c in candidates {
        let d = distance(a, Array(c.lowercased()))
        if d <= max(a.count >= 3 ? 2 : 1, a.count / 3), best == nil || d < best!.1 { best = (c, d) }
    }
    return best?.0
}
