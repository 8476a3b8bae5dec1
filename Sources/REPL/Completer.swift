import Foundation
import Lang

/// Tab completion for the REPL: builtins, globals and keywords; a call's keyword parameters
/// (`name:`) at the start of an argument; members after `name.` (dict keys too); REPL
/// `:commands`; file paths inside string literals (and after `:load`, `:run`, `:save`).
///
/// Completion never runs code: after `x.` the receiver is looked up only when `x` is a plain
/// variable name (not `f().`, `a[0].` or `a.b.`).
public struct Completer {
    public let interpreter: Interpreter
    /// REPL command names with their colon, e.g. `:help`.
    public var commands: [String]

    public init(interpreter: Interpreter, commands: [String] = REPLCommand.names) {
        self.interpreter = interpreter; self.commands = commands
    }

    /// Candidates for the text before the cursor. `start` is the UTF-8 offset where the word
    /// being completed begins; each candidate replaces `text[start...]`.
    public func complete(_ text: String) -> (start: Int, candidates: [String]) {
        let b = Array(text.utf8)
        // `:command` and its file argument.
        if b.first == UInt8(ascii: ":") {
            if let space = b.firstIndex(of: 32) {
                let cmd = String(decoding: b[..<space], as: UTF8.self)
                guard [":load", ":run", ":save"].contains(cmd) else { return (b.count, []) }
                var argStart = space
                while argStart < b.count && b[argStart] == 32 { argStart += 1 }
                let arg = String(decoding: b[argStart...], as: UTF8.self)
                if arg.contains(" ") { return (b.count, []) } // cell range after the file
                return (argStart, Completer.paths(prefix: arg))
            }
            return (0, commands.filter { $0.hasPrefix(text) }.sorted())
        }
        switch Completer.scan(b) {
        case .comment: return (b.count, [])
        case .string(let quoteAt):
            let prefix = String(decoding: b[(quoteAt + 1)...], as: UTF8.self)
            return (quoteAt + 1, Completer.paths(prefix: prefix))
        case .code:
            break
        }
        var start = b.count
        while start > 0 && isIdentByte(b[start - 1]) { start -= 1 }
        if start < b.count && isDigit(b[start]) { return (b.count, []) } // a number, not a name
        let word = String(decoding: b[start...], as: UTF8.self)
        if start > 0 && b[start - 1] == UInt8(ascii: ".") {
            // Member completion: the receiver must be exactly one identifier.
            let dot = start - 1
            var r = dot
            while r > 0 && isIdentByte(b[r - 1]) { r -= 1 }
            guard r < dot, !isDigit(b[r]) else { return (start, []) }
            if r > 0 {
                let before = b[r - 1]
                if before == UInt8(ascii: ".") || before == UInt8(ascii: ")") || before == UInt8(ascii: "]") { return (start, []) }
            }
            let name = String(decoding: b[r..<dot], as: UTF8.self)
            guard let receiver = interpreter.global(name) else { return (start, []) }
            return (start, interpreter.completions(prefix: word, context: receiver))
        }
        var candidates = interpreter.completions(prefix: word)
        // An argument of a call: the callee's keyword parameters too (`coldstart(prm, d, it` -> `iterations:`).
        if let callee = Completer.enclosingCall(b, before: start) {
            candidates = interpreter.keywordNames(ofCallee: callee).filter { $0.hasPrefix(word) }.map { $0 + ":" } + candidates
        }
        return (start, candidates)
    }

