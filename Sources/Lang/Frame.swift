import Foundation

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
