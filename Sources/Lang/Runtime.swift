import Foundation
import Support
import Synchronization

// The runtime of compiled code: the value and box stacks, call sites, calls and argument binding.

/// Interrupt request flag, safe to set from any thread (e.g. a SIGINT handler thread).
final class InterruptFlag: @unchecked Sendable {
    let flag = Atomic<Bool>(false)
    @inline(__always) var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
    func clear() { flag.store(false, ordering: .relaxed) }
}

/// Execution state shared by all compiled code of one interpreter.
final class Runtime {
    let ctl: UnsafeMutablePointer<Int>
    let ret: UnsafeMutablePointer<Value>
    let depth: UnsafeMutablePointer<Int>
    let interrupt = InterruptFlag()
    let maxDepth: Int
    unowned let interp: Interpreter
    let stack: UnsafeMutablePointer<Value>
    let stackCapacity = 1 << 20
    let sp: UnsafeMutablePointer<Int>
    let boxStack: UnsafeMutablePointer<Box?>
    let boxCapacity = 1 << 18
    let bsp: UnsafeMutablePointer<Int>
    static let noCaptures = UnsafeMutablePointer<Box>.allocate(capacity: 1)

    init(interp: Interpreter, maxDepth: Int) {
        self.interp = interp; self.maxDepth = maxDepth
        stack = .allocate(capacity: stackCapacity); sp = .allocate(capacity: 1); sp.initialize(to: 0)
        boxStack = .allocate(capacity: boxCapacity); bsp = .allocate(capacity: 1); bsp.initialize(to: 0)
        ctl = .allocate(capacity: 1); ctl.initialize(to: Unwind.none)
        ret = .allocate(capacity: 1); ret.initialize(to: .nil)
        depth = .allocate(capacity: 1); depth.initialize(to: 0)
    }
    deinit {
        ctl.deallocate(); ret.deinitialize(count: 1); ret.deallocate(); depth.deallocate()
        stack.deallocate(); sp.deallocate(); boxStack.deallocate(); bsp.deallocate()
    }

    /// Reserves and clears a frame on the stacks. Pair with `pop` (use `defer`).
    @inline(__always)
    func push(slotCount n: Int, boxCount bc: Int, captures: UnsafeMutablePointer<Box>, from first: Int = 0) throws -> Frame {
        let s = sp.pointee
        if s + n > stackCapacity { throw DprmError.runtime("recursion too deep (value stack exhausted)") }
        let base = stack + s
        // Slots below `first` are initialized by the caller (arguments).
        for k in first..<n { (base + k).initialize(to: .nil) }
        sp.pointee = s + n
        var boxes = boxStack + bsp.pointee
        if bc > 0 {
            let b = bsp.pointee
            if b + bc > boxCapacity { sp.pointee = s; throw DprmError.runtime("recursion too deep (box stack exhausted)") }
            boxes = boxStack + b
            boxes.initialize(repeating: nil, count: bc)
            bsp.pointee = b + bc
        }
        return Frame(slots: base, boxes: boxes, captures: captures)
    }

    @inline(__always)
    func pop(_ f: Frame, slotCount n: Int, boxCount bc: Int) {
        for k in 0..<n {
            // Locals are mostly numbers: skip the out-of-line destroy for values without references.
            switch f.slots[k] {
            case .nil, .bool, .number, .range: continue
            default: (f.slots + k).deinitialize(count: 1)
            }
        }
        sp.pointee = f.slots - stack
        if bc > 0 { f.boxes.deinitialize(count: bc); bsp.pointee = f.boxes - boxStack }
    }

    func interruptedError() -> DprmError {
        interrupt.clear()
        return DprmError(.interrupt, "interrupted")
    }
}

/// The caller side of a call expression, for stack traces.
final class CallSite {
    let caller: String
    let src: SourceFile
    let span: Span
    init(caller: String, src: SourceFile, span: Span) { self.caller = caller; self.src = src; self.span = span }
}

extension Runtime {
    /// Fast-path call of a .dprm function on a bound frame: runs it, pops it, and records the
    /// caller in the stack trace on errors. Callers pass only functions with a prototype (a fast
    /// arity), and hold `fn`, which holds the prototype, for the whole call.
    @inline(__always)
    func call(_ fn: Function, _ frame: Frame, _ site: CallSite) throws -> Value {
        try call(Unmanaged.passUnretained(fn.proto.unsafelyUnwrapped), frame, site)
    }

    /// Fast-path call on a bound frame, reading everything from the prototype. For a plain function
    /// (see `Value.plainCallee`) nothing is retained: the interpreter keeps every prototype alive.
    @inline(__always)
    func call(_ proto: Unmanaged<FunctionProto>, _ frame: Frame, _ site: CallSite) throws -> Value {
        try proto._withUnsafeGuaranteedRef { p in
            let d = depth.pointee + 1
            depth.pointee = d
            if d > maxDepth || interrupt.isSet { throw callRefused(p, frame, site) }
            let r: Value
            do {
                r = try p.body(frame)
            } catch {
                throw callFailed(error, p, frame, site)
            }
            depth.pointee = d - 1
            pop(frame, slotCount: p.slotCount, boxCount: p.boxCount)
            if ctl.pointee == Unwind.returning {
                ctl.pointee = Unwind.none
                let v = ret.move(); ret.initialize(to: .nil)
                return v
            }
            return r
        }
    }

