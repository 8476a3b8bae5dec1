import Foundation

/// Where a resolved variable lives.
enum VarLoc {
    case slot(Int)        // unboxed local of the current frame
    case box(Int)         // local captured by some closure: frame.boxes[i]
    case capture(Int)     // variable of an enclosing function: frame.captures[i]
    case global(Box)
}

/// Compile-time view of one function body (or of top-level code).
final class Scope {
    let parent: Scope?
    let name: String
    let isMain: Bool
    var blocks: [[String: VarLoc]] = [[:]]
    var slotCount = 0
    var boxCount = 0
    var captures: [VarLoc] = []
    var captureNames: [String: Int] = [:]
    /// Names used by nested functions: locals with these names live in boxes.
    let boxed: Set<String>

    init(parent: Scope?, name: String, isMain: Bool, boxed: Set<String>) {
        self.parent = parent; self.name = name; self.isMain = isMain; self.boxed = boxed
    }
    var visibleNames: [String] {
        var out = blocks.flatMap { $0.keys } + Array(captureNames.keys)
        if let p = parent { out += p.visibleNames }
        return out
    }
}

/// Resolves names to slots and turns the AST into a tree of Swift closures, once.
final class Compiler {
    let interp: Interpreter
    let rt: Runtime
    let src: SourceFile
    var scope: Scope

    init(interp: Interpreter, src: SourceFile, program: [Stmt]) {
        self.interp = interp; self.rt = interp.rt; self.src = src
        var boxed = Set<String>()
        for s in program { s.collectCapturedNames(into: &boxed) }
        scope = Scope(parent: nil, name: "<main>", isMain: true, boxed: boxed)
    }

    // MARK: names

    func declare(_ name: String) -> VarLoc {
        let loc: VarLoc
        if scope.isMain && scope.blocks.count == 1 {
            loc = .global(interp.globalBox(name))
            interp.userGlobals.insert(name)
        } else if scope.boxed.contains(name) {
            loc = .box(scope.boxCount); scope.boxCount += 1
        } else {
            loc = .slot(scope.slotCount); scope.slotCount += 1
        }
        scope.blocks[scope.blocks.count - 1][name] = loc
        return loc
    }

    func lookup(_ name: String) -> VarLoc { lookup(name, in: scope) }

    func lookup(_ name: String, in s: Scope) -> VarLoc {
        for b in s.blocks.reversed() { if let l = b[name] { return l } }
        if let i = s.captureNames[name] { return .capture(i) }
        guard let p = s.parent else { return .global(interp.globalBox(name)) }
        let outer = lookup(name, in: p)
        switch outer {
        case .global: return outer
        case .slot:
            // Cannot happen: names used by nested functions are boxed in every enclosing scope.
            preconditionFailure("captured variable '\(name)' was not boxed")
        case .box, .capture:
            let k = s.captures.count
            s.captures.append(outer); s.captureNames[name] = k
            return .capture(k)
        }
    }

    /// Not generic on purpose: a generic result would store the closure reabstracted (a thunk per call).
    func withBlock(_ body: () throws -> Code) rethrows -> Code {
        scope.blocks.append([:]); defer { scope.blocks.removeLast() }
        return try body()
    }

    // MARK: program and blocks

    func compileMain(_ program: [Stmt]) throws -> Code { try compileStatements(program) }

    /// A sequence of statements; its value is the value of the last one.
    func compileStatements(_ stmts: [Stmt]) throws -> Code {
        let ctl = rt.ctl
        switch stmts.count {
        case 0: return { _ in .nil }
        case 1: return try compileStmt(stmts[0])
        case 2:
            let a = try compileStmt(stmts[0]), b = try compileStmt(stmts[1])
            return { f in
                _ = try a(f)
                if ctl.pointee != Unwind.none { return .nil }
                return try b(f)
            }
        default:
            let first = try stmts.dropLast().map { CodeBox(run: try compileStmt($0)) }
            let last = try compileStmt(stmts[stmts.count - 1])
            return { f in
                for c in first {
                    _ = try c.run(f)
                    if ctl.pointee != Unwind.none { return .nil }
                }
                return try last(f)
            }
        }
    }

    func compileBlock(_ stmts: [Stmt]) throws -> Code { try withBlock { try compileStatements(stmts) } }

    // MARK: statements

