import Foundation

/// A function implemented in Swift and callable from .dprm, with its documentation.
/// Builtins are also methods: `x.f(a)` calls builtin `f(x, a)` when `x` is a core value.
public struct Builtin {
    /// The name scripts call, e.g. `randn`.
    public let name: String
    /// The call form shown by `help`, e.g. `randn(shape, seed: nil)`.
    public let signature: String
    /// One line.
    public let summary: String
    /// Longer text (may be empty).
    public let help: String
    /// A short usage example (may be empty).
    public let example: String
    public let implementation: (inout Arguments) throws -> Value

    public init(_ name: String, _ signature: String, _ summary: String, help: String = "", example: String = "",
                _ implementation: @escaping (inout Arguments) throws -> Value) {
        self.name = name; self.signature = signature; self.summary = summary
        self.help = help; self.example = example; self.implementation = implementation
    }

    /// `help(name)` text: signature, summary, help and example.
    public var helpText: String {
        var s = "\(signature)\n  \(summary)"
        if !help.isEmpty { s += "\n\n" + help.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") }
        if !example.isEmpty { s += "\n\nexample:\n" + example.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") }
        return s
    }
}

/// The builtins of one module (`core`, `tensor`, `nn`, ...), registered with `Interpreter.register`.
public struct BuiltinRegistry {
    public let module: String
    public var builtins: [Builtin]
    /// Named constants defined as globals (`pi`, `inf`), with a one-line description each.
    public var constants: [(name: String, value: Value, summary: String)]
    public init(module: String, builtins: [Builtin], constants: [(name: String, value: Value, summary: String)] = []) {
        self.module = module; self.builtins = builtins; self.constants = constants
    }
}

/// The arguments of one builtin call. Accessors take a position and a keyword name: `number(0, "lr")`
/// reads the first positional argument, or the keyword `lr:` when fewer positionals were passed.
/// Errors name the builtin and the argument.
public struct Arguments {
    /// Name of the builtin being called (for messages).
    public let callee: String
    public var positional: [Value]
    public var keywords: [(name: String, value: Value)]
    /// The interpreter running the call (to call back into .dprm functions, print, check interrupts).
    public unowned let interpreter: Interpreter

    public init(callee: String, positional: [Value], keywords: [(name: String, value: Value)], interpreter: Interpreter) {
        self.callee = callee; self.positional = positional; self.keywords = keywords; self.interpreter = interpreter
    }

    public var count: Int { positional.count }

    /// The keyword argument `name`, if passed.
    public func keyword(_ name: String) -> Value? { keywords.first { $0.name == name }?.value }

    /// Positional `index`, else keyword `name`, else nil. A `nil` value counts as absent.
    public func optional(_ index: Int?, _ name: String) -> Value? {
        if let i = index, i < positional.count { if case .nil = positional[i] { return nil }; return positional[i] }
        if let v = keyword(name) { if case .nil = v { return nil }; return v }
        return nil
    }

    /// Positional `index` or keyword `name`; an error if missing.
    public func value(_ index: Int?, _ name: String) throws -> Value {
        if let i = index, i < positional.count { return positional[i] }
        if let v = keyword(name) { return v }
        throw DprmError.type("\(callee)() missing argument '\(name)'")
    }

    func wrongType(_ name: String, _ expected: String, _ v: Value) -> DprmError {
        DprmError.type("\(callee)() argument '\(name)' must be \(expected), got \(v.typeName)")
    }

    public func number(_ index: Int?, _ name: String) throws -> Double {
        let v = try value(index, name)
        guard case .number(let x) = v else { throw wrongType(name, "a number", v) }
        return x
    }
    public func number(_ index: Int?, _ name: String, default d: Double) throws -> Double {
        guard let v = optional(index, name) else { return d }
        guard case .number(let x) = v else { throw wrongType(name, "a number", v) }
        return x
    }
    /// A number that must be a whole number.
    public func int(_ index: Int?, _ name: String) throws -> Int {
        let x = try number(index, name)
        guard x == x.rounded(), abs(x) < 9e15 else { throw DprmError.type("\(callee)() argument '\(name)' must be a whole number, got \(formatNumber(x))") }
        return Int(x)
    }
    public func int(_ index: Int?, _ name: String, default d: Int) throws -> Int {
        guard optional(index, name) != nil else { return d }
        return try int(index, name)
    }
    public func string(_ index: Int?, _ name: String) throws -> String {
        let v = try value(index, name)
        guard case .string(let s) = v else { throw wrongType(name, "a string", v) }
        return s
    }
    public func string(_ index: Int?, _ name: String, default d: String) throws -> String {
        guard let v = optional(index, name) else { return d }
        guard case .string(let s) = v else { throw wrongType(name, "a string", v) }
        return s
    }
    public func bool(_ index: Int?, _ name: String, default d: Bool) throws -> Bool {
        guard let v = optional(index, name) else { return d }
        guard case .bool(let b) = v else { throw wrongType(name, "true or false", v) }
        return b
    }
    public func list(_ index: Int?, _ name: String) throws -> ListRef {
        let v = try value(index, name)
        guard case .list(let l) = v else { throw wrongType(name, "a list", v) }
        return l
    }
    public func dict(_ index: Int?, _ name: String) throws -> DictRef {
        let v = try value(index, name)
        guard case .dict(let d) = v else { throw wrongType(name, "a dict", v) }
        return d
    }
    public func function(_ index: Int?, _ name: String) throws -> Value {
        let v = try value(index, name)
        guard case .function = v else { throw wrongType(name, "a function", v) }
        return v
    }
    /// A native object of type `T`.
    public func native<T: NativeObject>(_ index: Int?, _ name: String, as: T.Type, expected: String) throws -> T {
        let v = try value(index, name)
        guard case .native(let n) = v, let t = n as? T else { throw wrongType(name, expected, v) }
        return t
    }
    /// The items of a list, range or other iterable, as an array.
    public func sequence(_ index: Int?, _ name: String) throws -> [Value] {
        let v = try value(index, name)
        return try interpreter.iterate(v, what: "\(callee)() argument '\(name)'")
    }

    /// Throws unless the positional count is within `range` and every keyword is in `allowed`.
    public func check(positional range: ClosedRange<Int>, keywords allowed: [String] = []) throws {
        if !range.contains(positional.count) {
            let want = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw DprmError.type("\(callee)() takes \(want) positional argument\(range.upperBound == 1 ? "" : "s") but \(positional.count) \(positional.count == 1 ? "was" : "were") given")
        }
        for k in keywords where !allowed.contains(k.name) {
            var e = DprmError.type("\(callee)() got an unexpected keyword argument '\(k.name)'")
            if let s = closestName(k.name, in: allowed) { e.notes.append("did you mean `\(s)`?") }
            throw e
        }
    }
}

extension BuiltinRegistry {
    /// One table row per builtin and constant: the signature (linked to its entry in `docs/builtins.md`
    /// when `link` is given) and the one-line summary. `docs/language.md` embeds this table.
    public func markdownTable(link: String? = nil) -> String {
        var s = "| builtin | summary |\n|---|---|\n"
        for b in builtins {
            let sig = "`\(b.signature)`"
            let cell = link.map { "[\(sig)](\($0)#\(b.name))" } ?? sig
            s += "| \(markdownCell(cell)) | \(markdownCell(b.summary)) |\n"
        }
        for c in constants { s += "| `\(c.name)` | constant: \(markdownCell(c.summary)) |\n" }
        return s
    }

    /// The full reference: for each builtin its signature, summary, help text and example; then
    /// the constants. `docs/builtins.md` is this text for the `core` registry.
    public func markdownReference() -> String {
        var s = ""
        for b in builtins {
            s += "### \(b.name)\n\n```\n\(b.signature)\n```\n\n\(b.summary)\n\n"
            if !b.help.isEmpty { s += b.help + "\n\n" }
            if !b.example.isEmpty { s += "```\n\(b.example)\n```\n\n" }
        }
        if !constants.isEmpty {
            s += "### Constants\n\n| name | value |\n|---|---|\n"
            for c in constants { s += "| `\(c.name)` | \(markdownCell(c.summary)) |\n" }
            s += "\n"
        }
        return s
    }

    /// Table cells: a `|` would end the cell.
    private func markdownCell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
