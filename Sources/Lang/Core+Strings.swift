import Foundation

extension Interpreter {
    func coreStrings() -> [Builtin] {
        [
            Builtin("split", parameters: [
                    .positional("s", "string", "the string"),
                    .positional("sep", "any value", optional: true, "the separator (nil: runs of whitespace)"),
                ], "Splits on sep (on runs of whitespace when sep is nil).",
                help: """
                With a separator (a non-empty string, positional or `sep:`): the pieces between its
                occurrences, keeping empty pieces (",a," gives ["", "a", ""]). Without one: the words
                separated by runs of whitespace (spaces, tabs, newlines), with no empty pieces. An empty
                separator is a type error.
                """,
                example: #"""
                "a,b".split(",")          # ["a", "b"]
                split("  one two\n")      # ["one", "two"]
                split("a,,b", sep: ",")   # ["a", "", "b"]
                """#) { a in
                let s = try a.string(0, "s")
                if let sepv = a.optional(1, "sep") {
                    guard case .string(let sep) = sepv, !sep.isEmpty else { throw DprmError.type("split() separator must be a non-empty string") }
                    return .list(s.components(separatedBy: sep).map { .string($0) })
                }
                return .list(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
            },
            Builtin("join", parameters: [
                    .positional("items", "list or iterable", "the items (non-strings: their printed form)"),
                    .positional("sep", "string", default: .string(""), "put between the items"),
                ], "Joins the printed forms of the items with sep.",
                help: """
                Concatenates the printed forms of the items (strings unquoted, numbers in shortest form)
                with `sep` between them (default ""). The items may be any iterable. The inverse of
                split.
                """,
                example: #"""
                ["a", "b"].join(", ")     # "a, b"
                join([1, 2, 3], "-")      # "1-2-3"
                join(["x", "y"])          # "xy"
                """#) { a in
                .string(try a.sequence(0, "items").map { $0.description }.joined(separator: try a.string(1, "sep")))
            },
            Builtin("strip", parameters: [
                    .positional("s", "string", "the string"),
                ], "Without leading and trailing whitespace.",
                help: """
                Removes whitespace (spaces, tabs, newlines, carriage returns) from both ends; inner
                whitespace is kept. The argument must be a string.
                """,
                example: #"""
                strip("  a b \n")     # "a b"
                """#) { a in .string(try a.string(0, "s").trimmingCharacters(in: .whitespacesAndNewlines)) },
            Builtin("lstrip", parameters: [
                    .positional("s", "string", "the string"),
                ], "Without leading whitespace.",
                help: """
                Removes whitespace (spaces, tabs, newlines) from the start only. The argument must be a
                string.
                """,
                example: #"""
                lstrip("  a ")     # "a "
                """#) { a in .string(String(try a.string(0, "s").drop(while: { $0.isWhitespace }))) },
            Builtin("rstrip", parameters: [
                    .positional("s", "string", "the string"),
                ], "Without trailing whitespace.",
                help: """
                Removes whitespace (spaces, tabs, newlines) from the end only, e.g. the line break of a
                line read from a file. The argument must be a string.
                """,
                example: #"""
                rstrip("  a \n")     # "  a"
                """#) { a in
                let s = try a.string(0, "s"); return .string(String(s.reversed().drop(while: { $0.isWhitespace }).reversed()))
            },
            Builtin("replace", parameters: [
                    .positional("s", "string", "the string"),
                    .positional("old", "string", "the text replaced (every occurrence)"),
                    .positional("new", "string", "its replacement"),
                ], "Every occurrence of old replaced by new.",
                help: """
                Replaces every non-overlapping occurrence of `old`, left to right, by `new`. An empty
                `old` is a runtime error. All three arguments must be strings.
                """,
                example: #"""
                replace("a-b-c", "-", "+")      # "a+b+c"
                "aaa".replace("aa", "b")        # "ba"
                """#) { a in
                let old = try a.string(1, "old")
                guard !old.isEmpty else { throw DprmError.runtime("replace(): 'old' must not be empty") }
                return .string(try a.string(0, "s").replacingOccurrences(of: old, with: try a.string(2, "new")))
            },
            Builtin("upper", parameters: [
                    .positional("s", "string", "the string"),
                ], "Upper-cased.",
                help: """
                The string with every letter in upper case (Unicode-aware: "ß" becomes "SS").
                """,
                example: #"""
                upper("Loss")     # "LOSS"
                """#) { a in .string(try a.string(0, "s").uppercased()) },
            Builtin("lower", parameters: [
                    .positional("s", "string", "the string"),
                ], "Lower-cased.",
                help: """
                The string with every letter in lower case (Unicode-aware).
                """,
                example: #"""
                lower("Loss")     # "loss"
                """#) { a in .string(try a.string(0, "s").lowercased()) },
            Builtin("starts_with", parameters: [
                    .positional("s", "string", "the string"),
                    .positional("prefix", "string", "the prefix"),
                ], "Whether s begins with prefix.",
                help: """
                Whether the string begins with the prefix; every string starts with "". Both arguments
                must be strings.
                """,
                example: #"""
                starts_with("train.json", "train")    # true
                "x".starts_with("")                   # true
                """#) { a in .bool(try a.string(0, "s").hasPrefix(try a.string(1, "prefix"))) },
            Builtin("ends_with", parameters: [
                    .positional("s", "string", "the string"),
                    .positional("suffix", "string", "the suffix"),
                ], "Whether s ends with suffix.",
                help: """
                Whether the string ends with the suffix; every string ends with "". Both arguments must
                be strings.
                """,
                example: #"""
                ends_with("train.json", ".json")      # true
                """#) { a in .bool(try a.string(0, "s").hasSuffix(try a.string(1, "suffix"))) },
            Builtin("lines", parameters: [
                    .positional("s", "string", "the string"),
                ], "The lines of s (without line breaks).",
                help: """
                Splits at "\\n", dropping a "\\r" before it (Windows line ends), so the lines carry no line
                breaks. A final line break does not make an empty last line; "" gives []. Blank lines in
                the middle are kept as "".
                """,
                example: #"""
                lines("a\nb\r\n\nc\n")     # ["a", "b", "", "c"]
                """#) { a in
                // Split on scalars: "\r\n" is one Character, so a Character-based split would miss it.
                var ls = try a.string(0, "s").unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                    String(String.UnicodeScalarView(line.last == "\r" ? line.dropLast() : line))
                }
                if ls.last == "" { ls.removeLast() }
                return .list(ls.map { .string($0) })
            },
            Builtin("chars", parameters: [
                    .positional("s", "string", "the string"),
                ], "The characters of s as a list of strings.",
                help: """
                The characters of the string, each as a one-character string (user-perceived characters:
                "é" is one, even when written as e + accent). `for c in s` iterates the same way.
                """,
                example: #"""
                chars("héllo")     # ["h", "é", "l", "l", "o"]
                """#) { a in .list(try a.string(0, "s").map { .string(String($0)) }) },
            Builtin("pad", parameters: [
                    .positional("s", "string", "the text (other values: their printed form)"),
                    .positional("width", "whole number", "the width in characters"),
                    .positional("align", "string", default: .string("left"), "\"left\", \"right\" or \"center\""),
                    .keyword("fill", "string", default: .string(" "), "the padding character"),
                ], "s padded to width characters (align: left, right, center).",
                help: """
                The printed form of the value widened to `width` characters with the `fill` character
                (default a space): align "left" puts the fill after, "right" before, "center" around
                (extra fill after). A value already at least `width` long is returned unchanged, never cut.
                `align` is "left", "right" or "center" and `fill` exactly one character, else a runtime
                error.
                """,
                example: #"""
                pad("ab", 5)                             # "ab   "
                pad(7, 3, align: "right", fill: "0")     # "007"
                pad("x", 3, "center")                    # " x "
                """#) { a in
                let s = try a.value(0, "s").description, w = try a.int(1, "width")
                let fill = try a.string(nil, "fill")
                let align = try a.string(2, "align")
                let code: String
                switch align { case "left": code = "<"; case "right": code = ">"; case "center": code = "^"
                default: throw DprmError.runtime("pad(): align must be left, right or center, got \(quoteString(align))") }
                guard fill.count == 1 else { throw DprmError.runtime("pad(): fill must be one character") }
                return .string(try formatValue(.string(s), spec: "\(fill)\(code)\(w)"))
            },
        ]
    }
}
