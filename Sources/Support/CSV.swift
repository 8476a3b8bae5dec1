/// RFC 4180 CSV, the one reader and writer of the package: fields that hold a comma, a quote or
/// a line break are quoted, quotes inside them doubled.
public enum CSV {
    /// The rows of CSV text. Quoted fields may hold commas, doubled quotes and line breaks; a
    /// carriage return outside quotes is dropped (so CRLF files read like LF files); a final
    /// line break does not make an empty row.
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var inQuotes = false, fieldStarted = false
        var it = Array(text.unicodeScalars)[...]
        while let c = it.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if it.first == "\"" { it.removeFirst(); field.unicodeScalars.append("\"") } else { inQuotes = false }
                } else { field.unicodeScalars.append(c) }
                continue
            }
            switch c {
            case "\"": inQuotes = true; fieldStarted = true
            case ",": row.append(field); field = ""; fieldStarted = false
            case "\r": break
            case "\n": row.append(field); rows.append(row); row = []; field = ""; fieldStarted = false
            default: field.unicodeScalars.append(c); fieldStarted = true
            }
        }
        if fieldStarted || !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// One field, quoted when it holds a comma, a quote or a line break. (Scalars, not
    /// characters, are tested: "\r\n" is one `Character` equal to neither "\r" nor "\n".)
    public static func quote(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        var out = "\""
        for c in s.unicodeScalars {
            if c == "\"" { out += "\"\"" } else { out.unicodeScalars.append(c) }
        }
        return out + "\""
    }

    /// One line of fields (no line break at the end).
    public static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",")
    }

    /// CSV text of `rows`, each ended by a line break.
    public static func text(_ rows: [[String]]) -> String {
        rows.map { line($0) + "\n" }.joined()
    }
}
