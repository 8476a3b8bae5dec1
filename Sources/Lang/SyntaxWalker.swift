import Foundation

/// How a bare name resolves where it is used, by the compiler's scope rules (`Compiler.lookup`):
/// a parameter, `let`, `fn` or loop variable of an enclosing function or block, or else a global
/// (a builtin, a top-level declaration, or nothing at all: an undefined name).
enum NameBinding: Equatable {
    case local
    case global
}

/// What a tool learns from a walk over a program. Every method has a default that does nothing
/// (and visits every child), so a visitor implements only what it needs.
///
/// Only bare names (`x`, `x = 1`) are names: the `train` of `b.train` and the `domains` of
/// `b.domains()` are members, looked up on the value at run time, and never reach `use`.
protocol SyntaxVisitor {
    /// Before an expression's children; return false to skip them.
    mutating func enter(_ e: Expr) -> Bool
    /// After an expression's children (also when they were skipped).
    mutating func leave(_ e: Expr)
    /// Before a statement's children; return false to skip them.
    mutating func enter(_ s: Stmt) -> Bool
    /// After a statement's children.
    mutating func leave(_ s: Stmt)
    /// A bare name read (`assigned` false) or assigned (`x = v`, `x += v`), and how it resolves there.
    mutating func use(_ name: String, span: Span, binding: NameBinding, assigned: Bool)
    /// A new variable: `let`, `fn`, a parameter or a loop variable. `global` for the top level of the file.
    mutating func declare(_ name: String, span: Span, global: Bool)
}

extension SyntaxVisitor {
    mutating func enter(_ e: Expr) -> Bool { true }
    mutating func leave(_ e: Expr) {}
    mutating func enter(_ s: Stmt) -> Bool { true }
    mutating func leave(_ s: Stmt) {}
    mutating func use(_ name: String, span: Span, binding: NameBinding, assigned: Bool) {}
    mutating func declare(_ name: String, span: Span, global: Bool) {}
}

/// The one walk over the AST: children in source order, with the lexical scopes the compiler
/// uses, so that every tool (the checker, the compiler's capture analysis, later a linter or a
/// renamer) agrees with the compiler on what a name refers to.
///
/// Scope rules mirrored from `Compiler`: the top level of the walked code is global; every
/// block (`if`, `else`, `while`, `{ }`, a function body) opens a scope; `let x = e` declares `x`
/// after `e` (so `e` still sees an outer `x`); `fn f` declares `f` before its body (recursion);
/// a `for` loop's variables live in a scope around its body; a parameter's default sees the
/// parameters before it.
struct SyntaxWalker<V: SyntaxVisitor> {
    var visitor: V
    /// One entry per enclosing function (the walked code itself first), each a stack of blocks.
    private var functions: [[Set<String>]]
    /// Whether the walked code is a whole file (its top level is global) or a function body.
    private let topLevelIsGlobal: Bool

    /// A walker over a whole file (`topLevelIsGlobal`), or over code nested in a function.
    init(_ visitor: V, topLevelIsGlobal: Bool = true) {
        self.visitor = visitor
        self.topLevelIsGlobal = topLevelIsGlobal
        functions = [[[]]]
    }

    /// Walks `program` and returns the visitor with what it collected.
    static func walk(_ program: [Stmt], _ visitor: V) -> V {
        var w = SyntaxWalker(visitor)
        w.statements(program)
        return w.visitor
    }

    // MARK: scopes

    private var atTopLevel: Bool { topLevelIsGlobal && functions.count == 1 && functions[0].count == 1 }

    private mutating func declare(_ name: String, _ span: Span) {
        visitor.declare(name, span: span, global: atTopLevel)
        if !atTopLevel { functions[functions.count - 1][functions[functions.count - 1].count - 1].insert(name) }
    }

    private func binding(of name: String) -> NameBinding {
        for f in functions { for b in f where b.contains(name) { return .local } }
        return .global
    }

    private mutating func inBlock(_ body: (inout SyntaxWalker) -> Void) {
        functions[functions.count - 1].append([])
        body(&self)
        functions[functions.count - 1].removeLast()
    }

    // MARK: statements

    mutating func statements(_ ss: [Stmt]) { for s in ss { statement(s) } }

    private mutating func block(_ ss: [Stmt]) { inBlock { $0.statements(ss) } }

