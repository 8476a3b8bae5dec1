import Foundation

/// Expressions. Every node carries the span it came from, for diagnostics.
final class Expr {
    let kind: ExprKind
    let span: Span
    init(_ kind: ExprKind, _ span: Span) { self.kind = kind; self.span = span }
}

struct Param {
    let name: String
    let defaultValue: Expr?
    let variadic: Bool
    let span: Span
}

struct Arg {
    let label: String?
    let value: Expr
}

enum IndexExprItem {
    case value(Expr)
    case slice(Expr?, Expr?, Expr?)
}

enum ExprKind {
    case literal(Value)
    case string([StringPiece])
    case name(String)
    case list([Expr])
    case dict([(key: Expr, value: Expr)])
    case unary(String, Expr)              // "-", "not"
    case binary(String, Expr, Expr)       // arithmetic and comparison
    case logical(String, Expr, Expr)      // "and", "or"
    case range(Expr, Expr)
    case call(Expr, [Arg])
    case method(Expr, String, [Arg], Span) // receiver.name(args); span of the name
    case member(Expr, String)
    case index(Expr, [IndexExprItem])
    case function(FunctionDecl)
    case ifElse(Expr, [Stmt], [Stmt]?)     // else branch: nil, or a block (an else-if is a block holding one if)
    case block([Stmt])
}

enum StringPiece {
    case text(String)
    case expr(Expr, String?)
}

final class FunctionDecl {
    let name: String?
    let params: [Param]
    let body: [Stmt]
    let span: Span
    init(name: String?, params: [Param], body: [Stmt], span: Span) {
        self.name = name; self.params = params; self.body = body; self.span = span
    }
}

/// Statements.
final class Stmt {
    let kind: StmtKind
    let span: Span
    init(_ kind: StmtKind, _ span: Span) { self.kind = kind; self.span = span }
}

enum StmtKind {
    case expr(Expr)
    case letDecl(String, Expr, Span)       // name span
    case fnDecl(FunctionDecl)
    case assign(Expr, String, Expr)        // target, "=" or "+=" etc, value
    case whileLoop(Expr, [Stmt])
    case forLoop(String?, String, Expr, [Stmt])  // optional index name, item name, iterable, body
    case returnStmt(Expr?)
    case breakStmt
    case continueStmt
    case importStmt(String)
}

extension Expr {
    /// Every name read inside this expression, including in nested functions (used to decide
    /// which locals must live in boxes because a closure might capture them).
    func collectNames(into set: inout Set<String>) {
        switch kind {
        case .literal: break
        case .string(let ps): for p in ps { if case .expr(let e, _) = p { e.collectNames(into: &set) } }
        case .name(let n): set.insert(n)
        case .list(let es): for e in es { e.collectNames(into: &set) }
        case .dict(let kvs): for kv in kvs { kv.key.collectNames(into: &set); kv.value.collectNames(into: &set) }
        case .unary(_, let e): e.collectNames(into: &set)
        case .binary(_, let a, let b), .logical(_, let a, let b), .range(let a, let b):
            a.collectNames(into: &set); b.collectNames(into: &set)
        case .call(let f, let args): f.collectNames(into: &set); for a in args { a.value.collectNames(into: &set) }
        case .method(let r, _, let args, _): r.collectNames(into: &set); for a in args { a.value.collectNames(into: &set) }
        case .member(let r, _): r.collectNames(into: &set)
        case .index(let r, let items):
            r.collectNames(into: &set)
            for it in items {
                switch it {
                case .value(let e): e.collectNames(into: &set)
                case .slice(let a, let b, let c): a?.collectNames(into: &set); b?.collectNames(into: &set); c?.collectNames(into: &set)
                }
            }
        case .function(let f): f.collectNames(into: &set)
        case .ifElse(let c, let t, let e):
            c.collectNames(into: &set); for s in t { s.collectNames(into: &set) }
            for s in e ?? [] { s.collectNames(into: &set) }
        case .block(let ss): for s in ss { s.collectNames(into: &set) }
        }
    }
    /// Names read inside nested functions only.
    func collectCapturedNames(into set: inout Set<String>) {
        switch kind {
        case .function(let f): f.collectNames(into: &set)
        case .string(let ps): for p in ps { if case .expr(let e, _) = p { e.collectCapturedNames(into: &set) } }
        case .literal, .name: break
        case .list(let es): for e in es { e.collectCapturedNames(into: &set) }
        case .dict(let kvs): for kv in kvs { kv.key.collectCapturedNames(into: &set); kv.value.collectCapturedNames(into: &set) }
        case .unary(_, let e): e.collectCapturedNames(into: &set)
        case .binary(_, let a, let b), .logical(_, let a, let b), .range(let a, let b):
            a.collectCapturedNames(into: &set); b.collectCapturedNames(into: &set)
        case .call(let f, let args): f.collectCapturedNames(into: &set); for a in args { a.value.collectCapturedNames(into: &set) }
        case .method(let r, _, let args, _): r.collectCapturedNames(into: &set); for a in args { a.value.collectCapturedNames(into: &set) }
        case .member(let r, _): r.collectCapturedNames(into: &set)
        case .index(let r, let items):
            r.collectCapturedNames(into: &set)
            for it in items {
                switch it {
                case .value(let e): e.collectCapturedNames(into: &set)
                case .slice(let a, let b, let c): a?.collectCapturedNames(into: &set); b?.collectCapturedNames(into: &set); c?.collectCapturedNames(into: &set)
                }
            }
        case .ifElse(let c, let t, let e):
            c.collectCapturedNames(into: &set); for s in t { s.collectCapturedNames(into: &set) }
            for s in e ?? [] { s.collectCapturedNames(into: &set) }
        case .block(let ss): for s in ss { s.collectCapturedNames(into: &set) }
        }
    }
}

extension FunctionDecl {
    func collectNames(into set: inout Set<String>) {
        for p in params { p.defaultValue?.collectNames(into: &set) }
        for s in body { s.collectNames(into: &set) }
    }
}

extension Stmt {
    func collectNames(into set: inout Set<String>) {
        switch kind {
        case .expr(let e), .letDecl(_, let e, _): e.collectNames(into: &set)
        case .fnDecl(let f): f.collectNames(into: &set)
        case .assign(let t, _, let v): t.collectNames(into: &set); v.collectNames(into: &set)
        case .whileLoop(let c, let b): c.collectNames(into: &set); for s in b { s.collectNames(into: &set) }
        case .forLoop(_, _, let it, let b): it.collectNames(into: &set); for s in b { s.collectNames(into: &set) }
        case .returnStmt(let e): e?.collectNames(into: &set)
        case .breakStmt, .continueStmt, .importStmt: break
        }
    }
    func collectCapturedNames(into set: inout Set<String>) {
        switch kind {
        case .expr(let e), .letDecl(_, let e, _): e.collectCapturedNames(into: &set)
        case .fnDecl(let f): f.collectNames(into: &set)
        case .assign(let t, _, let v): t.collectCapturedNames(into: &set); v.collectCapturedNames(into: &set)
        case .whileLoop(let c, let b): c.collectCapturedNames(into: &set); for s in b { s.collectCapturedNames(into: &set) }
        case .forLoop(_, _, let it, let b): it.collectCapturedNames(into: &set); for s in b { s.collectCapturedNames(into: &set) }
        case .returnStmt(let e): e?.collectCapturedNames(into: &set)
        case .breakStmt, .continueStmt, .importStmt: break
        }
    }
}
