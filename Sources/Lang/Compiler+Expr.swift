import Foundation

extension Compiler {
    func compileExpr(_ e: Expr) throws -> Code {
        let src = self.src, span = e.span
        switch e.kind {
        case .literal(let v):
            return { _ in v }
        case .name(let n):
            return read(lookup(n), n, e.span)
        case .string(let pieces):
            var parts: [(String?, Code?, String?)] = []
            for p in pieces {
                switch p {
                case .text(let s): parts.append((s, nil, nil))
                case .expr(let x, let spec): parts.append((nil, try compileExpr(x), spec))
                }
            }
            return { f in
                var s = ""
                for (text, code, spec) in parts {
                    if let t = text { s += t; continue }
                    let v = try code!(f)
                    if let spec { do { s += try formatValue(v, spec: spec) } catch { throw located(error, src, span) } }
                    else { s += v.description }
                }
                return .string(s)
            }
        case .list(let items):
            let codes = try items.map { CodeBox(run: try compileExpr($0)) }
            return { f in
                var out: [Value] = []; out.reserveCapacity(codes.count)
                for c in codes { out.append(try c.run(f)) }
                return .list(ListRef(out))
            }
        case .dict(let pairs):
            let codes = try pairs.map { (try compileExpr($0.key), try compileExpr($0.value), $0.key.span) }
            return { f in
                let d = DictRef()
                for (k, v, ks) in codes {
                    guard case .string(let key) = try k(f) else {
                        throw DprmError(.type, "dict keys must be strings", location: src.location(ks))
                    }
                    d[key] = try v(f)
                }
                return .dict(d)
            }
        case .unary(let op, let x):
            let c = try compileExpr(x)
            if op == "not" { return { f in .bool(!(try c(f).isTruthy)) } }
            return { f in
                let v = try c(f)
                if case .number(let n) = v { return .number(-n) }
                do { return try Ops.negate(v) } catch { throw located(error, src, span) }
            }
        case .binary(let op, let l, let r):
            return try compileBinary(op, l, r, span)
        case .logical(let op, let l, let r):
            let a = try compileExpr(l), b = try compileExpr(r)
            if op == "and" { return { f in let v = try a(f); return v.isTruthy ? try b(f) : v } }
            return { f in let v = try a(f); return v.isTruthy ? v : try b(f) }
        case .range(let l, let r):
            let a = try compileExpr(l), b = try compileExpr(r)
            return { f in
                let x = try a(f), y = try b(f)
                guard case .number(let lo) = x, case .number(let hi) = y, lo == lo.rounded(), hi == hi.rounded(),
                      abs(lo) < 9e15, abs(hi) < 9e15 else {
                    throw DprmError(.type, "range bounds must be whole numbers, got \(x.repr) and \(y.repr)", location: src.location(span))
                }
                return .range(Int(lo), Int(hi))
            }
        case .call(let callee, let args):
            return try compileCall(callee, args, span)
        case .method(let recv, let name, let args, let nameSpan):
            return try compileMethodCall(recv, name, args, span, nameSpan)
        case .member(let base, let name):
            let b = try compileExpr(base)
            unowned(unsafe) let interp = self.interp
            return { f in
                let v = try b(f)
                do { return try interp.member(v, name) } catch { throw located(error, src, span) }
            }
        case .index(let base, let items):
            let b = try compileExpr(base)
            if items.count == 1, case .value(let ie) = items[0] {
                let i = try compileExpr(ie)
                return { f in
                    let bv = try b(f), iv = try i(f)
                    if case .list(let l) = bv, case .number(let x) = iv {
                        let k = Int(exactly: x) ?? -1
                        if k >= 0 && k < l.items.count { return l.items[k] }
                    }
                    do { return try Ops.index(bv, [.value(iv)]) } catch { throw located(error, src, span) }
                }
            }
            let its = try compileIndexItems(items)
            return { f in
                let bv = try b(f), iv = try its(f)
                do { return try Ops.index(bv, iv) } catch { throw located(error, src, span) }
            }
        case .function(let decl):
            let make = try compileFunction(decl, name: "<lambda>")
            return { f in make(f) }
        case .ifElse(let c, let t, let el):
            let cond = try compileCondition(c)
            let then = try compileBlock(t)
            // `if n < 2 { ... }`: the comparison is made here, not in a closure call (the base
            // case test of every recursive call); `cond` decides when `n` is not a number.
            let test = slotComparison(c)
            guard let el else {
                if let test {
                    return { f in
                        if let b = test.holds(f) { return b ? try then(f) : .nil }
                        return try cond(f) ? try then(f) : .nil
                    }
                }
                return { f in try cond(f) ? try then(f) : .nil }
            }
            let els = try compileBlock(el)
            if let test {
                return { f in
                    if let b = test.holds(f) { return b ? try then(f) : try els(f) }
                    return try cond(f) ? try then(f) : try els(f)
                }
            }
            return { f in try cond(f) ? try then(f) : try els(f) }
        case .block(let stmts):
            return try compileBlock(stmts)
        }
    }

