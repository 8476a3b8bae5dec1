import Foundation
import Support

/// One parameter of a builtin, declared once (as Torch7's `wrap` declarations generate bindings):
/// the signature, the check of the call's arguments (one message for an unknown keyword), the
/// default an accessor falls back to, the help and the completion of `name:` all come from it.
public struct Parameter {
    public enum Passing: Equatable {
        /// By position or as `name: value`.
        case positional
        /// Only as `name: value`.
        case keyword
        /// Every remaining positional argument (`...values`).
        case variadic
        /// Every keyword argument not declared otherwise (`...options:`), for builtins that pass
        /// them on to a function they call.
        case variadicKeywords
    }
    public let name: String
    /// What it takes, in words: "number", "string", "dataset", "prm", "list of datasets", ...
    public let kind: String
    /// The value used when the call does not pass it; nil when it is required (or may be absent).
    public let defaultValue: Value?
    /// How the default reads in the signature, when not its literal (`"the model's 512"`).
    public let defaultText: String?
    /// One line.
    public let doc: String
    public let passing: Passing
    /// Other names accepted for it (the reference implementation's flag names, `iteration_num`).
    public let aliases: [String]
    /// Whether the call must pass it.
    public let required: Bool

    /// A parameter passed by position or keyword; `required` unless it has a default, is
    /// `optional`, or its default is computed by the implementation and `shown` in words.
    public static func positional(_ name: String, _ kind: String, default value: Value? = nil, shown: String? = nil,
                                  optional: Bool = false, _ doc: String) -> Parameter {
        Parameter(name: name, kind: kind, defaultValue: value, defaultText: shown, doc: doc, passing: .positional,
                  aliases: [], required: value == nil && shown == nil && !optional)
    }

    /// A parameter passed only as `name: value`. Without a default it is optional (absent: nil),
    /// unless `required`.
    public static func keyword(_ name: String, _ kind: String, default value: Value? = nil, shown: String? = nil,
                               aliases: [String] = [], required: Bool = false, _ doc: String) -> Parameter {
        Parameter(name: name, kind: kind, defaultValue: value, defaultText: shown, doc: doc, passing: .keyword,
                  aliases: aliases, required: required)
    }

    /// The remaining positional arguments.
    public static func variadic(_ name: String, _ kind: String, _ doc: String) -> Parameter {
        Parameter(name: name, kind: kind, defaultValue: nil, defaultText: nil, doc: doc, passing: .variadic,
                  aliases: [], required: false)
    }

    /// The keyword arguments not declared otherwise, passed on (`call(f, ...args, ...keywords:)`).
    public static func variadicKeywords(_ name: String, _ kind: String, _ doc: String) -> Parameter {
        Parameter(name: name, kind: kind, defaultValue: nil, defaultText: nil, doc: doc, passing: .variadicKeywords,
                  aliases: [], required: false)
    }

    /// How it reads in a signature: `train`, `lr: 5e-5`, `out: nil`, `meta:`, `...values`.
    public var signatureText: String {
        let shown = defaultText ?? defaultValue.map { $0.repr }
        switch passing {
        case .variadic: return "...\(name)"
        case .variadicKeywords: return "...\(name):"
        case .positional: return required ? name : "\(name): \(shown ?? "nil")"
        case .keyword: return required ? "\(name):" : "\(name): \(shown ?? "nil")"
        }
    }

    /// Its item in the Markdown reference.
    var markdownLine: String {
        let also = aliases.isEmpty ? "" : " (also \(aliases.map { "`\($0)`" }.joined(separator: ", ")))"
        return "`\(signatureText)` \(kind)\(also): \(doc)"
    }

    /// Its line in the help text.
    var helpLine: String {
        let also = aliases.isEmpty ? "" : " (also \(aliases.joined(separator: ", ")))"
        return "\(signatureText)  \(kind)\(also): \(doc)"
    }
}

/// A function implemented in Swift and callable from .dprm, with its documentation.
/// Builtins are also methods: `x.f(a)` calls builtin `f(x, a)` when `x` is a core value.
public struct Builtin {
    /// The name scripts call, e.g. `randn`.
    public let name: String
    /// The call form shown by `help`, e.g. `randn(shape, seed: nil)`, generated from `parameters`.
    public let signature: String
    /// One line.
    public let summary: String
    /// Longer text (may be empty).
    public let help: String
    /// A short usage example (may be empty).
    public let example: String
    /// The declared parameters: every builtin declares them (an empty list takes no arguments).
    public let parameters: [Parameter]
    /// The implementation; it checks the call against `parameters` first, and its `Arguments`
    /// know the declared defaults.
    public let implementation: (inout Arguments) throws -> Value

    /// A builtin with its parameters declared once: its signature is generated, and every call is
    /// checked against them (positional count, unknown or repeated keywords, required ones) before
    /// `implementation` runs.
    public init(_ name: String, parameters: [Parameter], _ summary: String,
                help: String = "", example: String = "", _ implementation: @escaping (inout Arguments) throws -> Value) {
        self.name = name; self.signature = "\(name)(\(parameters.map(\.signatureText).joined(separator: ", ")))"
        self.summary = summary
        self.help = help; self.example = example; self.parameters = parameters
        self.implementation = { args in
            try args.check(declared: parameters)
            args.declared = parameters
            args.bindPositionalKeywords()
            return try implementation(&args)
        }
    }

    /// The names a call may pass as `name:` (completion offers them; aliases are accepted too).
    public var keywordNames: [String] {
        parameters.filter { $0.passing == .positional || $0.passing == .keyword }.map(\.name)
    }

