import Foundation

/// One member of a native object type, declared once: its name, how it is written, its doc line,
/// and how to read, assign or call it. Lookup (`x.name`), assignment (`x.name = v`), completion
/// after `x.`, "did you mean", `:help x.name` and the docs test all read the same table.
public struct NativeMember<Object: NativeObject> {
    /// The name after the dot.
    public let name: String
    /// How it is written: `t.shape` for a field, `t.sum(axis: nil, keepdims: false)` for a method.
    public let signature: String
    /// One line.
    public let summary: String
    let get: ((Object) throws -> Value)?
    let set: ((Object, Value) throws -> Void)?
    let call: ((Object, inout Arguments) throws -> Value)?

    /// A read-only field.
    public static func field(_ name: String, _ summary: String, _ get: @escaping (Object) throws -> Value) -> NativeMember {
        NativeMember(name: name, signature: name, summary: summary, get: get, set: nil, call: nil)
    }

    /// A field that scripts may also assign (`x.name = value`); `set` checks the value.
    public static func field(_ name: String, _ summary: String, get: @escaping (Object) throws -> Value,
                             set: @escaping (Object, Value) throws -> Void) -> NativeMember {
        NativeMember(name: name, signature: name, summary: summary, get: get, set: set, call: nil)
    }

    /// A method. `signature` is its call form after the receiver (`sum(axis: nil, keepdims: false)`).
    /// The receiver comes as `Object`; `Arguments` holds only the call's own arguments, from index 0.
    public static func method(_ name: String, _ signature: String, _ summary: String,
                              _ call: @escaping (Object, inout Arguments) throws -> Value) -> NativeMember {
        NativeMember(name: name, signature: signature, summary: summary, get: nil, set: nil, call: call)
    }

    /// What help and completion show of this member.
    public var doc: MemberDoc {
        MemberDoc(name: name, signature: signature, summary: summary,
                  kind: call != nil ? .method : (set != nil ? .settableField : .field))
    }
}

/// The documentation of one member of a native object, independent of its type.
public struct MemberDoc: Equatable {
    public enum Kind: Equatable { case field, settableField, method }
    public let name: String
    /// `shape` for a field, `sum(axis: nil, keepdims: false)` for a method.
    public let signature: String
    public let summary: String
    public let kind: Kind

    public init(name: String, signature: String, summary: String, kind: Kind) {
        self.name = name; self.signature = signature; self.summary = summary; self.kind = kind
    }

    /// The help text of `receiver.name`: the call form, then the doc line.
    public func helpText(receiver: String) -> String {
        let settable = kind == .settableField ? " (settable)" : ""
        return "\(receiver).\(signature)\(settable)\n  \(summary)"
    }
}

/// The members of one native object type, with an index for lookup by name.
public struct MemberTable<Object: NativeObject> {
    public let members: [NativeMember<Object>]
    /// Prefix of the methods' names in messages (`figure` gives `figure.plot() ...`); nil for none.
    public let qualifier: String?
    private let index: [String: Int]

    public init(_ members: [NativeMember<Object>], qualifier: String? = nil) {
        self.members = members; self.qualifier = qualifier
        var index: [String: Int] = [:]
        for (k, m) in members.enumerated() {
            precondition(index[m.name] == nil, "member '\(m.name)' declared twice")
            index[m.name] = k
        }
        self.index = index
    }

    public subscript(name: String) -> NativeMember<Object>? { index[name].map { members[$0] } }
    public var names: [String] { members.map(\.name) }
    public var docs: [MemberDoc] { members.map(\.doc) }
}

/// A native object whose members come from one `MemberTable`: `member`, `setMember`,
/// `memberNames` and `memberDocs` are provided.
public protocol TabledObject: NativeObject {
    static var members: MemberTable<Self> { get }
}

extension MemberTable {
    /// `object.name`: a field's value or the method bound to `object`; nil if there is no such member.
    public func value(_ name: String, on object: Object) throws -> Value? {
        guard let m = self[name] else { return nil }
        if let get = m.get { return try get(object) }
        let call = m.call!
        return .function(Function(name: qualifier.map { "\($0).\(name)" } ?? name) { args in try call(object, &args) })
    }

    /// Calls the method `name` of `object` with the call's own arguments; nil if there is no such method.
    public func call(_ name: String, on object: Object, _ args: inout Arguments) throws -> Value? {
        guard let call = self[name]?.call else { return nil }
        return try call(object, &args)
    }

    /// `object.name = value`; false if there is no such field or it is read-only.
    public func assign(_ name: String, _ value: Value, on object: Object) throws -> Bool {
        guard let set = self[name]?.set else { return false }
        try set(object, value)
        return true
    }
}

/// Members from the table. A type with members beyond it (a module's parameters by name)
/// implements `member` and `memberNames` itself, asking the table first.
extension TabledObject {
    public func member(_ name: String) throws -> Value? { try Self.members.value(name, on: self) }
    public func setMember(_ name: String, _ value: Value) throws -> Bool { try Self.members.assign(name, value, on: self) }
    public var memberNames: [String] { Self.members.names }
    public var memberDocs: [MemberDoc] { Self.members.docs }
}