    mutating func statement(_ s: Stmt) {
        defer { visitor.leave(s) }
        guard visitor.enter(s) else { return }
        switch s.kind {
        case .expr(let e): expression(e)
        case .letDecl(let name, let e, let nameSpan):
            expression(e)
            declare(name, nameSpan)
        case .fnDecl(let d):
            declare(d.name!, d.span)
            function(d)
        case .assign(let target, _, let value):
            expression(value)
            if case .name(let n) = target.kind {
                _ = visitor.enter(target)
                visitor.use(n, span: target.span, binding: binding(of: n), assigned: true)
                visitor.leave(target)
            } else {
                expression(target)
            }
        case .whileLoop(let c, let body):
            expression(c)
            block(body)
        case .forLoop(let index, let item, let iterable, let body):
            expression(iterable)
            inBlock { w in
                if let index { w.declare(index, s.span) }
                w.declare(item, s.span)
                w.statements(body)
            }
        case .returnStmt(let e): if let e { expression(e) }
        case .breakStmt, .continueStmt, .importStmt: break
        }
    }

    // MARK: expressions

    mutating func expression(_ e: Expr) {
        defer { visitor.leave(e) }
        guard visitor.enter(e) else { return }
        switch e.kind {
        case .literal: break
        case .name(let n): visitor.use(n, span: e.span, binding: binding(of: n), assigned: false)
        case .string(let pieces): for p in pieces { if case .expr(let x, _) = p { expression(x) } }
        case .list(let es): for x in es { expression(x) }
        case .dict(let kvs): for kv in kvs { expression(kv.key); expression(kv.value) }
        case .unary(_, let x), .member(let x, _): expression(x)
        case .binary(_, let a, let b), .logical(_, let a, let b), .range(let a, let b):
            expression(a); expression(b)
        case .call(let callee, let args):
            expression(callee)
            for a in args { expression(a.value) }
        case .method(let receiver, _, let args, _):
            expression(receiver)
            for a in args { expression(a.value) }
        case .index(let base, let items):
            expression(base)
            for it in items {
                switch it {
                case .value(let x): expression(x)
                case .slice(let a, let b, let c): for x in [a, b, c] { if let x { expression(x) } }
                }
            }
        case .function(let d): function(d)
        case .ifElse(let c, let then, let els):
            expression(c)
            block(then)
            if let els { block(els) }
        case .block(let ss): block(ss)
        }
    }

    /// A function: a new scope for its parameters (each default sees the ones before it), and a
    /// block for its body.
    private mutating func function(_ d: FunctionDecl) {
        functions.append([[]])
        for p in d.params {
            if let dv = p.defaultValue { expression(dv) }
            functions[functions.count - 1][0].insert(p.name)
            visitor.declare(p.name, span: p.span, global: false)
        }
        block(d.body)
        functions.removeLast()
    }
}

// MARK: name sets for the compiler

/// Collects bare names: all of them, or only those used inside nested functions.
private struct NameCollector: SyntaxVisitor {
    let onlyInsideFunctions: Bool
    var functionDepth = 0
    var names = Set<String>()

    mutating func enter(_ e: Expr) -> Bool {
        if case .function = e.kind { functionDepth += 1 }
        return true
    }
    mutating func leave(_ e: Expr) { if case .function = e.kind { functionDepth -= 1 } }
    mutating func enter(_ s: Stmt) -> Bool {
        if case .fnDecl = s.kind { functionDepth += 1 }
        return true
    }
    mutating func leave(_ s: Stmt) { if case .fnDecl = s.kind { functionDepth -= 1 } }
    mutating func use(_ name: String, span: Span, binding: NameBinding, assigned: Bool) {
        if !onlyInsideFunctions || functionDepth > 0 { names.insert(name) }
    }
}

extension Stmt {
    /// Names read inside nested functions (used to decide which locals must live in boxes because
    /// a closure might capture them).
    func collectCapturedNames(into set: inout Set<String>) {
        var w = SyntaxWalker(NameCollector(onlyInsideFunctions: true), topLevelIsGlobal: false)
        w.statement(self)
        set.formUnion(w.visitor.names)
    }
}

extension Expr {
    /// Names read inside nested functions, as `Stmt.collectCapturedNames`.
    func collectCapturedNames(into set: inout Set<String>) {
        var w = SyntaxWalker(NameCollector(onlyInsideFunctions: true), topLevelIsGlobal: false)
        w.expression(self)
        set.formUnion(w.visitor.names)
    }
}
