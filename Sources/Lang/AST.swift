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
