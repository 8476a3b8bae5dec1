import Foundation
import Lang

/// How the REPL, `dprm -e` and notebook reports show values.
public enum ValueDisplay {
    /// The echo of an expression's value: strings quoted, containers in source form with long ones
    /// cut to `maxItems` (`... (N more)`), Float32 numbers in their shortest round-trip digits (see
    /// `Value.display`), native objects (tensors, models) through their own description.
    public static func show(_ v: Value, maxItems: Int = 20) -> String {
        switch v {
        case .native(let n): return n.description
        default: return v.display(maxItems: maxItems)
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
