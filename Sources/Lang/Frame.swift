import Foundation
import Synchronization

typealias Code = (Frame) throws -> Value

/// Control-flow signal left by `break`, `continue` and `return` for the enclosing loop or call.
/// There is one per interpreter: only one unwinding is ever in progress.
enum Unwind { static let none = 0, breakLoop = 1, continueLoop = 2, returning = 3 }

/// The activation record of one call: local slots, boxes for locals captured by closures,
/// and the boxes this closure captured.
final class Frame {
    let slots: UnsafeMutablePointer<Value>
    let slotCount: Int
    let boxes: UnsafeMutablePointer<Box?>?
    let boxCount: Int
    let captures: ContiguousArray<Box>

    init(slotCount: Int, boxCount: Int, captures: ContiguousArray<Box>) {
        self.slotCount = slotCount
        slots = .allocate(capacity: max(slotCount, 1))
        slots.initialize(repeating: .nil, count: slotCount)
        self.boxCount = boxCount
        if boxCount > 0 {
            let b = UnsafeMutablePointer<Box?>.allocate(capacity: boxCount)
            b.initialize(repeating: nil, count: boxCount)
            boxes = b
        } else { boxes = nil }
        self.captures = captures
    }
    deinit {
        slots.deinitialize(count: slotCount); slots.deallocate()
        if let b = boxes { b.deinitialize(count: boxCount); b.deallocate() }
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
    var maxDepth: Int
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
final class FunctionProto {
    let name: String
    let paramNames: [String]
    var defaults: [Code?] = []
    var displayParams: [String] = []
    /// Index of the variadic parameter, if any (always the last).
    let variadic: Int?
    /// For each parameter, the box index it moves into when closures capture it.
    var paramBox: [Int?] = []
    var slotCount = 0
    var boxCount = 0
    var body: Code = { _ in .nil }
    /// Location of the declaration, for messages.
    let src: SourceFile
    let span: Span
    /// True when no parameter is boxed or variadic: arguments go straight into slots.
    var simple = true
    var requiredCount = 0

    init(name: String, paramNames: [String], variadic: Int?, src: SourceFile, span: Span) {
        self.name = name; self.paramNames = paramNames; self.variadic = variadic; self.src = src; self.span = span
    }
}
