import Foundation

/// A positional call of a global with one or two arguments (`fib(n - 1)`, `f(x)`, `g(a, b)`): reads
/// the global in place and, for a .dprm function with exactly that many simple parameters, binds
/// the arguments straight into the new frame; any other callee takes the general path.
///
/// One object holds everything, so each compiled call closure captures a single reference: a
/// closure capturing many values copies them all into arguments on every call.
final class GlobalCall {
    let global: UnsafeMutablePointer<Box.Storage>
    let nameSite: NameSite
    let rt: Runtime
    let site: CallSite
    let a0: Code
    let a1: Code
    /// Evaluates the arguments and calls any callee (natives, keywords, defaults, variadics).
    let general: (Frame, Value) throws -> Value
    /// Read once here: each read of a static costs a `swift_once` check.
    let noCaptures = Runtime.noCaptures

    init(global: UnsafeMutablePointer<Box.Storage>, nameSite: NameSite, rt: Runtime, site: CallSite,
         args: [Code], general: @escaping (Frame, Value) throws -> Value) {
        self.global = global; self.nameSite = nameSite; self.rt = rt; self.site = site
        self.a0 = args.count > 0 ? args[0] : { _ in .nil }
        self.a1 = args.count > 1 ? args[1] : { _ in .nil }
        self.general = general
    }

    /// `f(n + delta)` with `n` the local in `slot` (`delta` may be 0 or negative).
    @inline(__always)
    func call(_ f: Frame, slot: Int, plus delta: Double) throws -> Value {
        guard global.pointee.defined else { throw nameSite.undefined() }
        // `x + 0` would turn -0 into 0, hence the test.
        if let c = global.pointee.value.plainCallee(arity: 1), case .number(let x) = f.slots[slot] {
            let frame = try rt.push(slotCount: c.slotCount, boxCount: c.boxCount, captures: noCaptures, from: 1)
            frame.slots.initialize(to: .number(delta == 0 ? x : x + delta))
            return try rt.call(c.proto, frame, site)
        }
        if case .function(let fn) = global.pointee.value, fn.fastArity == 1, case .number(let x) = f.slots[slot] {
            let frame = try rt.push(slotCount: fn.slotCount, boxCount: fn.boxCount, captures: fn.captures, from: 1)
            frame.slots.initialize(to: .number(delta == 0 ? x : x + delta))
            return try rt.call(fn, frame, site)
        }
        return try general(f, global.pointee.value)
    }

    /// `f(x)`. The callee is read before the argument is evaluated, as in every call. A plain
    /// callee's `PlainCallee` stays valid even if evaluating the argument rebinds the global.
    @inline(__always)
    func call1(_ f: Frame) throws -> Value {
        guard global.pointee.defined else { throw nameSite.undefined() }
        if let c = global.pointee.value.plainCallee(arity: 1) {
            let v0 = try a0(f)
            let frame = try rt.push(slotCount: c.slotCount, boxCount: c.boxCount, captures: noCaptures, from: 1)
            frame.slots.initialize(to: v0)
            return try rt.call(c.proto, frame, site)
        }
        if case .function(let fn) = global.pointee.value, fn.fastArity == 1 {
            let v0 = try a0(f)
            let frame = try rt.push(slotCount: fn.slotCount, boxCount: fn.boxCount, captures: fn.captures, from: 1)
            frame.slots.initialize(to: v0)
            return try rt.call(fn, frame, site)
        }
        return try general(f, global.pointee.value)
    }

    /// `f(x, y)`, as `call1`.
    @inline(__always)
    func call2(_ f: Frame) throws -> Value {
        guard global.pointee.defined else { throw nameSite.undefined() }
        if let c = global.pointee.value.plainCallee(arity: 2) {
            let v0 = try a0(f), v1 = try a1(f)
            let frame = try rt.push(slotCount: c.slotCount, boxCount: c.boxCount, captures: noCaptures, from: 2)
            frame.slots.initialize(to: v0); (frame.slots + 1).initialize(to: v1)
            return try rt.call(c.proto, frame, site)
        }
        if case .function(let fn) = global.pointee.value, fn.fastArity == 2 {
            let v0 = try a0(f), v1 = try a1(f)
            let frame = try rt.push(slotCount: fn.slotCount, boxCount: fn.boxCount, captures: fn.captures, from: 2)
            frame.slots.initialize(to: v0); (frame.slots + 1).initialize(to: v1)
            return try rt.call(fn, frame, site)
        }
        return try general(f, global.pointee.value)
    }
}
