/// Final-answer extraction for self-consistency voting.
///
/// Priority: the last "Final answer:" line, else the last `\boxed{…}`, else the last
/// "answer is …", else the last "Answer: …". The value is normalised (see `normalize`).
public enum FinalAnswer {
    public static func extract(_ text: String) -> String? {
        if let v = lastValue(after: "final answer", in: text, needsColon: false) { return nonEmpty(normalize(v)) }
        if let v = lastBoxed(in: text) { return nonEmpty(normalize(v)) }
        if let v = lastValue(after: "answer is", in: text, needsColon: false) { return nonEmpty(normalize(v)) }
        if let v = lastValue(after: "answer", in: text, needsColon: true) { return nonEmpty(normalize(v)) }
        return nil
    }

    static func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }

    /// The rest of the line after the last occurrence of `marker` (case-insensitive), skipping an
    /// optional ':' (required when `needsColon`) and markdown emphasis.
    static func lastValue(after marker: String, in text: String, needsColon: Bool) -> String? {
        let lower = text.lowercased()
        // Lowercasing can change lengths for some scalars; work on scalars of the lowered text only
        // when lengths agree, else fall back to the original text.
        let hay = Array(lower.unicodeScalars)
        let src = Array(text.unicodeScalars)
        guard hay.count == src.count else { return nil }
        let m = Array(marker.unicodeScalars)
        var i = hay.count - m.count
        while i >= 0 {
            if hay[i..<(i + m.count)].elementsEqual(m), i == 0 || !hay[i - 1].properties.isAlphabetic {
                var j = i + m.count
                while j < src.count, src[j] == "*" || src[j] == " " { j += 1 }
                var hasColon = false
                if j < src.count, src[j] == ":" { hasColon = true; j += 1 }
                if needsColon && !hasColon { i -= 1; continue }
                var end = j
                while end < src.count, src[end] != "\n" { end += 1 }
                var s = String.UnicodeScalarView()
                s.append(contentsOf: src[j..<end])
                let value = String(s).trimmed
                if !value.isEmpty { return value }
            }
            i -= 1
        }
        return nil
    }

    /// The content of the last `\boxed{…}` (braces balanced).
    static func lastBoxed(in text: String) -> String? {
        guard let r = text.range(of: "\\boxed{", options: .backwards) else { return nil }
        var depth = 1
        var out = ""
        var idx = r.upperBound
        while idx < text.endIndex {
            let c = text[idx]
            if c == "{" { depth += 1 }
            if c == "}" { depth -= 1; if depth == 0 { return out } }
            out.append(c)
            idx = text.index(after: idx)
        }
        return nil
    }

    /// Normalises an answer so equal answers compare equal: unwraps `\boxed{}`/`\text{}`, drops `$`,
    /// `**` and a trailing period, lower-cases, collapses spaces, reduces an option like "(B) True"
    /// or "B." to "b", and writes numbers canonically ("1,244" and "1244.0" become "1244").
    public static func normalize(_ answer: String) -> String {
        var s = answer.trimmed
        for wrapper in ["\\boxed{", "\\text{", "\\mathrm{"] {
            while let r = s.range(of: wrapper), s.hasSuffix("}") || s.contains("}") {
                // Remove the wrapper and its matching brace.
                var depth = 1
                var idx = r.upperBound
                var close: String.Index?
                while idx < s.endIndex {
                    if s[idx] == "{" { depth += 1 }
                    if s[idx] == "}" { depth -= 1; if depth == 0 { close = idx; break } }
                    idx = s.index(after: idx)
                }
                guard let close else { break }
                s = String(s[..<r.lowerBound]) + String(s[r.upperBound..<close]) + String(s[s.index(after: close)...])
            }
        }
        s = s.replacingOccurrences(of: "$", with: "").replacingOccurrences(of: "**", with: "")
        s = s.trimmed
        while let last = s.last, last == "." || last == "," || last == ";" { s.removeLast() }
        s = s.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
        // Option letters: "(b)", "(b) true", "b)", "b.", "b".
        let chars = Array(s)
        if chars.count >= 1 {
            if chars.count >= 3, chars[0] == "(", chars[2] == ")", chars[1].isLetter, chars[1].isASCII,
               chars.count == 3 || chars[3] == " " {
                return String(chars[1])
            }
            if chars.count == 1, chars[0].isLetter, chars[0].isASCII { return s }
            if chars.count >= 2, chars[0].isLetter, chars[0].isASCII, chars[1] == ")" || chars[1] == ".",
               chars.count == 2 || chars[2] == " " {
                return String(chars[0])
            }
        }
        // Numbers.
        let plain = s.replacingOccurrences(of: ",", with: "")
        if !plain.isEmpty, plain.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" }),
           let v = Double(plain) {
            if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
            return "\(v)"
        }
        return s
    }
}
