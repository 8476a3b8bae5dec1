import Foundation

extension Interpreter {
    /// The documentation `help(name)`, `:help name` and `?name` show; nil if unknown. `name` is
    /// a builtin, a .dprm function (its parameters and the `#` comment above its `fn`), or
    /// `x.member`: a member of the value of global `x` (a native object's field or method, or
    /// the builtin a core value's method calls), or of a native type by name (`tensor.sum`).
    public func help(_ name: String) -> String? {
        if let dot = name.lastIndex(of: "."), dot != name.startIndex, name.index(after: dot) != name.endIndex {
            return memberHelp(String(name[..<dot]), String(name[name.index(after: dot)...]))
        }
        if let b = builtinTable[name] { return b.helpText }
        if let g = globalsTable[name], g.defined, case .function(let f) = g.value, let proto = f.proto {
            return functionHelp(name, f, proto)
        }
        return nil
    }

    /// Declares the members of a native object type (Stdlib registers every type's table), so
    /// that `:help type.member` works without a value of that type at hand.
    public func registerMembers(type: String, _ docs: [MemberDoc]) { memberDocsByType[type] = docs }

    private func memberHelp(_ receiver: String, _ member: String) -> String? {
        let value = global(receiver)
        if case .native(let n) = value {
            return n.memberDocs.first { $0.name == member }.map { $0.helpText(receiver: receiver) }
        }
        // A type's name (`tensor.sum`; also when a builtin has that name, as `tensor` does).
        if let docs = memberDocsByType[receiver], value == nil || value?.isBuiltinFunction == true {
            return docs.first { $0.name == member }.map { $0.helpText(receiver: receiver) }
        }
        if let v = value {
            switch v {
            case .dict(let d):
                if let f = d[member], case .function(let fn) = f, let proto = fn.proto { return functionHelp("\(receiver).\(member)", fn, proto) }
                if d[member] != nil { return nil }
            default: break
            }
            // Core values' methods are builtins called with the receiver first.
            return builtinTable[member].map { "\(receiver).\(member)(...) is \($0.helpText)" }
        }
        return nil
    }

    private func functionHelp(_ name: String, _ f: Function, _ proto: FunctionProto) -> String {
        var s = "\(name)(\(f.parameterNames.joined(separator: ", ")))"
        if let doc = docComment(proto) {
            s += "\n" + doc.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        }
        return s + "\n  function defined in \(URL(fileURLWithPath: proto.src.name).lastPathComponent)"
    }

    /// The `#` comment lines right above a function's `fn` line (not a `# %%` cell marker), without
    /// the `#`: the function's documentation, as in the stdlib modules. The block must start the
    /// file or follow a blank line.
    func docComment(_ proto: FunctionProto) -> String? {
        let src = proto.src
        var line = src.lineColumn(proto.span.start).line - 1
        var lines: [String] = []
        while line >= 0 {
            let text = src.lineText(line).trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("#"), !text.hasPrefix("# %%") else { break }
            var body = text.dropFirst()
            if body.hasPrefix(" ") { body = body.dropFirst() }
            lines.insert(String(body), at: 0)
            line -= 1
        }
        // A comment right below code belongs to that code (a golden file's `# expect:` lines).
        if line >= 0 && !src.lineText(line).trimmingCharacters(in: .whitespaces).isEmpty { return nil }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }
}

extension Value {
    fileprivate var isBuiltinFunction: Bool {
        if case .function(let f) = self { return f.builtin != nil }
        return false
    }
}
