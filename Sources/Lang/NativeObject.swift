import Foundation

/// A host object exposed to .dprm scripts (tensors, models, datasets, runs). Every requirement
/// except `typeName` has a default, so a type implements only what it supports.
///
/// Errors thrown from these hooks should be `DprmError.type(...)` / `DprmError.runtime(...)`;
/// the interpreter attaches the source location and stack trace.
public protocol NativeObject: AnyObject {
    /// The type name shown in messages and by `type(x)`, e.g. `tensor`.
    var typeName: String { get }
    /// A field (`x.shape`) or a bound method (`x.sum`, returned as `.function`); nil if unknown.
    func member(_ name: String) throws -> Value?
    /// Names offered by completion after `x.` and by "did you mean" for members.
    var memberNames: [String] { get }
    /// The documentation of each member, for `:help x.name` (`TabledObject` provides it).
    var memberDocs: [MemberDoc] { get }
    /// Assignment `x.name = value`; return false if the field does not exist or is read-only.
    func setMember(_ name: String, _ value: Value) throws -> Bool
    /// `self op other` (or `other op self` when `isRight`); nil if unsupported (a type error follows).
    func binary(_ op: BinaryOperator, _ other: Value, isRight: Bool) throws -> Value?
    /// Unary minus; nil if unsupported.
    func negate() throws -> Value?
    /// `x[items...]`.
    func index(_ items: [IndexItem]) throws -> Value
    /// `x[items...] = value`.
    func setIndex(_ items: [IndexItem], _ value: Value) throws
    /// An iterator for `for v in x`: a closure returning the next value or nil at the end; nil if not iterable.
    func makeIterator() throws -> (() throws -> Value?)?
    /// `len(x)`; nil if the object has no length.
    var length: Int? { get }
    /// One line for `:who` and for printing inside lists, e.g. `tensor [3x4] float32`.
    var summary: String { get }
    /// What `print(x)` and the REPL show.
    var description: String { get }
    /// `==`; identity by default.
    func isEqual(to other: NativeObject) -> Bool
}

extension NativeObject {
    public func member(_ name: String) throws -> Value? { nil }
    public var memberNames: [String] { [] }
    public var memberDocs: [MemberDoc] { [] }
    public func setMember(_ name: String, _ value: Value) throws -> Bool { false }
    public func binary(_ op: BinaryOperator, _ other: Value, isRight: Bool) throws -> Value? { nil }
    public func negate() throws -> Value? { nil }
    public func index(_ items: [IndexItem]) throws -> Value {
        throw DprmError.type("\(typeName) is not indexable")
    }
    public func setIndex(_ items: [IndexItem], _ value: Value) throws {
        throw DprmError.type("\(typeName) does not support index assignment")
    }
    public func makeIterator() throws -> (() throws -> Value?)? { nil }
    public var length: Int? { nil }
    public var summary: String { "<\(typeName)>" }
    public var description: String { summary }
    public func isEqual(to other: NativeObject) -> Bool { self === other }
}
