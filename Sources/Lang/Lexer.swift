import Foundation

enum Tok: Equatable {
    case ident(String)
    case number(Double)
    /// A string literal: text pieces and interpolated expressions (byte spans of the expression
    /// source and its optional format spec).
    case string([StringPart])
    case kw(String)        // keywords
    case op(String)        // punctuation and operators
    case newline
    case eof
}

enum StringPart: Equatable {
    case text(String)
    case expr(start: Int, end: Int, spec: String?)
}

struct Token {
    var tok: Tok
    var span: Span
}

/// Signals that input ended where more was expected (open string, bracket, brace, or a dangling operator).
struct IncompleteInput: Error {}

let keywords: Set<String> = ["let", "fn", "return", "if", "else", "while", "for", "in", "break", "continue",
                             "and", "or", "not", "true", "false", "nil", "import"]

/// Turns source bytes into tokens. Newlines inside `(` and `[` are skipped; inside `{` and at top
/// level they separate statements.
struct Lexer {
    let src: SourceFile
    let b: [UInt8]
    var i: Int
    let end: Int
    var stack: [UInt8] = []

    init(_ src: SourceFile, from: Int = 0, to: Int? = nil) {
        self.src = src; self.b = src.bytes; self.i = from; self.end = to ?? src.bytes.count
    }

    func error(_ msg: String, _ at: Int, _ to: Int? = nil) -> DprmError {
        DprmError(.syntax, msg, location: src.location(Span(start: at, end: to ?? at + 1)))
    }

    mutating func tokenize() throws -> [Token] {
        var out: [Token] = []
        while true {
            let t = try next()
            if t.tok == .newline, let last = out.last, last.tok == .newline { continue }
            out.append(t)
            if t.tok == .eof { break }
        }
        return out
    }

    func peekByte(_ k: Int = 0) -> UInt8 { i + k < end ? b[i + k] : 0 }

    mutating func next() throws -> Token {
        while i < end {
            let c = b[i]
            if c == 32 || c == 9 || c == 13 { i += 1; continue }
            if c == 92 && peekByte(1) == 10 { i += 2; continue } // backslash line continuation
            if c == 35 { while i < end && b[i] != 10 { i += 1 }; continue } // comment
            if c == 10 {
                if let top = stack.last, top != 123 { i += 1; continue }
                i += 1
                return Token(tok: .newline, span: Span(start: i - 1, end: i))
            }
            break
        }
        if i >= end {
            return Token(tok: .eof, span: Span(start: end, end: end))
        }
        let start = i
        let c = b[i]
        if isIdentStart(c) {
            while i < end && isIdentChar(b[i]) { i += 1 }
            let s = String(decoding: b[start..<i], as: UTF8.self)
            return Token(tok: keywords.contains(s) ? .kw(s) : .ident(s), span: Span(start: start, end: i))
        }
        if isDigit(c) || (c == 46 && isDigit(peekByte(1))) { return try lexNumber() }
        if c == 34 || c == 39 { return try lexString(quote: c) }
        // Operators, longest first.
        let three = ["..."]
        let two = ["**", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "..", "=>", "%="]
        for candidate in three + two {
            let u = Array(candidate.utf8)
            if i + u.count <= end && Array(b[i..<i + u.count]) == u {
                i += u.count
                return Token(tok: .op(candidate), span: Span(start: start, end: i))
            }
        }
        i += 1
        switch c {
        case 40, 91, 123: stack.append(c)
        case 41, 93, 125:
            let open: UInt8 = c == 41 ? 40 : (c == 93 ? 91 : 123)
            guard let top = stack.last else { throw error("unmatched '\(Character(UnicodeScalar(c)))'", start) }
            if top != open {
                throw error("'\(Character(UnicodeScalar(c)))' does not match '\(Character(UnicodeScalar(top)))'", start)
            }
            stack.removeLast()
        default: break
        }
        let ops: Set<UInt8> = Set("+-*/%@<>=!.,:;()[]{}|".utf8)
        guard ops.contains(c) else {
            // Decode the whole character for the message.
            var j = i; while j < end && (b[j] & 0xC0) == 0x80 { j += 1 }
            throw error("unexpected character '\(String(decoding: b[start..<j], as: UTF8.self))'", start, j)
        }
        return Token(tok: .op(String(UnicodeScalar(c))), span: Span(start: start, end: i))
    }

