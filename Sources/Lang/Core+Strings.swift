import Foundation

extension Interpreter {
    func coreStrings() -> [Builtin] {
        [
            Builtin("split", "split(s, sep: nil)", "Splits on sep (on runs of whitespace when sep is nil).") { a in
                let s = try a.string(0, "s")
                if let sepv = a.optional(1, "sep") {
                    guard case .string(let sep) = sepv, !sep.isEmpty else { throw DprmError.type("split() separator must be a non-empty string") }
                    return .list(s.components(separatedBy: sep).map { .string($0) })
                }
                return .list(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
            },
            Builtin("join", "join(items, sep: \"\")", "Joins the printed forms of the items with sep.") { a in
                .string(try a.sequence(0, "items").map { $0.description }.joined(separator: try a.string(1, "sep", default: "")))
            },
            Builtin("strip", "strip(s)", "Without leading and trailing whitespace.") { a in .string(try a.string(0, "s").trimmingCharacters(in: .whitespacesAndNewlines)) },
            Builtin("lstrip", "lstrip(s)", "Without leading whitespace.") { a in .string(String(try a.string(0, "s").drop(while: { $0.isWhitespace }))) },
            Builtin("rstrip", "rstrip(s)", "Without trailing whitespace.") { a in
                let s = try a.string(0, "s"); return .string(String(s.reversed().drop(while: { $0.isWhitespace }).reversed()))
            },
            Builtin("replace", "replace(s, old, new)", "Every occurrence of old replaced by new.") { a in
                let old = try a.string(1, "old")
                guard !old.isEmpty else { throw DprmError.runtime("replace(): 'old' must not be empty") }
                return .string(try a.string(0, "s").replacingOccurrences(of: old, with: try a.string(2, "new")))
            },
            Builtin("upper", "upper(s)", "Upper-cased.") { a in .string(try a.string(0, "s").uppercased()) },
            Builtin("lower", "lower(s)", "Lower-cased.") { a in .string(try a.string(0, "s").lowercased()) },
            Builtin("starts_with", "starts_with(s, prefix)", "Whether s begins with prefix.") { a in .bool(try a.string(0, "s").hasPrefix(try a.string(1, "prefix"))) },
            Builtin("ends_with", "ends_with(s, suffix)", "Whether s ends with suffix.") { a in .bool(try a.string(0, "s").hasSuffix(try a.string(1, "suffix"))) },
            Builtin("lines", "lines(s)", "The lines of s (without line breaks).") { a in
                // Split on scalars: "\r\n" is one Character, so a Character-based split would miss it.
                var ls = try a.string(0, "s").unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                    String(String.UnicodeScalarView(line.last == "\r" ? line.dropLast() : line))
                }
                if ls.last == "" { ls.removeLast() }
                return .list(ls.map { .string($0) })
            },
            Builtin("chars", "chars(s)", "The characters of s as a list of strings.") { a in .list(try a.string(0, "s").map { .string(String($0)) }) },
            Builtin("pad", "pad(s, width, align: \"left\", fill: \" \")", "s padded to width characters (align: left, right, center).") { a in
                let s = try a.value(0, "s").description, w = try a.int(1, "width")
                let fill = try a.string(nil, "fill", default: " ")
                let align = try a.string(2, "align", default: "left")
                let code: String
                switch align { case "left": code = "<"; case "right": code = ">"; case "center": code = "^"
                default: throw DprmError.runtime("pad(): align must be left, right or center, got \(quoteString(align))") }
                guard fill.count == 1 else { throw DprmError.runtime("pad(): fill must be one character") }
                return .string(try formatValue(.string(s), spec: "\(fill)\(code)\(w)"))
            },
        ]
    }
}
