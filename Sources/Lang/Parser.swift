import Foundation

/// Recursive-descent parser. Each parse function carries its grammar rule as a comment.
/// Running out of tokens where more are expected throws `IncompleteInput` (the REPL then asks for
/// a continuation line); any other problem throws a `.syntax` `DprmError`.
struct Parser {
    let src: SourceFile
    var toks: [Token]
    var p = 0
    /// Depth of enclosing loops / functions, to reject misplaced `break`/`return`.
    var loopDepth = 0
    var fnDepth = 0
    /// Depth of the syntax tree being built (brackets, prefix operators, blocks, and each link of
    /// an operator chain, which nests its left side one level deeper). The checker, the compiler
    /// and the evaluator recurse over the tree, so 40,000 '(' or 100,000 '+' overflowed the stack;
    /// deeper input is now a located syntax error.
    var depth = 0
    /// The deepest tree accepted: far beyond written code, well within the stack of the
    /// evaluation thread (`BigStack`, 64 MB) even in debug builds.
    static let maxDepth = 1000

    init(_ src: SourceFile) throws {
        self.src = src
        var lx = Lexer(src)
        toks = try lx.tokenize()
    }

    /// Parses an embedded expression (string interpolation) in byte range `[start, end)`.
    static func parseEmbedded(_ src: SourceFile, _ start: Int, _ end: Int) throws -> Expr {
        var lx = Lexer(src, from: start, to: end)
        lx.stack = [40] // behave as if inside parentheses: newlines are insignificant
        var parser = Parser(src: src, toks: try lx.tokenize())
        let e = try parser.expression()
        guard case .eof = parser.peek.tok else { throw parser.unexpected("in interpolation") }
        return e
    }

    private init(src: SourceFile, toks: [Token]) { self.src = src; self.toks = toks }

    /// One level deeper in the tree; throws past `maxDepth`. Callers undo it with `depth -= 1`.
    mutating func descend() throws {
        depth += 1
        if depth > Parser.maxDepth {
            throw DprmError(.syntax, "nesting too deep: more than \(Parser.maxDepth) levels of brackets, operators or blocks",
                            location: src.location(peek.span))
        }
    }

    var peek: Token { toks[p] }
    func peekTok(_ k: Int) -> Tok { p + k < toks.count ? toks[p + k].tok : .eof }
    mutating func advance() -> Token { let t = toks[p]; if p < toks.count - 1 { p += 1 }; return t }
    func isOp(_ s: String) -> Bool { if case .op(let o) = peek.tok { return o == s }; return false }
    func isKw(_ s: String) -> Bool { if case .kw(let k) = peek.tok { return k == s }; return false }
    var atNewline: Bool { if case .newline = peek.tok { return true }; return false }
    mutating func skipNewlines() { while atNewline { _ = advance() } }

    func describe(_ t: Tok) -> String {
        switch t {
        case .ident(let s): return "name '\(s)'"
        case .number: return "number"
        case .string: return "string"
        case .kw(let k): return "'\(k)'"
        case .op(let o): return "'\(o)'"
        case .newline: return "end of line"
        case .eof: return "end of input"
        }
    }

    func unexpected(_ context: String) -> Error {
        if case .eof = peek.tok { return IncompleteInput() }
        return DprmError(.syntax, "unexpected \(describe(peek.tok)) \(context)", location: src.location(peek.span))
    }

    mutating func expectOp(_ s: String, _ context: String) throws -> Token {
        guard isOp(s) else { throw unexpected("\(context) (expected '\(s)')") }
        return advance()
    }

    mutating func ident(_ context: String) throws -> (String, Span) {
        guard case .ident(let n) = peek.tok else { throw unexpected(context) }
        let t = advance(); return (n, t.span)
    }

    // program := { statement (NEWLINE | ';') } EOF
    mutating func program() throws -> [Stmt] {
        var out: [Stmt] = []
        while true {
            while atNewline || isOp(";") { _ = advance() }
            if case .eof = peek.tok { break }
            out.append(try statement())
            try endOfStatement()
        }
        return out
    }

