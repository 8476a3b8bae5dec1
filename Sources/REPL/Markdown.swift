import Foundation

/// A small Markdown-to-HTML converter for notebook prose cells: ATX headings (`#` to `######`),
/// paragraphs, `*emphasis*` / `_emphasis_`, `**strong**`, `` `code` ``, fenced code blocks
/// (```` ``` ````, with an optional language), bullet (`-`, `*`, `+`) and numbered (`1.`) lists,
/// `[links](url)`, `![images](url)`, block quotes (`>`) and rules (`---`). Everything else is text,
/// HTML-escaped: prose cannot inject markup.
public enum Markdown {
    /// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Converts a Markdown document to an HTML fragment.
    public static func toHTML(_ text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        var html: [String] = []
        var paragraph: [String] = []
        var i = 0
        func flushParagraph() {
            if !paragraph.isEmpty {
                html.append("<p>" + inline(paragraph.joined(separator: "\n")) + "</p>")
                paragraph = []
            }
        }
        while i < lines.count {
            let line = lines[i]
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { flushParagraph(); i += 1; continue }
            // Fenced code.
            if t.hasPrefix("```") || t.hasPrefix("~~~") {
                flushParagraph()
                let fence = String(t.prefix(3))
                let lang = t.dropFirst(3).trimmingCharacters(in: .whitespaces)
                var body: [String] = []
                i += 1
                while i < lines.count && !lines[i].trimmingCharacters(in: .whitespaces).hasPrefix(fence) { body.append(lines[i]); i += 1 }
                i += 1
                let cls = lang.isEmpty ? "" : " class=\"language-\(escape(lang))\""
                html.append("<pre><code\(cls)>" + escape(body.joined(separator: "\n")) + "</code></pre>")
                continue
            }
            // Indented code: four spaces (or a tab) at the start of a block, outside a paragraph.
            if paragraph.isEmpty && (line.hasPrefix("    ") || line.hasPrefix("\t")) {
                var body: [String] = []
                while i < lines.count {
                    let l = lines[i]
                    if l.hasPrefix("    ") { body.append(String(l.dropFirst(4))) } else if l.hasPrefix("\t") { body.append(String(l.dropFirst())) }
                    else if l.trimmingCharacters(in: .whitespaces).isEmpty { body.append("") } else { break }
                    i += 1
                }
                while body.last?.isEmpty == true { body.removeLast() }
                html.append("<pre><code>" + escape(body.joined(separator: "\n")) + "</code></pre>")
                continue
            }
            // Heading.
            if t.hasPrefix("#") {
                let level = t.prefix { $0 == "#" }.count
                let rest = t.dropFirst(level)
                if level <= 6 && (rest.isEmpty || rest.first == " ") {
                    flushParagraph()
                    var title = rest.trimmingCharacters(in: .whitespaces)
                    while title.hasSuffix("#") { title = String(title.dropLast()).trimmingCharacters(in: .whitespaces) }
                    html.append("<h\(level)>\(inline(title))</h\(level)>")
                    i += 1; continue
                }
            }
            // Horizontal rule.
            if t.count >= 3, let c = t.first, "-*_".contains(c), t.allSatisfy({ $0 == c || $0 == " " }) {
                flushParagraph(); html.append("<hr>"); i += 1; continue
            }
            // Block quote.
            if t.hasPrefix(">") {
                flushParagraph()
                var body: [String] = []
                while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).hasPrefix(">") {
                    var l = lines[i].trimmingCharacters(in: .whitespaces).dropFirst()
                    if l.first == " " { l = l.dropFirst() }
                    body.append(String(l)); i += 1
                }
                html.append("<blockquote>\n" + toHTML(body.joined(separator: "\n")) + "\n</blockquote>")
                continue
            }
            // Lists.
            if let kind = listItem(t) {
                flushParagraph()
                var items: [String] = []
                while i < lines.count {
                    let lt = lines[i].trimmingCharacters(in: .whitespaces)
                    if let k = listItem(lt), k.ordered == kind.ordered {
                        items.append(k.text); i += 1
                    } else if !lt.isEmpty, !items.isEmpty, lines[i].hasPrefix(" ") || lines[i].hasPrefix("\t") {
                        items[items.count - 1] += "\n" + lt; i += 1 // continuation of the item
                    } else { break }
                }
                let tag = kind.ordered ? "ol" : "ul"
                html.append("<\(tag)>" + items.map { "<li>\(inline($0))</li>" }.joined() + "</\(tag)>")
                continue
            }
            paragraph.append(t)
            i += 1
        }
        flushParagraph()
        return html.joined(separator: "\n")
    }

    /// `- item`, `* item`, `+ item` or `12. item`.
    static func listItem(_ t: String) -> (ordered: Bool, text: String)? {
        if let f = t.first, "-*+".contains(f), t.dropFirst().first == " " {
            return (false, t.dropFirst(2).trimmingCharacters(in: .whitespaces))
        }
        let digits = t.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty {
            let rest = t.dropFirst(digits.count)
            if rest.hasPrefix(". ") || rest.hasPrefix(") ") { return (true, rest.dropFirst(2).trimmingCharacters(in: .whitespaces)) }
        }
        return nil
    }

    /// Inline markup: code spans first (their content is literal), then links, images, strong
    /// and emphasis. The input is raw Markdown; the output is escaped HTML.
    public static func inline(_ text: String) -> String {
        let c = Array(text)
        var out = ""
        var i = 0
        func find(_ s: String, from: Int) -> Int? {
            let p = Array(s)
            var j = from
            while j + p.count <= c.count {
                if Array(c[j..<j + p.count]) == p { return j }
                j += 1
            }
            return nil
        }
        while i < c.count {
            let ch = c[i]
            if ch == "\\", i + 1 < c.count, "\\`*_[]()#+-.!<>".contains(c[i + 1]) {
                out += escape(String(c[i + 1])); i += 2; continue
            }
            if ch == "`" {
                let ticks = c[i...].prefix { $0 == "`" }.count
                let marker = String(repeating: "`", count: ticks)
                if let end = find(marker, from: i + ticks) {
                    let code = String(c[(i + ticks)..<end]).trimmingCharacters(in: .whitespaces)
                    out += "<code>" + escape(code) + "</code>"
                    i = end + ticks; continue
                }
            }
            if ch == "!" || ch == "[" {
                let open = ch == "!" ? i + 1 : i
                if open < c.count, c[open] == "[", let close = find("](", from: open + 1), let end = find(")", from: close + 2) {
                    let label = String(c[(open + 1)..<close])
                    var url = String(c[(close + 2)..<end]).trimmingCharacters(in: .whitespaces)
                    if let sp = url.firstIndex(of: " ") { url = String(url[..<sp]) } // drop a "title"
                    let safe = safeURL(url)
                    if ch == "!" {
                        out += "<img src=\"\(escape(safe))\" alt=\"\(escape(label))\">"
                    } else {
                        out += "<a href=\"\(escape(safe))\">\(inline(label))</a>"
                    }
                    i = end + 1; continue
                }
            }
            if ch == "*" || ch == "_" {
                let double = i + 1 < c.count && c[i + 1] == ch
                let marker = double ? String([ch, ch]) : String(ch)
                let startBody = i + marker.count
                // Intraword underscores (snake_case) are not emphasis.
                let leftOK = ch == "*" || i == 0 || !(c[i - 1].isLetter || c[i - 1].isNumber)
                if leftOK, startBody < c.count, c[startBody] != " ", let end = find(marker, from: startBody + 1), c[end - 1] != " " {
                    let rightOK = ch == "*" || end + marker.count >= c.count || !(c[end + marker.count].isLetter || c[end + marker.count].isNumber)
                    if rightOK {
                        let tag = double ? "strong" : "em"
                        out += "<\(tag)>" + inline(String(c[startBody..<end])) + "</\(tag)>"
                        i = end + marker.count; continue
                    }
                }
            }
            if ch == "\n" { out += "\n"; i += 1; continue }
            out += escape(String(ch))
            i += 1
        }
        return out
    }

    /// Refuses `javascript:` and similar schemes in links.
    static func safeURL(_ url: String) -> String {
        let lower = url.lowercased()
        if let colon = lower.firstIndex(of: ":") {
            let scheme = lower[..<colon]
            if !["http", "https", "mailto", "data", "file"].contains(String(scheme)) && !scheme.contains("/") { return "#" }
            if scheme == "data" && !lower.hasPrefix("data:image/") { return "#" }
        }
        return url
    }
}
