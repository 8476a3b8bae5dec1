import Foundation

/// JSON <-> Value, keeping object key order.
public enum JSON {
    /// Parses JSON text; objects become insertion-ordered dicts.
    public static func parse(_ text: String, source: String = "JSON") throws -> Value {
        var p = JSONParser(bytes: Array(text.utf8), source: source)
        p.skipWS()
        let v = try p.value()
        p.skipWS()
        guard p.i == p.b.count else { throw p.fail("trailing characters") }
        return v
    }

    /// Serialises a value (nil, bool, number, string, list, dict; natives are rejected).
    public static func stringify(_ v: Value, indent: Int? = nil) throws -> String {
        var out = ""
        try write(v, &out, indent: indent, level: 0)
        return out
    }

    static func write(_ v: Value, _ out: inout String, indent: Int?, level: Int) throws {
        let nl = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) } ?? ""
        let close = indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        switch v {
        case .nil: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let x):
            guard x.isFinite else { out += "null"; return }
            out += formatNumber(x)
        case .string(let s): out += jsonQuote(s)
        case .range: try write(.list(try rangeItems(v)), &out, indent: indent, level: level)
        case .list(let l):
            if l.items.isEmpty { out += "[]"; return }
            out += "["
            for (k, x) in l.items.enumerated() {
                out += (k > 0 ? "," : "") + nl
                try write(x, &out, indent: indent, level: level + 1)
            }
            out += close + "]"
        case .dict(let d):
            if d.count == 0 { out += "{}"; return }
            out += "{"
            for (k, (key, x)) in d.pairs.enumerated() {
                out += (k > 0 ? "," : "") + nl + jsonQuote(key) + (indent == nil ? ":" : ": ")
                try write(x, &out, indent: indent, level: level + 1)
            }
            out += close + "}"
        case .function, .native:
            throw DprmError.type("cannot write \(v.typeName) as JSON")
        }
    }

    static func rangeItems(_ v: Value) throws -> [Value] {
        guard case .range(let a, let b) = v else { return [] }
        return a < b ? (a..<b).map { .int($0) } : []
    }

    static func jsonQuote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }
}

struct JSONParser {
    let b: [UInt8]
    let source: String
    var i = 0
    init(bytes: [UInt8], source: String) { b = bytes; self.source = source }

    func fail(_ m: String) -> DprmError {
        var line = 1, col = 1
        for k in 0..<min(i, b.count) { if b[k] == 10 { line += 1; col = 1 } else { col += 1 } }
        return DprmError.runtime("\(source): invalid JSON at line \(line), column \(col): \(m)")
    }
    mutating func skipWS() { while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 10 || b[i] == 13 { i += 1 } }

    mutating func value() throws -> Value {
        guard i < b.count else { throw fail("unexpected end") }
        switch b[i] {
        case 123:
            i += 1; let d = DictRef(); skipWS()
            if i < b.count, b[i] == 125 { i += 1; return .dict(d) }
            while true {
                skipWS()
                guard i < b.count, b[i] == 34 else { throw fail("expected a string key") }
                let k = try string()
                skipWS()
                guard i < b.count, b[i] == 58 else { throw fail("expected ':'") }
                i += 1; skipWS()
                d[k] = try value(); skipWS()
                guard i < b.count else { throw fail("unexpected end in object") }
                if b[i] == 44 { i += 1; continue }
                if b[i] == 125 { i += 1; return .dict(d) }
                throw fail("expected ',' or '}'")
            }
        case 91:
            i += 1; var items: [Value] = []; skipWS()
            if i < b.count, b[i] == 93 { i += 1; return .list(items) }
            while true {
                skipWS(); items.append(try value()); skipWS()
                guard i < b.count else { throw fail("unexpected end in array") }
                if b[i] == 44 { i += 1; continue }
                if b[i] == 93 { i += 1; return .list(items) }
                throw fail("expected ',' or ']'")
            }
        case 34: return .string(try string())
        case 116: try literal("true"); return .bool(true)
        case 102: try literal("false"); return .bool(false)
        case 110: try literal("null"); return .nil
        case 78: try literal("NaN"); return .number(.nan)
        default:
            let start = i
            while i < b.count, b[i] == 45 || b[i] == 43 || b[i] == 46 || b[i] == 101 || b[i] == 69 || isDigit(b[i]) || b[i] == 73 || (b[i] >= 97 && b[i] <= 121 && start < i) { i += 1 }
            let t = String(decoding: b[start..<i], as: UTF8.self)
            if t == "Infinity" { return .number(.infinity) }
            if t == "-Infinity" { return .number(-.infinity) }
            guard !t.isEmpty, let x = Double(t) else { i = start; throw fail("unexpected character") }
            return .number(x)
        }
    }

    mutating func literal(_ s: String) throws {
        let u = Array(s.utf8)
        guard i + u.count <= b.count, Array(b[i..<i + u.count]) == u else { throw fail("unexpected character") }
        i += u.count
    }

    mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw fail("unterminated string") }
            let c = b[i]; i += 1
            if c == 34 { break }
            if c != 92 { out.append(c); continue }
            guard i < b.count else { throw fail("unterminated string") }
            let e = b[i]; i += 1
            switch e {
            case 110: out.append(10)
            case 116: out.append(9)
            case 114: out.append(13)
            case 98: out.append(8)
            case 102: out.append(12)
            case 117:
                func hex4() throws -> UInt32 {
                    guard i + 4 <= b.count else { throw fail("bad \\u escape") }
                    var v: UInt32 = 0
                    for _ in 0..<4 { guard let d = hexValue(b[i]) else { throw fail("bad \\u escape") }; v = v * 16 + UInt32(d); i += 1 }
                    return v
                }
                var v = try hex4()
                if v >= 0xD800 && v < 0xDC00, i + 1 < b.count, b[i] == 92, b[i + 1] == 117 {
                    i += 2; let lo = try hex4()
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                }
                out.append(contentsOf: Array(String(Character(UnicodeScalar(v) ?? "?")).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