    mutating func endOfStatement() throws {
        if atNewline || isOp(";") || isOp("}") { return }
        if case .eof = peek.tok { return }
        throw DprmError(.syntax, "unexpected \(describe(peek.tok)) after statement (expected a new line or ';')",
                        location: src.location(peek.span))
    }

    // block := '{' { statement (NEWLINE | ';') } '}'
    mutating func block(_ context: String) throws -> [Stmt] {
        try descend(); defer { depth -= 1 }
        _ = try expectOp("{", context)
        var out: [Stmt] = []
        while true {
            while atNewline || isOp(";") { _ = advance() }
            if isOp("}") { _ = advance(); break }
            if case .eof = peek.tok { throw IncompleteInput() }
            out.append(try statement())
            try endOfStatement()
        }
        return out
    }

    // statement := 'let' NAME ['=' expr] | 'fn' NAME params block | 'return' [expr] | 'break' | 'continue'
    //            | 'while' expr block | 'for' NAME [',' NAME] 'in' expr block | 'import' STRING
    //            | expr [('=' | '+=' | '-=' | '*=' | '/=' | '%=') expr]
    mutating func statement() throws -> Stmt {
        let start = peek.span
        if case .kw(let k) = peek.tok {
            switch k {
            case "let":
                _ = advance()
                let (name, nspan) = try ident("after 'let' (expected a variable name)")
                var value = Expr(.literal(.nil), nspan)
                if isOp("=") { _ = advance(); skipNewlines(); value = try expression() }
                return Stmt(.letDecl(name, value, nspan), start + value.span)
            case "fn":
                if case .ident = peekTok(1) {
                    _ = advance()
                    let (name, _) = try ident("after 'fn'")
                    let decl = try functionRest(name: name, start: start)
                    return Stmt(.fnDecl(decl), decl.span)
                }
            case "return":
                let t = advance()
                guard fnDepth > 0 else { throw DprmError(.syntax, "'return' outside a function", location: src.location(t.span)) }
                if atNewline || isOp(";") || isOp("}") { return Stmt(.returnStmt(nil), t.span) }
                if case .eof = peek.tok { return Stmt(.returnStmt(nil), t.span) }
                let e = try expression()
                return Stmt(.returnStmt(e), t.span + e.span)
            case "break", "continue":
                let t = advance()
                guard loopDepth > 0 else { throw DprmError(.syntax, "'\(k)' outside a loop", location: src.location(t.span)) }
                return Stmt(k == "break" ? .breakStmt : .continueStmt, t.span)
            case "while":
                _ = advance()
                let cond = try expression()
                loopDepth += 1; defer { loopDepth -= 1 }
                let body = try block("after the 'while' condition")
                return Stmt(.whileLoop(cond, body), start + cond.span)
            case "for":
                _ = advance()
                var (name, _) = try ident("after 'for' (expected a loop variable)")
                var indexName: String? = nil
                if isOp(",") { _ = advance(); indexName = name; (name, _) = try ident("after ',' in 'for'") }
                guard isKw("in") else { throw unexpected("in 'for' (expected 'in')") }
                _ = advance()
                let iter = try expression()
                loopDepth += 1; defer { loopDepth -= 1 }
                let body = try block("after the 'for' iterable")
                return Stmt(.forLoop(indexName, name, iter, body), start + iter.span)
            case "import":
                _ = advance()
                guard case .string(let parts) = peek.tok else { throw unexpected("after 'import' (expected a string)") }
                let t = advance()
                var name = ""
                for part in parts {
                    guard case .text(let s) = part else {
                        throw DprmError(.syntax, "import takes a plain string", location: src.location(t.span))
                    }
                    name += s
                }
                return Stmt(.importStmt(name), start + t.span)
            default: break
            }
        }
        let e = try expression()
        if case .op(let o) = peek.tok, ["=", "+=", "-=", "*=", "/=", "%="].contains(o) {
            let opTok = advance()
            switch e.kind {
            case .name, .index, .member: break
            default:
                throw DprmError(.syntax, "cannot assign to this expression", location: src.location(e.span))
            }
            _ = opTok
            skipNewlines()
            let v = try expression()
            return Stmt(.assign(e, o, v), e.span + v.span)
        }
        return Stmt(.expr(e), e.span)
    }

