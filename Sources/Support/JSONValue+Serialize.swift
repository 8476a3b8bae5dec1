/// The JSON serialiser: the one place that formats JSON numbers and quotes JSON strings.
extension JSONValue {
    /// Compact JSON text.
    public var description: String { serialized() }

    /// JSON text; `pretty` indents nested values by two spaces.
    public func serialized(pretty: Bool) -> String { serialized(indent: pretty ? 2 : nil) }

    /// JSON text: compact (`{"a":1}`) when `indent` is nil, else one item a line, nested values
    /// indented by `indent` spaces a level, and `": "` after keys.
    public func serialized(indent: Int? = nil) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    private func write(into out: inout String, indent: Int?, level: Int) {
        func newline(_ level: Int) {
            if let step = indent { out += "\n" + String(repeating: " ", count: step * level) }
        }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += JSONValue.format(n)
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(level + 1)
                item.write(into: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out += "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{"
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += "," }
                newline(level + 1)
                JSONValue.quote(pair.key, into: &out)
                out += indent == nil ? ":" : ": "
                pair.value.write(into: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out += "}"
        }
    }

    /// A JSON number: whole numbers print without a fraction (`3`, ids, counts), others in the
    /// shortest form that reads back to the same `Double`. JSON has no NaN or infinity, so they
    /// print as `null` (what JavaScript's `JSON.stringify` does).
    public static func format(_ n: Double) -> String {
        if n.isNaN || n.isInfinite { return "null" }
        if n == n.rounded(), abs(n) < 1e16 { return n == 0 ? "0" : String(Int64(n)) }
        return "\(n)"
    }

    /// `s` as a JSON string literal, quotes included.
    public static func quote(_ s: String) -> String {
        var out = ""
        quote(s, into: &out)
        return out
    }

    /// Appends `s` as a JSON string literal: `"` and `\` escaped, control characters as `\n`,
    /// `\r`, `\t` or `\u00XX`; everything else (non-ASCII included) as is.
    public static func quote(_ s: String, into out: inout String) {
        let hex: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00"
                    out.append(hex[Int(scalar.value >> 4)])
                    out.append(hex[Int(scalar.value & 0xF)])
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