    func compileIndexItems(_ items: [IndexExprItem]) throws -> (Frame) throws -> [IndexItem] {
        let src = self.src
        func bound(_ e: Expr?) throws -> ((Frame) throws -> Int?) {
            guard let e else { return { _ in nil } }
            let c = try compileExpr(e)
            return { f in
                let v = try c(f)
                if case .nil = v { return nil }
                guard case .number(let x) = v, x == x.rounded(), abs(x) < 9e15 else {
                    throw DprmError(.type, "slice bounds must be whole numbers, got \(v.repr)", location: src.location(e.span))
                }
                return Int(x)
            }
        }
        let compiled: [(Frame) throws -> IndexItem] = try items.map { item in
            switch item {
            case .value(let e):
                let c = try compileExpr(e)
                return { f in .value(try c(f)) }
            case .slice(let a, let b, let s):
                let ca = try bound(a), cb = try bound(b), cs = try bound(s)
                return { f in .slice(start: try ca(f), stop: try cb(f), step: try cs(f)) }
            }
        }
        return { f in try compiled.map { try $0(f) } }
    }

    // MARK: conditions (no Bool boxing for comparisons)

    func compileCondition(_ e: Expr) throws -> (Frame) throws -> Bool {
        let src = self.src, span = e.span
        switch e.kind {
        case .binary(let op, let l, let r) where ["<", "<=", ">", ">=", "==", "!="].contains(op):
            let bop = BinaryOperator(rawValue: op)!
            // `n < 2` with n a local: compare in place.
            if let test = slotComparison(e) {
                let kv = Value.number(test.constant), i = test.slot
                func slowK(_ x: Value) throws -> Bool {
                    do { return try Ops.binary(bop, x, kv).isTruthy } catch { throw located(error, src, span) }
                }
                return { f in if let b = test.holds(f) { return b }; return try slowK(f.slots[i]) }
            }
            let a = try compileExpr(l), b = try compileExpr(r)
            func slow(_ x: Value, _ y: Value) throws -> Bool {
                do { return try Ops.binary(bop, x, y).isTruthy } catch { throw located(error, src, span) }
            }
            switch op {
            case "<": return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return p < q }; return try slow(x, y) }
            case "<=": return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return p <= q }; return try slow(x, y) }
            case ">": return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return p > q }; return try slow(x, y) }
            case ">=": return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return p >= q }; return try slow(x, y) }
            case "==": return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return p == q }; return try slow(x, y) }
            default: return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return p != q }; return try slow(x, y) }
            }
        case .unary("not", let x):
            let c = try compileCondition(x)
            return { f in !(try c(f)) }
        case .logical(let op, let l, let r):
            let a = try compileCondition(l), b = try compileCondition(r)
            if op == "and" { return { f in try a(f) && b(f) } }
            return { f in try a(f) || b(f) }
        case .literal(let v):
            let t = v.isTruthy
            return { _ in t }
        default:
            let c = try compileExpr(e)
            return { f in try c(f).isTruthy }
        }
    }

    /// `n < k`, `n <= k`, `n > k` or `n >= k` with `n` an unboxed local and `k` a number literal.
    func slotComparison(_ e: Expr) -> SlotComparison? {
        guard case .binary(let op, let l, let r) = e.kind, case .literal(.number(let k)) = r.kind,
              let order = SlotComparison.Order(rawValue: op), let i = slotOf(l) else { return nil }
        return SlotComparison(slot: i, order: order, constant: k)
    }

    /// `return e` in tail position is just `e` (a function's value is its last expression), which
    /// skips the return signal on the most common path. Applied through trailing if/else branches,
    /// and to early exits: `if c { ...; return e }; rest` (no else) becomes
    /// `if c { ...; e } else { rest }`, since `rest` only runs when the branch is not taken. This is
    /// the shape of base cases (`if n < 2 { return n }`), so recursion returns without the signal.
    /// `rest` moves into a nested block, which changes nothing inside a function: its locals get
    /// slots (or boxes) either way.
    func tailReturns(_ body: [Stmt]) -> [Stmt] {
        for k in body.indices.dropLast() {
            guard case .expr(let e) = body[k].kind, case .ifElse(let c, let t, nil) = e.kind,
                  let exit = t.last, case .returnStmt = exit.kind else { continue }
            let rest = Array(body[(k + 1)...])
            let early = Expr(.ifElse(c, tailReturns(t), tailReturns(rest)), e.span)
            return Array(body[..<k]) + [Stmt(.expr(early), body[k].span)]
        }
        guard let last = body.last else { return body }
        var out = body
        switch last.kind {
        case .returnStmt(let e):
            // A bare `return` gives nil.
            out[out.count - 1] = Stmt(.expr(e ?? Expr(.literal(.nil), last.span)), last.span)
        case .expr(let e):
            if case .ifElse(let c, let t, let el) = e.kind {
                out[out.count - 1] = Stmt(.expr(Expr(.ifElse(c, tailReturns(t), el.map { tailReturns($0) }), e.span)), last.span)
            }
        default: break
        }
        return out
    }

    /// The local slot an expression reads, when it is a plain unboxed local.
    func slotOf(_ e: Expr) -> Int? {
        if case .name(let n) = e.kind, case .slot(let i) = lookup(n) { return i }
        return nil
    }

    // MARK: binary operators

    func compileBinary(_ op: String, _ l: Expr, _ r: Expr, _ span: Span) throws -> Code {
        let src = self.src
        let a = try compileExpr(l)
        if op == "in" || op == "not in" {
            let b = try compileExpr(r)
            let negate = op == "not in"
            return { f in
                let x = try a(f), y = try b(f)
                do { return .bool(try Ops.contains(y, x) != negate) } catch { throw located(error, src, span) }
            }
        }
        let bop = BinaryOperator(rawValue: op)!
        @inline(__always) func slow(_ x: Value, _ y: Value) throws -> Value {
            do { return try Ops.binary(bop, x, y) } catch { throw located(error, src, span) }
        }
        // Local on the left and constant number on the right (`n - 1`): no closure calls at all.
        if case .literal(.number(let k)) = r.kind, let i = slotOf(l) {
            let kv = Value.number(k)
            switch bop {
            case .add: return { f in if case .number(let p) = f.slots[i] { return .number(p + k) }; return try slow(f.slots[i], kv) }
            case .subtract: return { f in if case .number(let p) = f.slots[i] { return .number(p - k) }; return try slow(f.slots[i], kv) }
            case .multiply: return { f in if case .number(let p) = f.slots[i] { return .number(p * k) }; return try slow(f.slots[i], kv) }
            default: break
            }
        }
        // Constant number on the right (`n - 1`, `i * 2`): one less closure call.
        if case .literal(.number(let k)) = r.kind {
            let kv = Value.number(k)
            switch bop {
            case .add: return { f in let x = try a(f); if case .number(let p) = x { return .number(p + k) }; return try slow(x, kv) }
            case .subtract: return { f in let x = try a(f); if case .number(let p) = x { return .number(p - k) }; return try slow(x, kv) }
            case .multiply: return { f in let x = try a(f); if case .number(let p) = x { return .number(p * k) }; return try slow(x, kv) }
            case .divide: return { f in let x = try a(f); if case .number(let p) = x { return .number(p / k) }; return try slow(x, kv) }
            case .modulo: return { f in let x = try a(f); if case .number(let p) = x { return .number(Ops.mod(p, k)) }; return try slow(x, kv) }
            case .less: return { f in let x = try a(f); if case .number(let p) = x { return .bool(p < k) }; return try slow(x, kv) }
            default: break
            }
        }
        let b = try compileExpr(r)
        switch bop {
        case .add: return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return .number(p + q) }; return try slow(x, y) }
        case .subtract: return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return .number(p - q) }; return try slow(x, y) }
        case .multiply: return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return .number(p * q) }; return try slow(x, y) }
        case .divide: return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return .number(p / q) }; return try slow(x, y) }
        case .modulo: return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return .number(Ops.mod(p, q)) }; return try slow(x, y) }
        case .less: return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return .bool(p < q) }; return try slow(x, y) }
        case .greater: return { f in let x = try a(f), y = try b(f); if case .number(let p) = x, case .number(let q) = y { return .bool(p > q) }; return try slow(x, y) }
        default: return { f in try slow(try a(f), try b(f)) }
        }
    }

    // MARK: functions

    /// Compiles a function declaration; the returned closure creates the function value at run
    /// time, capturing the boxes it needs from the enclosing frame.
    func compileFunction(_ decl: FunctionDecl, name: String) throws -> (Frame) -> Value {
        var boxed = Set<String>()
        for s in decl.body { s.collectCapturedNames(into: &boxed) }
        for p in decl.params { p.defaultValue?.collectCapturedNames(into: &boxed) }
        let variadic = decl.params.firstIndex { $0.variadic }
        let outer = scope
        let inner = Scope(parent: outer, name: name, isMain: false, boxed: boxed)
        scope = inner
        defer { scope = outer }
        // Parameters occupy slots 0..<n; boxed ones are moved into boxes on entry.
        var paramLocs: [VarLoc] = [], paramBox: [Int?] = []
        for p in decl.params {
            let slot = inner.slotCount; inner.slotCount += 1
            if boxed.contains(p.name) {
                let bi = inner.boxCount; inner.boxCount += 1
                paramBox.append(bi); paramLocs.append(.box(bi))
            } else {
                paramBox.append(nil); paramLocs.append(.slot(slot))
            }
        }
        // Defaults see the parameters before them.
        var defaults: [CodeBox?] = [], display: [String] = []
        for (k, p) in decl.params.enumerated() {
            defaults.append(try p.defaultValue.map { CodeBox(run: try compileExpr($0)) })
            inner.blocks[0][p.name] = paramLocs[k]
            display.append(p.variadic ? "...\(p.name)" : (p.defaultValue.map { "\(p.name) = \(src.text($0.span))" } ?? p.name))
        }
        let body = try withBlock { try compileStatements(tailReturns(decl.body)) }
        let proto = FunctionProto(name: name, paramNames: decl.params.map { $0.name }, defaults: defaults, displayParams: display,
                                  variadic: variadic, paramBox: paramBox, slotCount: inner.slotCount, boxCount: inner.boxCount,
                                  body: body, src: src, span: decl.span,
                                  requiredCount: decl.params.filter { $0.defaultValue == nil && !$0.variadic }.count)
        interp.compiledFunctions.append(proto)
        let captureLocs = inner.captures
        if captureLocs.isEmpty {
            return { _ in .function(Function(proto: proto, captures: [])) }
        }
        return { f in
            var caps = ContiguousArray<Box>(); caps.reserveCapacity(captureLocs.count)
            for c in captureLocs {
                switch c {
                case .box(let i): caps.append(f.boxes[i]!)
                case .capture(let i): caps.append(f.captures[i])
                default: preconditionFailure("bad capture")
                }
            }
            return .function(Function(proto: proto, captures: caps))
        }
    }
}

/// A comparison of an unboxed local with a number literal (`n < 2`), tested in place.
struct SlotComparison {
    enum Order: String { case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=" }
    let slot: Int
    let order: Order
    let constant: Double

    /// The outcome, or nil when the local is not a number (then the general comparison decides,
    /// with its error messages).
    @inline(__always)
    func holds(_ f: Frame) -> Bool? {
        guard case .number(let p) = f.slots[slot] else { return nil }
        switch order {
        case .less: return p < constant
        case .lessEqual: return p <= constant
        case .greater: return p > constant
        case .greaterEqual: return p >= constant
        }
    }
}