    // function-rest := '(' [param {',' param}] ')' block ; param := ['...'] NAME ['=' expr]
    mutating func functionRest(name: String?, start: Span) throws -> FunctionDecl {
        _ = try expectOp("(", "(expected the parameter list)")
        let params = try paramList(close: ")")
        let savedLoop = loopDepth; loopDepth = 0; fnDepth += 1
        defer { loopDepth = savedLoop; fnDepth -= 1 }
        let body = try block("(expected the function body)")
        return FunctionDecl(name: name, params: params, body: body, span: start + toks[max(0, p - 1)].span)
    }

    mutating func paramList(close: String) throws -> [Param] {
        var params: [Param] = []
        var seen = Set<String>()
        while !isOp(close) {
            var variadic = false
            if isOp("...") { _ = advance(); variadic = true }
            let (n, span) = try ident("in parameter list (expected a parameter name)")
            if seen.contains(n) { throw DprmError(.syntax, "duplicate parameter '\(n)'", location: src.location(span)) }
            seen.insert(n)
            if let last = params.last, last.variadic {
                throw DprmError(.syntax, "a variadic parameter must come last", location: src.location(span))
            }
            var def: Expr? = nil
            if isOp("=") {
                _ = advance(); def = try expression()
            } else if let last = params.last, last.defaultValue != nil, !variadic {
                throw DprmError(.syntax, "parameter '\(n)' without a default follows one with a default", location: src.location(span))
            }
            params.append(Param(name: n, defaultValue: def, variadic: variadic, span: span))
            if isOp(",") { _ = advance() } else { break }
        }
        _ = try expectOp(close, "in parameter list")
        return params
    }

    // expr := or_expr
    mutating func expression() throws -> Expr {
        try descend(); defer { depth -= 1 }
        return try orExpr()
    }

    // or_expr := and_expr { 'or' and_expr }
    mutating func orExpr() throws -> Expr {
        var l = try andExpr()
        var chain = 0; defer { depth -= chain }
        while isKw("or") { try descend(); chain += 1; _ = advance(); skipNewlines(); let r = try andExpr(); l = Expr(.logical("or", l, r), l.span + r.span) }
        return l
    }

    // and_expr := not_expr { 'and' not_expr }
    mutating func andExpr() throws -> Expr {
        var l = try notExpr()
        var chain = 0; defer { depth -= chain }
        while isKw("and") { try descend(); chain += 1; _ = advance(); skipNewlines(); let r = try notExpr(); l = Expr(.logical("and", l, r), l.span + r.span) }
        return l
    }

    // not_expr := 'not' not_expr | comparison
    mutating func notExpr() throws -> Expr {
        if isKw("not") { try descend(); defer { depth -= 1 }; let t = advance(); let e = try notExpr(); return Expr(.unary("not", e), t.span + e.span) }
        return try comparison()
    }

    // comparison := range_expr [('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') range_expr]
    mutating func comparison() throws -> Expr {
        let l = try rangeExpr()
        var op: String? = nil
        if case .op(let o) = peek.tok, ["==", "!=", "<", "<=", ">", ">="].contains(o) { op = o; _ = advance() }
        else if isKw("in") { op = "in"; _ = advance() }
        else if isKw("not"), case .kw("in") = peekTok(1) { op = "not in"; _ = advance(); _ = advance() }
        guard let o = op else { return l }
        skipNewlines()
        let r = try rangeExpr()
        if case .op(let o2) = peek.tok, ["==", "!=", "<", "<=", ">", ">="].contains(o2) {
            throw DprmError(.syntax, "comparisons do not chain; write 'a < b and b < c'", location: src.location(peek.span))
        }
        return Expr(.binary(o, l, r), l.span + r.span)
    }

    // range_expr := additive ['..' additive]
    mutating func rangeExpr() throws -> Expr {
        let l = try additive()
        if isOp("..") { _ = advance(); let r = try additive(); return Expr(.range(l, r), l.span + r.span) }
        return l
    }