    @inline(never)
    func callRefused(_ p: FunctionProto, _ frame: Frame, _ site: CallSite) -> Error {
        depth.pointee -= 1
        pop(frame, slotCount: p.slotCount, boxCount: p.boxCount)
        let e: DprmError = interrupt.isSet ? interruptedError()
            : DprmError.runtime("recursion too deep (more than \(maxDepth) nested calls) in \(p.name)()")
        return callerFrame(e, site.caller, site.src, site.span)
    }

    @inline(never)
    func callFailed(_ error: Error, _ p: FunctionProto, _ frame: Frame, _ site: CallSite) -> Error {
        depth.pointee -= 1
        pop(frame, slotCount: p.slotCount, boxCount: p.boxCount)
        var e = error
        if var de = error as? DprmError {
            if de.trace.isEmpty, let loc = de.location { de.trace = [TraceFrame(function: p.name, location: loc)] }
            e = de
        }
        return callerFrame(e, site.caller, site.src, site.span)
    }

    /// Runs a bound frame: depth and interrupt checks, the body, then the `return` value if any.
    @inline(__always)
    func run(_ proto: FunctionProto, _ frame: Frame) throws -> Value {
        let d = depth.pointee + 1
        depth.pointee = d
        defer { depth.pointee = d - 1 }
        if d > maxDepth || interrupt.isSet {
            if interrupt.isSet { throw interruptedError() }
            throw DprmError.runtime("recursion too deep (more than \(maxDepth) nested calls) in \(proto.name)()")
        }
        do {
            let r = try proto.body(frame)
            if ctl.pointee == Unwind.returning {
                ctl.pointee = Unwind.none
                let v = ret.move(); ret.initialize(to: .nil)
                return v
            }
            return r
        } catch {
            guard var e = error as? DprmError else { throw error }
            if e.trace.isEmpty, let loc = e.location { e.trace = [TraceFrame(function: proto.name, location: loc)] }
            throw e
        }
    }
}

extension Interpreter {
    /// Calls a function value (a .dprm function, lambda, builtin or bound method) from Swift.
    @discardableResult
    public func call(_ function: Value, _ args: [Value] = [], _ kwargs: [(name: String, value: Value)] = []) throws -> Value {
        try callValue(function, args, kwargs)
    }

    func callValue(_ callee: Value, _ pos: [Value], _ kw: [(name: String, value: Value)]) throws -> Value {
        guard case .function(let fn) = callee else {
            throw DprmError.type("\(callee.typeName) is not callable")
        }
        if let native = fn.native {
            var args = Arguments(callee: fn.name, positional: fn.receiver.map { [$0] + pos } ?? pos, keywords: kw, interpreter: self)
            return try native(&args)
        }
        let proto = fn.proto!
        let frame = try rt.push(slotCount: proto.slotCount, boxCount: proto.boxCount, captures: fn.captures)
        defer { rt.pop(frame, slotCount: proto.slotCount, boxCount: proto.boxCount) }
        try bind(proto, frame, pos, kw)
        return try rt.run(proto, frame)
    }

    func bind(_ proto: FunctionProto, _ frame: Frame, _ pos: [Value], _ kw: [(name: String, value: Value)]) throws {
        let n = proto.paramNames.count
        let fixed = proto.variadic ?? n
        var given = [Bool](repeating: false, count: n)
        if pos.count > fixed && proto.variadic == nil {
            throw DprmError.type("\(proto.name)() takes \(describeCount(proto)) but \(pos.count) \(pos.count == 1 ? "was" : "were") given")
        }
        for k in 0..<min(pos.count, fixed) { frame.slots[k] = pos[k]; given[k] = true }
        if let v = proto.variadic {
            frame.slots[v] = .list(ListRef(pos.count > fixed ? Array(pos[fixed...]) : []))
            given[v] = true
        }
        for (name, value) in kw {
            guard let k = proto.paramNames.firstIndex(of: name), k != proto.variadic else {
                var e = DprmError.type("\(proto.name)() got an unexpected keyword argument '\(name)'")
                if let s = closestName(name, in: proto.paramNames) { e.notes.append("did you mean `\(s)`?") }
                throw e
            }
            if given[k] { throw DprmError.type("\(proto.name)() got multiple values for argument '\(name)'") }
            frame.slots[k] = value; given[k] = true
        }
        for k in 0..<n where !given[k] {
            guard let d = proto.defaults[k] else {
                throw DprmError.type("\(proto.name)() missing argument '\(proto.paramNames[k])'")
            }
            // Defaults may read earlier parameters, which may already be boxed.
            frame.slots[k] = try d.run(frame)
            if let b = proto.paramBox[k] { frame.boxes[b] = Box(frame.slots[k]) }
        }
        for k in 0..<n { if let b = proto.paramBox[k], frame.boxes[b] == nil { frame.boxes[b] = Box(frame.slots[k]) } }
    }

    func describeCount(_ p: FunctionProto) -> String {
        let n = p.paramNames.count
        let s = p.requiredCount == n ? "\(n)" : "\(p.requiredCount) to \(n)"
        return "\(s) argument\(n == 1 ? "" : "s")"
    }
}
