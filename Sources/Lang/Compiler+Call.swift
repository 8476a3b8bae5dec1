import Foundation

extension Compiler {
    /// Calls. Positional calls of .dprm functions with exactly their parameter count evaluate the
    /// arguments straight into the new frame's slots; everything else goes through `Interpreter.callValue`.
    func compileCall(_ calleeExpr: Expr, _ args: [Arg], _ span: Span) throws -> Code {
        let callee = try compileExpr(calleeExpr)
        let codes = try args.map { CodeBox(run: try compileExpr($0.value)) }
        let labels = args.map { $0.label }
        let src = self.src
        let callerName = scope.name
        unowned(unsafe) let interp = self.interp
        // A strong capture: the closure context keeps the runtime alive, so calls on it are +0.
        // (An unowned(unsafe) capture costs a retain/release pair around every use: two per call.)
        let rt = self.rt
        let positionalOnly = labels.allSatisfy { $0 == nil }
        let argc = codes.count
        let site = CallSite(caller: callerName, src: src, span: span)

        func slowPath(_ f: Frame, _ cv: Value) throws -> Value {
            var pos: [Value] = []; var kw: [(name: String, value: Value)] = []
            for (k, c) in codes.enumerated() {
                let v = try c.run(f)
                if let l = labels[k] { kw.append((l, v)) } else { pos.append(v) }
            }
            do { return try interp.callValue(cv, pos, kw) } catch { throw callerFrame(error, callerName, src, span) }
        }

        // A global callee (the usual case: functions are declared at top level) is read in place.
        if positionalOnly && (argc == 1 || argc == 2), case .name(let cname) = calleeExpr.kind, case .global(let box) = lookup(cname) {
            let node = GlobalCall(global: box.ref, nameSite: nameSite(cname, calleeExpr.span), rt: rt, site: site,
                                  args: codes.map { $0.run }, general: slowPath)
            // `f(n - 1)` / `f(n + 1)` / `f(n)` with n a local: the argument is computed in place
            // (recursion on a counter is the most common call shape).
            if argc == 1, let (slot, delta) = slotPlusConstant(args[0].value) {
                return { f in try node.call(f, slot: slot, plus: delta) }
            }
            if argc == 1 { return { f in try node.call1(f) } }
            return { f in try node.call2(f) }
        }
        if positionalOnly && argc == 1 {
            let a0 = codes[0].run
            return { f in
                let cv = try callee(f)
                if case .function(let fn) = cv, fn.fastArity == 1 {
                    let frame = try rt.push(slotCount: fn.slotCount, boxCount: fn.boxCount, captures: fn.captures)
                    do { frame.slots[0] = try a0(f) } catch { rt.pop(frame, slotCount: fn.slotCount, boxCount: fn.boxCount); throw error }
                    return try rt.call(fn, frame, site)
                }
                return try slowPath(f, cv)
            }
        }
        if positionalOnly && argc == 2 {
            let a0 = codes[0].run, a1 = codes[1].run
            return { f in
                let cv = try callee(f)
                if case .function(let fn) = cv, fn.fastArity == 2 {
                    let frame = try rt.push(slotCount: fn.slotCount, boxCount: fn.boxCount, captures: fn.captures)
                    do { frame.slots[0] = try a0(f); frame.slots[1] = try a1(f) } catch { rt.pop(frame, slotCount: fn.slotCount, boxCount: fn.boxCount); throw error }
                    return try rt.call(fn, frame, site)
                }
                return try slowPath(f, cv)
            }
        }
        if positionalOnly {
            return { f in
                let cv = try callee(f)
                if case .function(let fn) = cv, fn.fastArity == argc {
                    let frame = try rt.push(slotCount: fn.slotCount, boxCount: fn.boxCount, captures: fn.captures)
                    do { for k in 0..<argc { frame.slots[k] = try codes[k].run(f) } } catch { rt.pop(frame, slotCount: fn.slotCount, boxCount: fn.boxCount); throw error }
                    return try rt.call(fn, frame, site)
                }
                return try slowPath(f, cv)
            }
        }
        return { f in try slowPath(f, try callee(f)) }
    }

    /// `recv.name(args)`: a native object's method, a function stored in a dict under `name`, a
    /// builtin called with the receiver first (`xs.push(1)` is `push(xs, 1)`), or a global .dprm
    /// function called the same way.
    func compileMethodCall(_ recvExpr: Expr, _ name: String, _ args: [Arg], _ span: Span, _ nameSpan: Span) throws -> Code {
        let recv = try compileExpr(recvExpr)
        let codes = try args.map { CodeBox(run: try compileExpr($0.value)) }
        let labels = args.map { $0.label }
        let src = self.src
        let callerName = scope.name
        unowned(unsafe) let interp = self.interp
        let method = interp.methodBox(name)
        let global = interp.globalBox(name)
        return { f in
            let r = try recv(f)
            var pos: [Value] = []; var kw: [(name: String, value: Value)] = []
            pos.reserveCapacity(codes.count + 1)
            var callee: Value
            switch r {
            case .native(let n):
                do {
                    guard let m = try n.member(name) else { throw interp.noMember(r, name) }
                    callee = m
                } catch { throw located(error, src, nameSpan) }
            case .dict(let d) where d[name] != nil:
                callee = d[name]!
            default:
                if method.defined {
                    callee = method.value; pos.append(r)
                } else if global.defined, case .function = global.value {
                    callee = global.value; pos.append(r)
                } else {
                    throw located(interp.noMember(r, name), src, nameSpan)
                }
            }
            for (k, c) in codes.enumerated() {
                let v = try c.run(f)
                if let l = labels[k] { kw.append((l, v)) } else { pos.append(v) }
            }
            do { return try interp.callValue(callee, pos, kw) } catch { throw callerFrame(error, callerName, src, span) }
        }
    }
}

extension Compiler {
    /// `n`, `n + k` or `n - k` with `n` an unboxed local and `k` a number literal.
    func slotPlusConstant(_ e: Expr) -> (Int, Double)? {
        if let s = slotOf(e) { return (s, 0) }
        if case .binary(let op, let l, let r) = e.kind, op == "+" || op == "-",
           case .literal(.number(let k)) = r.kind, let s = slotOf(l) {
            return (s, op == "+" ? k : -k)
        }
        return nil
    }
}

/// On the way out of a call: locate errors from builtins at the call site; for errors from inside
/// .dprm functions, record the caller's frame in the stack trace.
func callerFrame(_ error: Error, _ caller: String, _ src: SourceFile, _ span: Span) -> Error {
    guard var d = error as? DprmError else { return located(error, src, span) }
    if d.location == nil {
        d.location = src.location(span)
    } else if !d.trace.isEmpty {
        d.trace.insert(TraceFrame(function: caller, location: src.location(span)), at: 0)
    }
    return d
}