    // additive := term { ('+' | '-') term }
    mutating func additive() throws -> Expr {
        var l = try term()
        var chain = 0; defer { depth -= chain }
        while case .op(let o) = peek.tok, o == "+" || o == "-" {
            try descend(); chain += 1
            _ = advance(); skipNewlines()
            let r = try term(); l = Expr(.binary(o, l, r), l.span + r.span)
        }
        return l
    }

    // term := unary { ('*' | '/' | '%' | '@') unary }
    mutating func term() throws -> Expr {
        var l = try unary()
        var chain = 0; defer { depth -= chain }
        while case .op(let o) = peek.tok, o == "*" || o == "/" || o == "%" || o == "@" {
            try descend(); chain += 1
            _ = advance(); skipNewlines()
            let r = try unary(); l = Expr(.binary(o, l, r), l.span + r.span)
        }
        return l
    }

    // unary := '-' unary | '+' unary | power
    mutating func unary() throws -> Expr {
        if isOp("-") || isOp("+") {
            try descend(); defer { depth -= 1 }
            let t = advance()
            let e = try unary()
            if case .op("+") = t.tok { return e }
            if case .literal(.number(let x)) = e.kind { return Expr(.literal(.number(-x)), t.span + e.span) }
            return Expr(.unary("-", e), t.span + e.span)
        }
        return try power()
    }

    // power := postfix ['**' unary]     (right associative; -2 ** 2 == -4)
    mutating func power() throws -> Expr {
        let base = try postfix()
        if isOp("**") { try descend(); defer { depth -= 1 }; _ = advance(); skipNewlines(); let e = try unary(); return Expr(.binary("**", base, e), base.span + e.span) }
        return base
    }

    // postfix := primary { '(' args ')' | '[' index_items ']' | '.' NAME ['(' args ')'] }
    mutating func postfix() throws -> Expr {
        var e = try primary()
        var chain = 0; defer { depth -= chain }
        while true {
            if isOp("(") || isOp("[") || isOp(".") { try descend(); chain += 1 }
            if isOp("(") {
                _ = advance()
                let args = try argList()
                let close = try expectOp(")", "in argument list")
                e = Expr(.call(e, args), e.span + close.span)
            } else if isOp("[") {
                _ = advance()
                var items: [IndexExprItem] = []
                repeat {
                    if isOp(",") { _ = advance() }
                    items.append(try indexItem())
                } while isOp(",")
                let close = try expectOp("]", "in index")
                e = Expr(.index(e, items), e.span + close.span)
            } else if isOp(".") {
                _ = advance()
                let (name, nspan) = try ident("after '.' (expected a field or method name)")
                if isOp("(") {
                    _ = advance()
                    let args = try argList()
                    let close = try expectOp(")", "in argument list")
                    e = Expr(.method(e, name, args, nspan), e.span + close.span)
                } else {
                    e = Expr(.member(e, name), e.span + nspan)
                }
            } else {
                return e
            }
        }
    }

    // index_item := expr | [expr] ':' [expr] [':' [expr]]
    mutating func indexItem() throws -> IndexExprItem {
        func bound(_ me: inout Parser) throws -> Expr? {
            if me.isOp(":") || me.isOp("]") || me.isOp(",") { return nil }
            return try me.expression()
        }
        let a = try bound(&self)
        guard isOp(":") else {
            guard let a else { throw unexpected("in index") }
            return .value(a)
        }
        _ = advance()
        let b = try bound(&self)
        var c: Expr? = nil
        if isOp(":") { _ = advance(); c = try bound(&self) }
        return .slice(a, b, c)
    }

    // args := [arg {',' arg} [',']] ; arg := [NAME ':'] expr
    mutating func argList() throws -> [Arg] {
        var args: [Arg] = []
        var sawLabel = false
        while !isOp(")") {
            if case .ident(let n) = peek.tok, case .op(":") = peekTok(1) {
                let t = advance(); _ = advance()
                if args.contains(where: { $0.label == n }) {
                    throw DprmError(.syntax, "keyword argument '\(n)' repeated", location: src.location(t.span))
                }
                args.append(Arg(label: n, value: try expression())); sawLabel = true
            } else {
                let e = try expression()
                if sawLabel { throw DprmError(.syntax, "positional argument after keyword arguments", location: src.location(e.span)) }
                args.append(Arg(label: nil, value: e))
            }
            if isOp(",") { _ = advance() } else { break }
        }
        return args
    }