    func compileStmt(_ s: Stmt) throws -> Code {
        switch s.kind {
        case .expr(let e): return try compileExpr(e)
        case .letDecl(let name, let e, _):
            let value = try compileExpr(e)
            let loc = declare(name)
            return storeNew(loc, value)
        case .fnDecl(let decl):
            let loc = declare(decl.name!)
            let make = try compileFunction(decl, name: decl.name!)
            switch loc {
            case .box(let i):
                return { f in
                    let b = Box(.nil); f.boxes[i] = b
                    b.value = make(f); return .nil
                }
            default:
                let store = storeNew(loc) { f in make(f) }
                return store
            }
        case .assign(let target, let op, let e):
            return try compileAssign(target, op, e, s.span)
        case .whileLoop(let c, let body):
            return try compileWhile(c, body)
        case .forLoop(let idx, let name, let iter, let body):
            return try compileFor(idx, name, iter, body, s.span)
        case .returnStmt(let e):
            let ctl = rt.ctl, ret = rt.ret
            guard let e else { return { _ in ctl.pointee = Unwind.returning; return .nil } }
            let v = try compileExpr(e)
            return { f in
                ret.pointee = try v(f)
                ctl.pointee = Unwind.returning
                return .nil
            }
        case .breakStmt:
            let ctl = rt.ctl
            return { _ in ctl.pointee = Unwind.breakLoop; return .nil }
        case .continueStmt:
            let ctl = rt.ctl
            return { _ in ctl.pointee = Unwind.continueLoop; return .nil }
        case .importStmt(let name):
            let src = self.src, span = s.span
            unowned(unsafe) let interp = self.interp
            return { _ in
                do { try interp.importModule(name, from: src) } catch { throw located(error, src, span) }
                return .nil
            }
        }
    }

    /// Store into a freshly declared variable (a new box each time for boxed locals, so closures
    /// created in different loop iterations see different variables).
    func storeNew(_ loc: VarLoc, _ value: @escaping Code) -> Code {
        switch loc {
        case .slot(let i): return { f in f.slots[i] = try value(f); return .nil }
        case .box(let i): return { f in f.boxes[i] = Box(try value(f)); return .nil }
        case .capture(let i): return { f in f.captures[i].value = try value(f); return .nil }
        case .global(let b):
            return { f in let v = try value(f); b.ref.pointee = Box.Storage(value: v, defined: true); return .nil }
        }
    }

    func read(_ loc: VarLoc, _ name: String, _ span: Span) -> Code {
        switch loc {
        case .slot(let i): return { f in f.slots[i] }
        case .box(let i): return { f in f.boxes[i]!.ref.pointee.value }
        case .capture(let i): return { f in f.captures[i].ref.pointee.value }
        case .global(let b):
            let site = nameSite(name, span)
            let st = b.ref
            return { _ in
                if st.pointee.defined { return st.pointee.value }
                throw site.undefined()
            }
        }
    }

    func nameSite(_ name: String, _ span: Span) -> NameSite {
        NameSite(name: name, visible: scope.visibleNames, src: src, span: span, interp: interp)
    }

    func write(_ loc: VarLoc, _ name: String, _ span: Span) -> (Frame, Value) throws -> Void {
        switch loc {
        case .slot(let i): return { f, v in f.slots[i] = v }
        case .box(let i): return { f, v in f.boxes[i]!.value = v }
        case .capture(let i): return { f, v in f.captures[i].value = v }
        case .global(let b):
            let src = self.src
            unowned(unsafe) let interp = self.interp
            let visible = scope.visibleNames
            return { _, v in
                if !b.defined {
                    var e = interp.undefinedName(name, visible: visible, src: src, span: span)
                    e.message = "assignment to undeclared variable '\(name)' (declare it with 'let')"
                    throw e
                }
                b.value = v
            }
        }
    }

    func compileAssign(_ target: Expr, _ op: String, _ e: Expr, _ span: Span) throws -> Code {
        let value = try compileExpr(e)
        let binop: BinaryOperator? = op == "=" ? nil : BinaryOperator(rawValue: String(op.dropLast()))
        let src = self.src
        switch target.kind {
        case .name(let name):
            let loc = lookup(name)
            guard let bop = binop else {
                if case .slot(let i) = loc { return { f in f.slots[i] = try value(f); return .nil } }
                let w = write(loc, name, target.span)
                return { f in try w(f, try value(f)); return .nil }
            }
            let r = read(loc, name, target.span)
            if case .slot(let i) = loc, bop == .add || bop == .subtract || bop == .multiply {
                return { f in
                    let v = try value(f)
                    if case .number(let x) = f.slots[i], case .number(let y) = v {
                        switch bop {
                        case .add: f.slots[i] = .number(x + y)
                        case .subtract: f.slots[i] = .number(x - y)
                        default: f.slots[i] = .number(x * y)
                        }
                        return .nil
                    }
                    do { f.slots[i] = try Ops.binary(bop, f.slots[i], v) } catch { throw located(error, src, span) }
                    return .nil
                }
            }
            let w = write(loc, name, target.span)
            return { f in
                let old = try r(f)
                let v = try value(f)
                let n: Value
                if case .number(let x) = old, case .number(let y) = v, bop == .add { n = .number(x + y) }
                else { do { n = try Ops.binary(bop, old, v) } catch { throw located(error, src, span) } }
                try w(f, n)
                return .nil
            }
        case .index(let base, let items):
            let b = try compileExpr(base)
            let its = try compileIndexItems(items)
            return { f in
                let bv = try b(f)
                let iv = try its(f)
                do {
                    if let bop = binop {
                        let old = try Ops.index(bv, iv)
                        try Ops.setIndex(bv, iv, try Ops.binary(bop, old, try value(f)))
                    } else {
                        try Ops.setIndex(bv, iv, try value(f))
                    }
                } catch { throw located(error, src, span) }
                return .nil
            }
        case .member(let base, let name):
            let b = try compileExpr(base)
            unowned(unsafe) let interp = self.interp
            return { f in
                let bv = try b(f)
                do {
                    var v = try value(f)
                    if let bop = binop { v = try Ops.binary(bop, try interp.member(bv, name), v) }
                    try interp.setMember(bv, name, v)
                } catch { throw located(error, src, span) }
                return .nil
            }
        default:
            throw DprmError(.syntax, "cannot assign to this expression", location: src.location(target.span))
        }
    }

