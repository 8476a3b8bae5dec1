/// What the JSON parser accepts beyond RFC 8259.
public struct JSONParseOptions: Sendable {
    /// Accept the bare words `NaN`, `Infinity` and `-Infinity` as numbers (what Python's
    /// `json.dump` writes by default). Off for data files, where such a value is an error;
    /// on for the language's `read_json` and `json_parse`, which read result files of any origin.
    public var allowNonFinite: Bool
    /// Deepest nesting of lists and objects; deeper input is an error rather than a stack overflow.
    public var maxDepth: Int

    public init(allowNonFinite: Bool = false, maxDepth: Int = 512) {
        self.allowNonFinite = allowNonFinite
        self.maxDepth = maxDepth
    }

    /// RFC 8259 only, nesting up to 512.
    public static let strict = JSONParseOptions()
}

/// A syntax error in JSON text, with where it was found: the line and column (both from 1;
/// columns count Unicode scalars) and the byte offset.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let line: Int
    public let column: Int
    public let offset: Int
    public init(message: String, line: Int, column: Int, offset: Int) {
        self.message = message; self.line = line; self.column = column; self.offset = offset
    }
    /// "line 3, column 7: expected ':' after key" (callers prefix the file name).
    public var location: String { "line \(line), column \(column): \(message)" }
    public var description: String { "invalid JSON at \(location)" }
}

extension JSONValue {
    /// Parses one JSON document (whitespace around it allowed).
    public static func parse(_ text: String, options: JSONParseOptions = .strict) throws -> JSONValue {
        var text = text
        return try text.withUTF8 { try parse(buffer: $0, options: options) }
    }

    /// Parses one JSON document from raw UTF-8 bytes.
    public static func parse(bytes: [UInt8], options: JSONParseOptions = .strict) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { try parse(buffer: $0, options: options) }
    }

    /// Parses one JSON document from a buffer of UTF-8 bytes (e.g. a memory-mapped header).
    /// A leading byte-order mark is skipped and invalid UTF-8 is an error at its byte offset
    /// (`UTF8Text`, the one rule of every text reader).
    public static func parse(buffer: UnsafeBufferPointer<UInt8>, options: JSONParseOptions = .strict) throws -> JSONValue {
        var parser = JSONParser(bytes: buffer, options: options)
        if let bad = UTF8Text.firstInvalidOffset(buffer) {
            parser.pos = bad
            throw parser.error("invalid UTF-8 at byte offset \(bad) (0x\(String(buffer[bad], radix: 16)))")
        }
        parser.pos = UTF8Text.byteOrderMarkLength(buffer)
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.pos != buffer.count { throw parser.error("unexpected text after the value") }
        return value
    }
}

/// A recursive-descent JSON parser over UTF-8 bytes (RFC 8259, plus what `JSONParseOptions` allows).
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let options: JSONParseOptions
    var pos = 0

    init(bytes: UnsafeBufferPointer<UInt8>, options: JSONParseOptions) {
        self.bytes = bytes
        self.options = options
    }

    /// The error at the current position; line and column are counted only now, on failure.
    func error(_ message: String) -> JSONParseError {
        var line = 1, column = 1
        for i in 0..<min(pos, bytes.count) {
            let b = bytes[i]
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return JSONParseError(message: message, line: line, column: column, offset: pos)
    }

    mutating func skipWhitespace() {
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { break }
        }
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        skipWhitespace()
        guard pos < bytes.count else { throw error("unexpected end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"):
            if depth >= options.maxDepth { throw error("nesting deeper than \(options.maxDepth) levels") }
            pos += 1
            var pairs: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(pairs) }
            while true {
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try parseString()
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':' after key") }
                pos += 1
                let value = try parseValue(depth: depth + 1)
                pairs.append((key, value))
                skipWhitespace()
                guard pos < bytes.count else { throw error("unterminated object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(pairs) }
                throw error("expected ',' or '}' in object")
            }
        case UInt8(ascii: "["):
            if depth >= options.maxDepth { throw error("nesting deeper than \(options.maxDepth) levels") }
            pos += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard pos < bytes.count else { throw error("unterminated list") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw error("expected ',' or ']' in list")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "N"):
            try nonFinite("NaN"); return .number(.nan)
        case UInt8(ascii: "I"):
            try nonFinite("Infinity"); return .number(.infinity)
        case UInt8(ascii: "-") where pos + 1 < bytes.count && bytes[pos + 1] == UInt8(ascii: "I"):
            guard options.allowNonFinite else { throw error("-Infinity is not JSON (only finite numbers are allowed here)") }
            pos += 1
            try expectWord("Infinity")
            return .number(-.infinity)
        default:
            return .number(try parseNumber())
        }
    }

    /// `NaN` / `Infinity`, accepted only when the options allow them.
    mutating func nonFinite(_ word: StaticString) throws {
        guard options.allowNonFinite else { throw error("\(word) is not JSON (only finite numbers are allowed here)") }
        try expectWord(word)
    }

    mutating func expectWord(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        for i in 0..<min(n, bytes.count - pos) where bytes[pos + i] != word.utf8Start[i] { throw error("invalid literal") }
        guard pos + n <= bytes.count else { throw error("unexpected end of input") }
        pos += n
    }

    mutating func parseNumber() throws -> Double {
        let start = pos
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        let intStart = pos
        while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        if pos == intStart { pos = start; throw error("unexpected character") }
        if pos - intStart > 1, bytes[intStart] == UInt8(ascii: "0") {
            pos = intStart
            throw error("a number cannot start with 0 followed by digits")
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            let f = pos
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            if pos == f { throw error("digits expected after '.'") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            let e = pos
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            if pos == e { throw error("digits expected in exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        guard let value = Double(text) else { throw error("bad number '\(text)'") }
        return value
    }

    mutating func parseHex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            v <<= 4
            switch c {
            case 0x30...0x39: v |= UInt32(c - 0x30)
            case 0x41...0x46: v |= UInt32(c - 0x41 + 10)
            case 0x61...0x66: v |= UInt32(c - 0x61 + 10)
            default: throw error("bad \\u escape")
            }
            pos += 1
        }
        return v
    }

    mutating func parseString() throws -> String {
        pos += 1  // opening quote
        var out: [UInt8] = []
        var runStart = pos
        while true {
            guard pos < bytes.count else { throw error("unterminated string") }
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: bytes[runStart..<pos])
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") {
                out.append(contentsOf: bytes[runStart..<pos])
                pos += 1
                guard pos < bytes.count else { throw error("unterminated escape") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if code >= 0xD800 && code < 0xDC00 {
                        // A high surrogate must be followed by a low one; a lone half becomes U+FFFD.
                        if pos + 6 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                            pos += 2
                            let low = try parseHex4()
                            if low >= 0xDC00 && low < 0xE000 {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            } else { code = 0xFFFD }
                        } else { code = 0xFFFD }
                    } else if code >= 0xDC00 && code < 0xE000 { code = 0xFFFD }
                    out.append(contentsOf: Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8))
                default:
                    pos -= 2
                    throw error("bad escape '\\\(Character(Unicode.Scalar(e)))'")
                }
                runStart = pos
                continue
            }
            if c < 0x20 { throw error("control character in string (write it as an escape such as \\n)") }
            pos += 1
        }
    }
}