    // primary := NUMBER | STRING | 'true' | 'false' | 'nil' | NAME | '(' expr ')' | list | dict
    //          | 'fn' '(' params ')' block | '|' params '|' (expr | block) | if_expr
    mutating func primary() throws -> Expr {
        let t = peek
        switch t.tok {
        case .number(let x): _ = advance(); return Expr(.literal(.number(x)), t.span)
        case .string(let parts):
            _ = advance()
            var pieces: [StringPiece] = []
            for part in parts {
                switch part {
                case .text(let s): pieces.append(.text(s))
                case .expr(let a, let b, let spec): pieces.append(.expr(try Parser.parseEmbedded(src, a, b), spec))
                }
            }
            if pieces.isEmpty { return Expr(.literal(.string("")), t.span) }
            if pieces.count == 1, case .text(let s) = pieces[0] { return Expr(.literal(.string(s)), t.span) }
            return Expr(.string(pieces), t.span)
        case .ident(let n): _ = advance(); return Expr(.name(n), t.span)
        case .kw("true"): _ = advance(); return Expr(.literal(.bool(true)), t.span)
        case .kw("false"): _ = advance(); return Expr(.literal(.bool(false)), t.span)
        case .kw("nil"): _ = advance(); return Expr(.literal(.nil), t.span)
        case .kw("if"): return try ifExpr()
        case .kw("fn"):
            _ = advance()
            let decl = try functionRest(name: nil, start: t.span)
            return Expr(.function(decl), decl.span)
        case .op("|"):
            _ = advance()
            let params = try paramList(close: "|")
            let savedLoop = loopDepth; loopDepth = 0; fnDepth += 1
            defer { loopDepth = savedLoop; fnDepth -= 1 }
            let body: [Stmt]
            if isOp("{") { body = try block("lambda body") } else {
                let e = try expression(); body = [Stmt(.expr(e), e.span)]
            }
            let decl = FunctionDecl(name: nil, params: params, body: body, span: t.span + toks[max(0, p - 1)].span)
            return Expr(.function(decl), decl.span)
        case .op("("):
            _ = advance()
            let e = try expression()
            _ = try expectOp(")", "(expected ')')")
            return e
        case .op("["):
            _ = advance()
            var items: [Expr] = []
            while !isOp("]") {
                items.append(try expression())
                if isOp(",") { _ = advance() } else { break }
            }
            let close = try expectOp("]", "in list")
            return Expr(.list(items), t.span + close.span)
        case .op("{"):
            _ = advance()
            var pairs: [(key: Expr, value: Expr)] = []
            skipNewlines()
            while !isOp("}") {
                let key: Expr
                if case .ident(let n) = peek.tok, case .op(":") = peekTok(1) {
                    let kt = advance(); key = Expr(.literal(.string(n)), kt.span)
                } else { key = try expression() }
                skipNewlines()
                _ = try expectOp(":", "in dict (expected ':' after the key)")
                skipNewlines()
                pairs.append((key, try expression()))
                skipNewlines()
                if isOp(",") { _ = advance(); skipNewlines() } else { break }
            }
            let close = try expectOp("}", "in dict")
            return Expr(.dict(pairs), t.span + close.span)
        default:
            throw unexpected("(expected an expression)")
        }
    }

    // if_expr := 'if' expr block ['else' (if_expr | block)]
    mutating func ifExpr() throws -> Expr {
        let start = advance().span
        let cond = try expression()
        let then = try block("after the 'if' condition")
        var els: [Stmt]? = nil
        // `else` may sit on the next line after '}'.
        var look = p
        while case .newline = toks[look].tok { look += 1 }
        if case .kw("else") = toks[look].tok {
            p = look
            _ = advance()
            if isKw("if") { try descend(); defer { depth -= 1 }; let inner = try ifExpr(); els = [Stmt(.expr(inner), inner.span)] }
            else { els = try block("after 'else'") }
        }
        return Expr(.ifElse(cond, then, els), start + toks[max(0, p - 1)].span)
    }
}