    mutating func lexNumber() throws -> Token {
        let start = i
        if b[i] == 48, peekByte(1) == 120 || peekByte(1) == 88 {
            i += 2
            var v = 0.0
            while i < end, let d = hexValue(b[i]) ?? (b[i] == 95 ? -1 : nil) { if d >= 0 { v = v * 16 + Double(d) }; i += 1 }
            return Token(tok: .number(v), span: Span(start: start, end: i))
        }
        var text = ""
        func digits() { while i < end && (isDigit(b[i]) || b[i] == 95) { if b[i] != 95 { text.append(Character(UnicodeScalar(b[i]))) }; i += 1 } }
        digits()
        // A '.' followed by '.' is a range, not a decimal point.
        if i < end && b[i] == 46 && peekByte(1) != 46 && !isIdentStart(peekByte(1)) {
            text.append("."); i += 1; digits()
        }
        if i < end && (b[i] == 101 || b[i] == 69) {
            let save = i, saveText = text
            text.append("e"); i += 1
            if i < end && (b[i] == 43 || b[i] == 45) { text.append(Character(UnicodeScalar(b[i]))); i += 1 }
            if i < end && isDigit(b[i]) { digits() } else { i = save; text = saveText }
        }
        guard let v = Double(text) else { throw error("malformed number '\(text)'", start, i) }
        return Token(tok: .number(v), span: Span(start: start, end: i))
    }

    /// Double-quoted strings interpolate `{expr}` and `{expr:spec}`; single-quoted strings do not.
    mutating func lexString(quote: UInt8) throws -> Token {
        let start = i
        i += 1
        var parts: [StringPart] = []
        var buf: [UInt8] = []
        func flush() { if !buf.isEmpty { parts.append(.text(String(decoding: buf, as: UTF8.self))); buf = [] } }
        while true {
            guard i < end else { throw IncompleteInput() }
            let c = b[i]
            if c == quote { i += 1; break }
            if c == 10 && quote == 39 { throw error("unterminated string", start, i) }
            if c == 92 { // backslash
                guard i + 1 < end else { throw IncompleteInput() }
                let e = b[i + 1]
                i += 2
                switch e {
                case 110: buf.append(10)
                case 116: buf.append(9)
                case 114: buf.append(13)
                case 48: buf.append(0)
                case 92, 34, 39, 123, 125: buf.append(e)
                case 10: break
                case 117: // \u{XXXX}
                    guard i < end, b[i] == 123 else { throw error("expected '{' after \\u", i - 2, i) }
                    var j = i + 1; var v: UInt32 = 0
                    while j < end, let d = hexValue(b[j]) { v = v * 16 + UInt32(d); j += 1 }
                    guard j < end, b[j] == 125, let scalar = UnicodeScalar(v) else { throw error("bad unicode escape", i - 2, j) }
                    buf.append(contentsOf: Array(String(Character(scalar)).utf8)); i = j + 1
                default: throw error("unknown escape '\\\(Character(UnicodeScalar(e)))'", i - 2, i)
                }
                continue
            }
            if c == 123 && quote == 34 { // interpolation
                flush()
                let exprStart = i + 1
                var j = exprStart, depth = 0
                var specStart: Int? = nil
                while true {
                    guard j < end else { throw IncompleteInput() }
                    let d = b[j]
                    if d == 34 || d == 39 { // skip nested string
                        j += 1
                        while j < end && b[j] != d { if b[j] == 92 { j += 1 }; j += 1 }
                        guard j < end else { throw IncompleteInput() }
                        j += 1; continue
                    }
                    if d == 40 || d == 91 || d == 123 { depth += 1 }
                    if d == 41 || d == 93 { depth -= 1 }
                    if d == 125 { if depth == 0 { break }; depth -= 1 }
                    if d == 58 && depth == 0 && specStart == nil { specStart = j }
                    if d == 10 && quote == 34 && depth == 0 && false { break }
                    j += 1
                }
                let exprEnd = specStart ?? j
                if exprEnd == exprStart || String(decoding: b[exprStart..<exprEnd], as: UTF8.self).trimmingCharacters(in: .whitespaces).isEmpty {
                    throw error("empty interpolation '{}' (write \\{ for a literal brace)", i, j + 1)
                }
                let spec = specStart.map { String(decoding: b[($0 + 1)..<j], as: UTF8.self) }
                parts.append(.expr(start: exprStart, end: exprEnd, spec: spec))
                i = j + 1
                continue
            }
            buf.append(c); i += 1
        }
        flush()
        return Token(tok: .string(parts), span: Span(start: start, end: i))
    }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
@inline(__always) func isIdentStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 0x80 }
@inline(__always) func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }
func hexValue(_ c: UInt8) -> Int? {
    switch c {
    case 48...57: return Int(c - 48)
    case 97...102: return Int(c - 87)
    case 65...70: return Int(c - 55)
    default: return nil
    }
}