    /// `help(name)` text: signature, summary, the declared parameters, help and example.
    public var helpText: String {
        var s = "\(signature)\n  \(summary)"
        if !parameters.isEmpty {
            s += "\n\nparameters:\n" + parameters.map { "  " + $0.helpLine }.joined(separator: "\n")
        }
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
    /// The builtin's declared parameters, when it declares them: accessors called without a
    /// `default:` fall back to the declared default, and keyword aliases are read as their name.
    public var declared: [Parameter]? = nil

    public init(callee: String, positional: [Value], keywords: [(name: String, value: Value)], interpreter: Interpreter) {
        self.callee = callee; self.positional = positional; self.keywords = keywords; self.interpreter = interpreter
    }

    public var count: Int { positional.count }

    /// The keyword argument `name` (or one of its declared aliases), if passed.
    public func keyword(_ name: String) -> Value? {
        if let v = keywords.first(where: { $0.name == name })?.value { return v }
        guard let aliases = declared?.first(where: { $0.name == name })?.aliases, !aliases.isEmpty else { return nil }
        return keywords.first { aliases.contains($0.name) }?.value
    }

    /// The declared default of `name`, if any.
    func declaredDefault(_ name: String) -> Value? { declared?.first { $0.name == name }?.defaultValue }

    /// Positional `index`, else keyword `name`, else the declared default, else nil. A `nil`
    /// value counts as absent.
    public func optional(_ index: Int?, _ name: String) -> Value? {
        if let i = index, i < positional.count { if case .nil = positional[i] { return nil }; return positional[i] }
        if let v = keyword(name) { if case .nil = v { return nil }; return v }
        if let d = declaredDefault(name) { if case .nil = d { return nil }; return d }
        return nil
    }

    /// Positional `index` or keyword `name` (else its declared default; a nil passed for a
    /// parameter with a default also gives the default); an error if missing.
    public func value(_ index: Int?, _ name: String) throws -> Value {
        // An explicit nil asks for the declared default, when there is one.
        let d = declaredDefault(name)
        if let i = index, i < positional.count {
            if case .nil = positional[i], let d { return d }
            return positional[i]
        }
        if let v = keyword(name) {
            if case .nil = v, let d { return d }
            return v
        }
        if let d { return d }
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
    /// A boolean (its declared default when absent; an error if it has none).
    public func bool(_ index: Int?, _ name: String) throws -> Bool {
        let v = try value(index, name)
        guard case .bool(let b) = v else { throw wrongType(name, "true or false", v) }
        return b
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

    /// Throws the one "unexpected keyword argument" error (with the closest allowed name) for the
    /// first keyword not in `allowed`. Every builtin's and method's keyword check ends here (through
    /// `check(declared:)`).
    func check(keywords allowed: [String]) throws {
        for k in keywords where !allowed.contains(k.name) {
            var e = DprmError.type("\(callee)() got an unexpected keyword argument '\(k.name)'")
            if let s = closestName(k.name, in: allowed) { e.notes.append("did you mean `\(s)`?") }
            throw e
        }
    }

    /// Moves required positional parameters passed by name (`len(x: [1])`) into `positional`, in
    /// declared order, while they continue the positionals the call passed, so an implementation
    /// can read `positional[k]` for a required parameter whichever way the call passed it.
    /// Optional ones stay keywords (the accessors find them by name), so a count of positionals
    /// still says which were passed by position, and a builtin that hands its call on to another
    /// (a tensor builtin to the core one) hands on the keywords as written.
    mutating func bindPositionalKeywords() {
        guard let ps = declared else { return }
        let byPosition = ps.prefix { $0.passing != .variadic }.filter { $0.passing == .positional }
        while positional.count < byPosition.count, byPosition[positional.count].required {
            let p = byPosition[positional.count], names = [p.name] + p.aliases
            guard let i = keywords.firstIndex(where: { names.contains($0.name) }) else { return }
            positional.append(keywords.remove(at: i).value)
        }
    }

    /// Checks a call against declared parameters: at most as many positionals as there are
    /// positional parameters (unless one is variadic), only declared keywords (or their
    /// aliases), none passed twice, every required one present.
    func check(declared ps: [Parameter]) throws {
        let positionalCount = ps.filter { $0.passing == .positional }.count
        if !ps.contains(where: { $0.passing == .variadic }) && positional.count > positionalCount {
            throw DprmError.type("\(callee)() takes \(positionalCount == 0 ? "no" : "at most \(positionalCount)") positional argument\(positionalCount == 1 ? "" : "s") but \(positional.count) \(positional.count == 1 ? "was" : "were") given")
        }
        if !ps.contains(where: { $0.passing == .variadicKeywords }) {
            try check(keywords: ps.filter { $0.passing != .variadic }.flatMap { [$0.name] + $0.aliases })
        }
        for (k, p) in ps.enumerated() {
            let names = [p.name] + p.aliases
            let passed = keywords.filter { names.contains($0.name) }
            let byPosition = p.passing == .positional && ps[..<k].filter { $0.passing == .positional }.count < positional.count
            if passed.count + (byPosition ? 1 : 0) > 1 {
                throw DprmError.type("\(callee)() got multiple values for argument '\(p.name)'")
            }
            if p.required && passed.isEmpty && !byPosition {
                throw DprmError.type("\(callee)() missing argument '\(p.name)'")
            }
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
            if !b.parameters.isEmpty { s += b.parameters.map { "- " + $0.markdownLine }.joined(separator: "\n") + "\n\n" }
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
