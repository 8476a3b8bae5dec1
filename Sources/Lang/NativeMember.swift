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
    /// A method's declared parameters (nil for a field): its call form, the check of its calls,
    /// its defaults and the keyword names completion offers come from them.
    public let parameters: [Parameter]?
    let get: ((Object) throws -> Value)?
    let set: ((Object, Value) throws -> Void)?
    let call: ((Object, inout Arguments) throws -> Value)?

    /// A read-only field.
    public static func field(_ name: String, _ summary: String, _ get: @escaping (Object) throws -> Value) -> NativeMember {
        NativeMember(name: name, signature: name, summary: summary, parameters: nil, get: get, set: nil, call: nil)
    }

    /// A field that scripts may also assign (`x.name = value`); `set` checks the value.
    public static func field(_ name: String, _ summary: String, get: @escaping (Object) throws -> Value,
                             set: @escaping (Object, Value) throws -> Void) -> NativeMember {
        NativeMember(name: name, signature: name, summary: summary, parameters: nil, get: get, set: set, call: nil)
    }

    /// A method with its parameters declared once, as a builtin's: its call form after the
    /// receiver (`sum(axis: nil, keepdims: false)`) is generated, and every call is checked against
    /// them before `call` runs (one message for an unknown keyword), with declared defaults.
    /// The receiver comes as `Object`; `Arguments` holds only the call's own arguments, from index 0.
    public static func method(_ name: String, parameters: [Parameter], _ summary: String,
                              _ call: @escaping (Object, inout Arguments) throws -> Value) -> NativeMember {
        NativeMember(name: name, signature: "\(name)(\(parameters.map(\.signatureText).joined(separator: ", ")))",
                     summary: summary, parameters: parameters, get: nil, set: nil) { object, args in
            try args.check(declared: parameters)
            args.declared = parameters
            args.bindPositionalKeywords()
            return try call(object, &args)
        }
    }

    /// What help and completion show of this member.
    public var doc: MemberDoc {
        MemberDoc(name: name, signature: signature, summary: summary,
                  kind: call != nil ? .method : (set != nil ? .settableField : .field),
                  keywordNames: parameters?.filter { $0.passing == .positional || $0.passing == .keyword }.map(\.name) ?? [],
                  parameterLines: parameters?.map(\.helpLine) ?? [])
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
    /// A method's declared parameter names a call may pass as `name:` (completion offers them).
    public let keywordNames: [String]
    /// A method's declared parameters, one help line each.
    public let parameterLines: [String]

    public init(name: String, signature: String, summary: String, kind: Kind, keywordNames: [String] = [], parameterLines: [String] = []) {
        self.name = name; self.signature = signature; self.summary = summary; self.kind = kind
        self.keywordNames = keywordNames; self.parameterLines = parameterLines
    }

    /// The help text of `receiver.name`: the call form, the doc line, then a method's parameters.
    public func helpText(receiver: String) -> String {
        let settable = kind == .settableField ? " (settable)" : ""
        let parameters = parameterLines.isEmpty ? "" : "\n\nparameters:\n" + parameterLines.map { "  " + $0 }.joined(separator: "\n")
        return "\(receiver).\(signature)\(settable)\n  \(summary)" + parameters
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
