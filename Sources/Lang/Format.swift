import Foundation
import Support

/// Numbers print like integers when they are whole (`3`, not `3.0`), else in shortest round-trip form.
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return JSONValue.format(x)  // finite numbers print as in JSON: one rule for both
}

extension Value: CustomStringConvertible {
    /// What `print` shows: strings without quotes, containers with their items in `repr` form.
    public var description: String {
        switch self {
        case .string(let s): return s
        case .native(let n): return n.description
        default: return repr
        }
    }

    /// Source-like form: strings quoted, natives as their one-line summary.
    public var repr: String {
        var seen = Set<ObjectIdentifier>()
        return repr(&seen, .full)
    }

    /// How the REPL echoes a value: `repr`, except that a number that is exactly a Float32 (a
    /// tensor's item, a loss, a weight) shows the shortest digits that round-trip that Float32
    /// (`0.95228606`, not `0.9522860646247864`), and a list or dict longer than `maxItems` shows its
    /// first items, `... (N more)` and its last two (`print` shows everything).
    public func display(maxItems: Int = 20) -> String {
        var seen = Set<ObjectIdentifier>()
        return repr(&seen, ReprStyle(float32: true, maxItems: maxItems))
    }

    /// Deepest nesting shown by `repr`/`print`; deeper lists and dicts show as `[...]` / `{...}`.
    static let maxReprDepth = 1000

    struct ReprStyle {
        var float32: Bool
        var maxItems: Int
        static let full = ReprStyle(float32: false, maxItems: Int.max)
    }

    func repr(_ seen: inout Set<ObjectIdentifier>, _ style: ReprStyle) -> String {
        /// The items to show: all of them, or the first ones, a count of the rest, the last two.
        /// Only shown items are formatted, so a million-item list echoes as fast as a short one.
        func shown(_ n: Int, _ item: (Int) -> String) -> String {
            guard n > style.maxItems else { return (0..<n).map(item).joined(separator: ", ") }
            let head = max(1, style.maxItems - 2)
            return ((0..<head).map(item) + ["... (\(n - head - 2) more)"] + ((n - 2)..<n).map(item)).joined(separator: ", ")
        }
        switch self {
        case .nil: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .number(let x):
            if style.float32, x != x.rounded(), x.isFinite, let f = Float(exactly: x) { return f.description }
            return formatNumber(x)
        case .string(let s): return quoteString(s)
        case .list(let l):
            let id = ObjectIdentifier(l)
            // `seen` holds the containers on the path: a cycle, or nesting past `maxReprDepth`
            // (a list built a million deep would overflow the stack), shows as `[...]`.
            if seen.contains(id) || seen.count >= Value.maxReprDepth { return "[...]" }
            seen.insert(id); defer { seen.remove(id) }
            return "[" + shown(l.items.count) { l.items[$0].repr(&seen, style) } + "]"
        case .dict(let d):
            let id = ObjectIdentifier(d)
            if seen.contains(id) || seen.count >= Value.maxReprDepth { return "{...}" }
            seen.insert(id); defer { seen.remove(id) }
            let pairs = d.pairs
            return "{" + shown(pairs.count) { quoteString(pairs[$0].0) + ": " + pairs[$0].1.repr(&seen, style) } + "}"
        case .range(let a, let b): return "\(a)..\(b)"
        case .function(let f):
            if f.builtin != nil || f.native != nil { return "<builtin \(f.name)>" }
            return "<fn \(f.name)(\(f.parameterNames.joined(separator: ", ")))>"
        case .native(let n): return n.summary
        }
    }
}

func quoteString(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "{": out += "\\{"
        case "}": out += "\\}"
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}

/// Formats a value with a Python-like spec: `[[fill]align][sign][width][,][.precision][type]`,
/// type one of `f`, `e`, `g`, `%`, `d`, `s`. `format(3.14159, ".2f") == "3.14"`.
public func formatValue(_ v: Value, spec: String) throws -> String {
    var chars = Array(spec)
    var fill: Character = " ", align: Character? = nil
    if chars.count >= 2, "<>^".contains(chars[1]) { fill = chars[0]; align = chars[1]; chars.removeFirst(2) }
    else if let c = chars.first, "<>^".contains(c) { align = c; chars.removeFirst() }
    var plus = false
    if chars.first == "+" { plus = true; chars.removeFirst() }
    var zero = false
    if chars.first == "0" { zero = true }
    var width = 0
    // Checked: a long digit string would overflow (and wrap, in release builds).
    while let c = chars.first, let d = c.wholeNumberValue { width = min(width, 1 << 40) * 10 + d; chars.removeFirst() }
    try Limits.check(width, bytesEach: fill.utf8.count, "format '\(spec)' width")
    var grouping = false
    if chars.first == "," { grouping = true; chars.removeFirst() }
    var precision: Int? = nil
    if chars.first == "." {
        chars.removeFirst(); var p = 0
        while let c = chars.first, let d = c.wholeNumberValue { p = min(p, 1 << 40) * 10 + d; chars.removeFirst() }
        try Limits.check(p, bytesEach: 1, "format '\(spec)' precision")
        precision = p
    }
    let type: Character? = chars.first
    if chars.count > 1 { throw DprmError.runtime("bad format spec '\(spec)'") }
    var body: String
    switch v {
    case .number(let x):
        switch type {
        case "f": body = String(format: "%.\(precision ?? 6)f", x)
        case "e": body = String(format: "%.\(precision ?? 6)e", x)
        case "g": body = String(format: "%.\(precision ?? 6)g", x)
        case "%": body = String(format: "%.\(precision ?? 6)f%%", x * 100)
        case "d":
            guard x == x.rounded() else { throw DprmError.runtime("format 'd' needs a whole number, got \(formatNumber(x))") }
            // Beyond 2^53 `formatNumber` writes an exponent ("1e+308"), which grouping mangled.
            body = abs(x) < 1e21 ? formatNumber(x) : String(format: "%.0f", x)
        case nil, "s": body = precision.map { String(format: "%.\($0)g", x) } ?? formatNumber(x)
        default: throw DprmError.runtime("bad format type '\(type!)' in '\(spec)'")
        }
        if grouping {
            let neg = body.hasPrefix("-")
            let digits = neg ? String(body.dropFirst()) : body
            let parts = digits.split(separator: ".", maxSplits: 1)
            var intPart = Array(parts[0]); var grouped = ""
            while intPart.count > 3 { grouped = "," + String(intPart.suffix(3)) + grouped; intPart.removeLast(3) }
            body = (neg ? "-" : "") + String(intPart) + grouped + (parts.count > 1 ? "." + parts[1] : "")
        }
        if plus && x >= 0 { body = "+" + body }
        if zero && align == nil && body.count < width {
            let neg = body.hasPrefix("-") || body.hasPrefix("+")
            let sign = neg ? String(body.first!) : ""
            let rest = neg ? String(body.dropFirst()) : body
            body = sign + repeatedString("0", width - body.count) + rest
        }
        if align == nil { align = ">" }
    default:
        guard type == nil || type == "s" else { throw DprmError.type("format '\(spec)' needs a number, got \(v.typeName)") }
        body = v.description
        if let p = precision { body = String(body.prefix(p)) }
        if align == nil { align = "<" }
    }
    let pad = max(0, width - body.count)
    guard pad > 0 else { return body }
    let fillText = String(fill)
    switch align {
    case ">": return repeatedString(fillText, pad) + body
    case "^": return repeatedString(fillText, pad / 2) + body + repeatedString(fillText, pad - pad / 2)
    default: return body + repeatedString(fillText, pad)
    }
}
