/// Splits a free-text solution into steps.
///
/// The rules, in order (see docs/data.md):
/// 1. The answer line — the last line starting with "Final answer", "The answer is" or "Answer:"
///    (after optional markdown `#`, `*`, `-`) — and everything after it becomes the final step,
///    unless it is the whole text.
/// 2. Top-level markers at line starts (no indentation; a markdown `#`/`**` prefix is allowed):
///    "Step 3:" / "Step 3.", then "3." / "3)", then circled numbers ①…⑳ — the first kind with
///    at least two markers is used. Each marker line opens a step; text before the first marker (a
///    preamble such as "Let's think step by step:") is kept at the start of the first step.
/// 3. Otherwise blank-line-separated blocks, when there are at least two.
/// 4. Otherwise inline enumerations inside the text: "Step 1: … Step 2: …", "(1) … (2) …" or
///    "1) … 2) …" numbered consecutively from 1 (at least two).
/// 5. Otherwise the whole text is one step.
/// Steps are trimmed of surrounding whitespace; empty steps are dropped. Marker text stays in the step.
public enum StepSplitter {
    public static func split(_ text: String) -> [String] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        var lines = normalized.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        // 1. Answer line.
        var answerStep: String?
        if let a = lines.lastIndex(where: { isAnswerLine($0) }) {
            let answer = lines[a...].joined(separator: "\n").trimmed
            let body = lines[..<a].joined(separator: "\n").trimmed
            if !body.isEmpty && !answer.isEmpty {
                answerStep = answer
                lines = Array(lines[..<a])
            }
        }
        let body = lines.joined(separator: "\n")
        var steps = splitBody(body)
        if let answerStep { steps.append(answerStep) }
        return steps
    }

    static func splitBody(_ body: String) -> [String] {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // 2. Top-level markers, by kind in priority order.
        for kind in [MarkerKind.step, .number, .circled] {
            let starts = lines.indices.filter { lineMarker(lines[$0]) == kind }
            if starts.count >= kind.minimumCount {
                var steps: [String] = []
                for (k, start) in starts.enumerated() {
                    let end = k + 1 < starts.count ? starts[k + 1] : lines.count
                    let from = k == 0 ? 0 : start  // the preamble joins the first step
                    steps.append(lines[from..<end].joined(separator: "\n"))
                }
                return clean(steps)
            }
        }
        // 3. Blank-line blocks.
        var blocks: [String] = []
        var current: [String] = []
        for line in lines {
            if line.trimmed.isEmpty {
                if !current.isEmpty { blocks.append(current.joined(separator: "\n")); current = [] }
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { blocks.append(current.joined(separator: "\n")) }
        if blocks.count >= 2 { return clean(blocks) }
        // 4. Inline enumerations.
        let single = body.trimmed
        if single.isEmpty { return [] }
        if let parts = inlineEnumeration(single) { return clean(parts) }
        // 5. One step.
        return [single]
    }

    static func clean(_ steps: [String]) -> [String] {
        steps.map(\.trimmed).filter { !$0.isEmpty }
    }

    enum MarkerKind {
        case step, number, circled
        /// One marker alone splits nothing, so every kind needs two (a lone "Step 1:" line with
        /// inline "Step 2: ..." after it is left to the inline rule).
        var minimumCount: Int { 2 }
    }

    /// Strips a markdown heading / bold prefix ("### ", "**") from the start of a line.
    static func stripMarkdownPrefix(_ s: Substring) -> Substring {
        var t = s
        while t.first == "#" { t = t.dropFirst() }
        if t.count < s.count { t = t.drop(while: { $0 == " " }) }
        while t.hasPrefix("**") { t = t.dropFirst(2) }
        return t
    }

    /// The marker that opens `line`, if any. Indented lines never carry a top-level marker.
    static func lineMarker(_ line: String) -> MarkerKind? {
        guard let first = line.first, first != " ", first != "\t" else { return nil }
        let t = stripMarkdownPrefix(line[...])
        if let c = t.unicodeScalars.first, circledValue(c) != nil { return .circled }
        if hasStepMarker(t) { return .step }
        // "3." or "3)" followed by a space (so "1.5 is" and "3.14" are not markers).
        let digits = t.prefix(while: { $0.isASCII && $0.isNumber })
        if !digits.isEmpty, digits.count <= 3 {
            let rest = t.dropFirst(digits.count)
            if let p = rest.first, p == "." || p == ")" {
                let after = rest.dropFirst()
                if after.isEmpty || after.first == " " || after.first == "\t" { return .number }
            }
        }
        return nil
    }

    /// "Step 3:", "Step 3.", "Step 3)" or "Step 3 -" (case-insensitive "step").
    static func hasStepMarker(_ t: Substring) -> Bool {
        guard t.count >= 5, t.prefix(4).lowercased() == "step" else { return false }
        var rest = t.dropFirst(4).drop(while: { $0 == " " })
        let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty else { return false }
        rest = rest.dropFirst(digits.count)
        while rest.hasPrefix("**") { rest = rest.dropFirst(2) }
        guard let p = rest.first else { return true }
        return p == ":" || p == "." || p == ")" || p == " " || p == "-" || p == "*"
    }

    /// ① is 1 … ⑳ is 20.
    static func circledValue(_ c: Unicode.Scalar) -> Int? {
        (0x2460...0x2473).contains(c.value) ? Int(c.value - 0x2460) + 1 : nil
    }

    /// Whether a line is the answer line ("Final answer: …", "The answer is …", "Answer: …").
    public static func isAnswerLine(_ line: String) -> Bool {
        var t = line[...].drop(while: { $0 == " " || $0 == "\t" })
        t = stripMarkdownPrefix(t)
        t = t.drop(while: { $0 == "-" || $0 == "*" || $0 == " " })
        let lower = t.lowercased()
        if lower.hasPrefix("final answer") || lower.hasPrefix("the answer is") || lower.hasPrefix("the final answer is") { return true }
        if lower.hasPrefix("answer") {
            let rest = lower.dropFirst(6).drop(while: { $0 == "*" || $0 == " " })
            return rest.first == ":"
        }
        return false
    }

    /// Splits one paragraph at inline "Step k", "(k)" or "k)" markers numbered 1, 2, 3, …
    static func inlineEnumeration(_ text: String) -> [String]? {
        let chars = Array(text)
        // Find positions of the marker for number `k` of a given style, scanning forward.
        func find(_ k: Int, style: Int, from: Int) -> Int? {
            let n = String(k)
            let pattern: [Character]
            switch style {
            case 0: pattern = Array("Step \(n)")
            case 1: pattern = Array("(\(n))")
            default: pattern = Array("\(n))")
            }
            var i = from
            while i + pattern.count <= chars.count {
                if chars[i..<(i + pattern.count)].elementsEqual(pattern) {
                    let beforeOK = i == 0 || chars[i - 1] == " " || chars[i - 1] == "\n"
                        || (style == 2 && chars[i - 1] == "(") == false && !(chars[i - 1].isLetter || chars[i - 1].isNumber)
                    let afterIdx = i + pattern.count
                    let afterOK = afterIdx == chars.count || !(chars[afterIdx].isNumber)
                    if beforeOK && afterOK && !(style == 2 && i > 0 && chars[i - 1] == "(") { return i }
                }
                i += 1
            }
            return nil
        }
        for style in 0..<3 {
            guard let first = find(1, style: style, from: 0) else { continue }
            var starts = [first]
            var k = 2
            while let next = find(k, style: style, from: starts.last! + 1) {
                starts.append(next)
                k += 1
            }
            if starts.count >= 2 {
                var parts: [String] = []
                for (j, s) in starts.enumerated() {
                    let from = j == 0 ? 0 : s
                    let end = j + 1 < starts.count ? starts[j + 1] : chars.count
                    parts.append(String(chars[from..<end]))
                }
                return parts
            }
        }
        return nil
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace and newlines.
    var trimmed: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start...end])
        return String(view)
    }
}