    /// The name called by the innermost open parenthesis when `b[..<start]` ends at the start of
    /// one of its arguments (right after `(` or `,`), e.g. `coldstart` for `coldstart(prm, it`.
    static func enclosingCall(_ b: [UInt8], before start: Int) -> String? {
        var k = start
        while k > 0 && (b[k - 1] == 32 || b[k - 1] == 9) { k -= 1 }
        guard k > 0, b[k - 1] == UInt8(ascii: "(") || b[k - 1] == UInt8(ascii: ",") else { return nil }
        // Open brackets outside strings, innermost last.
        var open: [Int] = []
        var quote: UInt8? = nil
        var i = 0
        while i < k {
            let c = b[i]
            if let q = quote {
                if c == 92 { i += 2; continue }
                if c == q { quote = nil }
            } else if c == 34 || c == 39 { quote = c }
            else if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { open.append(i) }
            else if c == UInt8(ascii: ")") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { _ = open.popLast() }
            i += 1
        }
        guard let paren = open.last, b[paren] == UInt8(ascii: "(") else { return nil }
        var r = paren
        while r > 0 && isIdentByte(b[r - 1]) { r -= 1 }
        guard r < paren, !isDigit(b[r]) else { return nil }
        // A method call on a name (`t.sum(`): `t.sum`, so the method's own parameters are offered.
        if r > 1, b[r - 1] == UInt8(ascii: ".") {
            var q = r - 1
            while q > 0 && isIdentByte(b[q - 1]) { q -= 1 }
            if q < r - 1, !isDigit(b[q]), q == 0 || (b[q - 1] != UInt8(ascii: ".") && b[q - 1] != UInt8(ascii: ")") && b[q - 1] != UInt8(ascii: "]")) {
                return String(decoding: b[q..<paren], as: UTF8.self)
            }
            return nil
        }
        return String(decoding: b[r..<paren], as: UTF8.self)
    }

    enum Context: Equatable { case code, comment, string(quoteAt: Int) }

    /// Where the end of `b` is: in code, in a comment, or inside a string literal opened at
    /// `quoteAt` (code inside `{...}` interpolation counts as code).
    static func scan(_ b: [UInt8]) -> Context {
        // Stack of open string quotes; an interpolation pushes a code level with its brace depth.
        enum Level { case string(quote: UInt8, at: Int), code(braces: Int) }
        var stack: [Level] = [.code(braces: 0)]
        var i = 0
        while i < b.count {
            let c = b[i]
            switch stack[stack.count - 1] {
            case .string(let q, _):
                if c == 92 { i += 2; continue }
                if c == q { stack.removeLast() }
                else if c == UInt8(ascii: "{") { stack.append(.code(braces: 0)) }
                else if c == 10 && q == 39 { stack.removeLast() } // unterminated '...' ends at newline
            case .code(let depth):
                if c == 34 || c == 39 { stack.append(.string(quote: c, at: i)) }
                else if c == UInt8(ascii: "#") {
                    while i < b.count && b[i] != 10 { i += 1 }
                    if i >= b.count { return .comment }
                } else if c == UInt8(ascii: "{") { stack[stack.count - 1] = .code(braces: depth + 1) }
                else if c == UInt8(ascii: "}") {
                    if depth > 0 { stack[stack.count - 1] = .code(braces: depth - 1) }
                    else if stack.count > 1 { stack.removeLast() } // end of an interpolation
                }
            }
            i += 1
        }
        if case .string(_, let at) = stack[stack.count - 1] { return .string(quoteAt: at) }
        return .code
    }

    /// File and folder names starting with `prefix` (a path typed so far; `~` expands). Folders
    /// end with `/`. Hidden files are offered only when the typed name starts with a dot.
    public static func paths(prefix: String) -> [String] {
        let slash = prefix.lastIndex(of: "/")
        let dirPart = slash.map { String(prefix[...$0]) } ?? ""
        let base = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        var dir = dirPart.isEmpty ? "." : dirPart
        if dir.hasPrefix("~") { dir = NSString(string: dir).expandingTildeInPath }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var out: [String] = []
        for n in names where n.hasPrefix(base) && (!n.hasPrefix(".") || base.hasPrefix(".")) {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent(n), isDirectory: &isDir)
            out.append(dirPart + n + (isDir.boolValue ? "/" : ""))
        }
        return out.sorted()
    }
}

@inline(__always) func isIdentByte(_ c: UInt8) -> Bool {
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 0x80 || isDigit(c)
}
@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
