import Foundation
import Synchronization

typealias Code = (Frame) throws -> Value

/// Wraps a `Code` for storage in arrays: a closure stored directly in a generic container is kept
/// at maximal abstraction and every call goes through a reabstraction thunk.
struct CodeBox { let run: Code }

/// Control-flow signal left by `break`, `continue` and `return` for the enclosing loop or call.
/// There is one per interpreter: only one unwinding is ever in progress.
enum Unwind { static let none = 0, breakLoop = 1, continueLoop = 2, returning = 3 }

struct FrameHeader {
    let slotCount: Int
    let boxCount: Int
    let boxes: UnsafeMutablePointer<Box?>?
    let captures: ContiguousArray<Box>
}

/// The activation record of one call: local slots (tail-allocated, one allocation per call),
/// boxes for locals captured by closures, and the boxes this closure captured.
final class Frame: ManagedBuffer<FrameHeader, Value> {
    @inline(__always)
    static func make(slotCount: Int, boxCount: Int, captures: ContiguousArray<Box>) -> Frame {
        var boxes: UnsafeMutablePointer<Box?>? = nil
        if boxCount > 0 {
            let b = UnsafeMutablePointer<Box?>.allocate(capacity: boxCount)
            b.initialize(repeating: nil, count: boxCount)
            boxes = b
        }
        let buf = Frame.create(minimumCapacity: slotCount) { _ in
            FrameHeader(slotCount: slotCount, boxCount: boxCount, boxes: boxes, captures: captures)
        }
        let f = unsafeDowncast(buf, to: Frame.self)
        f.withUnsafeMutablePointerToElements { e in
            for k in 0..<slotCount { (e + k).initialize(to: .nil) }
        }
        return f
    }
    @inline(__always) var slots: UnsafeMutablePointer<Value> { withUnsafeMutablePointerToElements { $0 } }
    @inline(__always) var boxes: UnsafeMutablePointer<Box?>? { withUnsafeMutablePointerToHeader { $0.pointee.boxes } }
    @inline(__always) var captures: ContiguousArray<Box> { withUnsafeMutablePointerToHeader { $0.pointee.captures } }
    deinit {
        withUnsafeMutablePointers { h, e in
            for k in 0..<h.pointee.slotCount { (e + k).deinitialize(count: 1) }
            if let b = h.pointee.boxes { b.deinitialize(count: h.pointee.boxCount); b.deallocate() }
        }
    }
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

    init(interp: Interpreter, maxDepth: Int) {
        self.interp = interp; self.maxDepth = maxDepth
        ctl = .allocate(capacity: 1); ctl.initialize(to: Unwind.none)
        ret = .allocate(capacity: 1); ret.initialize(to: .nil)
        depth = .allocate(capacity: 1); depth.initialize(to: 0)
    }
    deinit {
        ctl.deallocate(); ret.deinitialize(count: 1); ret.deallocate(); depth.deallocate()
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