    // MARK: loops

    /// After a loop body: 0 = go on, 1 = leave the loop, 2 = leave the loop and propagate `return`.
    func compileWhile(_ c: Expr, _ body: [Stmt]) throws -> Code {
        let cond = try compileCondition(c)
        let b = try compileBlock(body)
        let ctl = rt.ctl, intr = rt.interrupt
        unowned(unsafe) let rt = self.rt
        return { f in
            while try cond(f) {
                _ = try b(f)
                let k = ctl.pointee
                if k != Unwind.none {
                    if k == Unwind.breakLoop { ctl.pointee = Unwind.none; break }
                    if k == Unwind.continueLoop { ctl.pointee = Unwind.none } else { return .nil }
                }
                if intr.isSet { throw rt.interruptedError() }
            }
            return .nil
        }
    }

    func compileFor(_ indexName: String?, _ name: String, _ iter: Expr, _ body: [Stmt], _ span: Span) throws -> Code {
        let it = try compileExpr(iter)
        return try withBlock {
            let idxStore: ((Frame, Value) -> Void)? = indexName.map { storeLoop(declare($0)) }
            let store = storeLoop(declare(name))
            let b = try compileStatements(body)
            let ctl = rt.ctl, intr = rt.interrupt
            unowned(unsafe) let rt = self.rt
            unowned(unsafe) let interp = self.interp
            let src = self.src, iterSpan = iter.span
            // Returns true when the loop must stop.
            @inline(__always) func after() throws -> Int {
                let k = ctl.pointee
                if k != Unwind.none {
                    if k == Unwind.breakLoop { ctl.pointee = Unwind.none; return 1 }
                    if k == Unwind.continueLoop { ctl.pointee = Unwind.none } else { return 2 }
                }
                if intr.isSet { throw rt.interruptedError() }
                return 0
            }
            return { f in
                let seq = try it(f)
                var n = 0
                switch seq {
                case .range(let lo, let hi):
                    var i = lo
                    while i < hi {
                        idxStore?(f, .int(n)); n += 1
                        store(f, .number(Double(i)))
                        _ = try b(f)
                        if try after() != 0 { break }
                        i += 1
                    }
                case .list(let l):
                    while n < l.items.count {
                        idxStore?(f, .int(n))
                        store(f, l.items[n]); n += 1
                        _ = try b(f)
                        if try after() != 0 { break }
                    }
                case .dict(let d):
                    for k in d.keys {
                        idxStore?(f, .int(n)); n += 1
                        store(f, .string(k))
                        _ = try b(f)
                        if try after() != 0 { break }
                    }
                case .string(let s):
                    for c in s {
                        idxStore?(f, .int(n)); n += 1
                        store(f, .string(String(c)))
                        _ = try b(f)
                        if try after() != 0 { break }
                    }
                case .native(let o):
                    guard let next = try o.makeIterator() else {
                        throw DprmError(.type, "cannot iterate over \(o.typeName)", location: src.location(iterSpan))
                    }
                    while let v = try next() {
                        idxStore?(f, .int(n)); n += 1
                        store(f, v)
                        _ = try b(f)
                        if try after() != 0 { break }
                    }
                default:
                    _ = interp
                    throw DprmError(.type, "cannot iterate over \(seq.typeName)", location: src.location(iterSpan))
                }
                return .nil
            }
        }
    }

    func storeLoop(_ loc: VarLoc) -> (Frame, Value) -> Void {
        switch loc {
        case .slot(let i): return { f, v in f.slots[i] = v }
        case .box(let i): return { f, v in f.boxes[i] = Box(v) }
        case .capture(let i): return { f, v in f.captures[i].value = v }
        case .global(let b): return { _, v in b.ref.pointee = Box.Storage(value: v, defined: true) }
        }
    }
}

/// What an "undefined name" error needs, kept out of the hot closure's context.
final class NameSite {
    let name: String
    let visible: [String]
    let src: SourceFile
    let span: Span
    unowned let interp: Interpreter
    init(name: String, visible: [String], src: SourceFile, span: Span, interp: Interpreter) {
        self.name = name; self.visible = visible; self.src = src; self.span = span; self.interp = interp
    }
    func undefined() -> DprmError { interp.undefinedName(name, visible: visible, src: src, span: span) }
}

/// Attaches a location to an error that has none yet; wraps foreign errors.
func located(_ error: Error, _ src: SourceFile, _ span: Span) -> Error {
    if var d = error as? DprmError {
        if d.location == nil { d.location = src.location(span) }
        return d
    }
    return DprmError(.runtime, "\(error)", location: src.location(span))
}
