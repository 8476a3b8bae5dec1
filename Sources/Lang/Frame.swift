import Foundation
import Synchronization

typealias Code = (Frame) throws -> Value

/// Wraps a `Code` for storage in arrays: a closure stored directly in a generic container is kept
/// at maximal abstraction and every call goes through a reabstraction thunk.
struct CodeBox { let run: Code }

/// Control-flow signal left by `break`, `continue` and `return` for the enclosing loop or call.
/// There is one per interpreter: only one unwinding is ever in progress.
enum Unwind { static let none = 0, breakLoop = 1, continueLoop = 2, returning = 3 }

/// The activation record of one call: a window of the interpreter's value stack (locals), a
/// window of its box stack (locals captured by closures), and the boxes the running closure
/// captured. Frames never outlive their call (closures capture boxes, not frames), so they live
/// on these stacks: a call allocates nothing.
struct Frame {
    let slots: UnsafeMutablePointer<Value>
    let boxes: UnsafeMutablePointer<Box?>
    let captures: UnsafeMutablePointer<Box>
}

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

/// A compiled .dprm function: parameters are slots `0..<params.count` (the variadic one last).
/// Immutable, so the call path reads it without exclusivity checks.
final class FunctionProto {
    let name: String
    let paramNames: [String]
    let defaults: [CodeBox?]
    let displayParams: [String]
    /// Index of the variadic parameter, if any (always the last).
    let variadic: Int?
    /// For each parameter, the box index it moves into when closures capture it.
    let paramBox: [Int?]
    let slotCount: Int
    let boxCount: Int
    let body: Code
    /// Where the function was declared, for messages.
    let src: SourceFile
    let span: Span
    /// True when no parameter is boxed or variadic: arguments go straight into slots.
    let simple: Bool
    let paramCount: Int
    let requiredCount: Int

    init(name: String, paramNames: [String], defaults: [CodeBox?], displayParams: [String], variadic: Int?,
         paramBox: [Int?], slotCount: Int, boxCount: Int, body: @escaping Code, src: SourceFile, span: Span, requiredCount: Int) {
        self.name = name; self.paramNames = paramNames; self.defaults = defaults; self.displayParams = displayParams
        self.variadic = variadic; self.paramBox = paramBox; self.slotCount = slotCount; self.boxCount = boxCount
        self.body = body; self.src = src; self.span = span; self.requiredCount = requiredCount
        self.paramCount = paramNames.count
        self.simple = variadic == nil && paramBox.allSatisfy { $0 == nil }
    }
}
