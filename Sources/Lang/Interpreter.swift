import Foundation
import Support

/// Runs .dprm code. One interpreter holds one set of globals: the REPL feeds it input after input,
/// the CLI feeds it a file or a range of notebook cells.
///
/// Not thread-safe: use it from one thread (with a large stack: the main thread, or a `Thread`
/// with `stackSize` >= 8 MB). Only `requestInterrupt()` may be called from another thread.
public final class Interpreter {
    /// Construction options.
    public struct Options {
        /// Folders searched by a bare `import "name"` for `name.dprm`, before `builtinModules`.
        /// Default: `$DPRM_STDLIB` (colon-separated) if set, else none.
        public var searchPaths: [String]
        /// Modules a bare `import "name"` finds when no search-path folder has `name.dprm`: module
        /// name -> source text. `Stdlib.makeInterpreter` fills it with the standard library that is
        /// embedded in the binary at build time, so a copied or installed `dprm` needs no files.
        public var builtinModules: [String: String]
        /// Receives everything `print` writes (including the trailing newline). Default: stdout.
        public var output: ((String) -> Void)?
        /// Maximum depth of nested .dprm calls before a "recursion too deep" error.
        public var maxCallDepth: Int
        /// Whether to register the `core` builtins.
        public var coreBuiltins: Bool

        public init(searchPaths: [String]? = nil, builtinModules: [String: String] = [:],
                    output: ((String) -> Void)? = nil, maxCallDepth: Int = 2000, coreBuiltins: Bool = true) {
            self.searchPaths = searchPaths ?? Interpreter.defaultSearchPaths()
            self.builtinModules = builtinModules
            self.output = output; self.maxCallDepth = maxCallDepth; self.coreBuiltins = coreBuiltins
        }
    }

    /// The default module search path (see `Options.searchPaths`): `$DPRM_STDLIB`, split at `:`.
    public static func defaultSearchPaths() -> [String] {
        guard let env = ProcessInfo.processInfo.environment["DPRM_STDLIB"], !env.isEmpty else { return [] }
        return env.split(separator: ":").map(String.init)
    }

    public var options: Options
    /// Where `print` output goes. Replace it to capture output (notebooks, tests).
    public var output: (String) -> Void
    /// Seeded generator behind `random`, `randint`, `shuffle`, `choice`.
    public var random = RandomGenerator(seed: 0)

    var rt: Runtime!
    var globalsTable: [String: Box] = [:]
    /// Builtins by name, for method calls on core values (not shadowed by user globals).
    var methods: [String: Box] = [:]
    var userGlobals: Set<String> = []
    var builtinTable: [String: Builtin] = [:]
    var constantTable: [String: Value] = [:]
    /// Members of native object types by type name, for `:help tensor.sum` (see `registerMembers`).
    var memberDocsByType: [String: [MemberDoc]] = [:]
    /// Registered modules in registration order.
    public private(set) var registries: [BuiltinRegistry] = []
    var imported: Set<String> = []
    /// Every function prototype compiled by this interpreter, kept for its lifetime: calls of
    /// plain functions rely on it to run without retaining the function (see `Value.plainCallee`).
    /// Grows with the source compiled, not with the functions created at run time.
    var compiledFunctions: [FunctionProto] = []
    var replCounter = 0

    public init(options: Options = Options()) {
        self.options = options
        self.output = options.output ?? { StandardOutput.write($0) }
        self.rt = Runtime(interp: self, maxDepth: options.maxCallDepth)
        if options.coreBuiltins { register(coreRegistry()) }
    }

    // MARK: builtins

    /// Adds a module's builtins as globals (and as methods on core values). Later registrations
    /// replace earlier builtins of the same name.
    public func register(_ registry: BuiltinRegistry) {
        registries.removeAll { $0.module == registry.module }
        registries.append(registry)
        for b in registry.builtins {
            builtinTable[b.name] = b
            let fn = Value.function(Function(name: b.name, builtin: b, b.implementation))
            let g = globalBox(b.name)
            if !userGlobals.contains(b.name) { g.ref.pointee = Box.Storage(value: fn, defined: true) }
            methodBox(b.name).ref.pointee = Box.Storage(value: fn, defined: true)
        }
        for c in registry.constants where !userGlobals.contains(c.name) {
            globalBox(c.name).ref.pointee = Box.Storage(value: c.value, defined: true)
            constantTable[c.name] = c.value
        }
    }

    /// All registered builtins, module by module.
    public var builtins: [Builtin] { registries.flatMap { $0.builtins } }

    /// The builtin named `name`, if any.
    public func builtin(named name: String) -> Builtin? { builtinTable[name] }

    func globalBox(_ name: String) -> Box {
        if let b = globalsTable[name] { return b }
        let b = Box(.nil, defined: false); globalsTable[name] = b; return b
    }
    func methodBox(_ name: String) -> Box {
        if let b = methods[name] { return b }
        let b = Box(.nil, defined: false); methods[name] = b; return b
    }

    // MARK: globals

    /// Defines or replaces a global variable (the CLI sets `args` this way).
    public func setGlobal(_ name: String, _ value: Value) {
        globalBox(name).ref.pointee = Box.Storage(value: value, defined: true)
        userGlobals.insert(name)
    }

    /// The value of a global (user variable or builtin), if defined.
    public func global(_ name: String) -> Value? {
        guard let b = globalsTable[name], b.defined else { return nil }
        return b.value
    }

    /// User-defined globals (not builtins), sorted by name, for `:who`.
    public var globals: [(name: String, value: Value)] {
        userGlobals.sorted().compactMap { n in global(n).map { (n, $0) } }
    }

    /// Forgets user globals and imports; builtins stay.
    public func reset() {
        for n in userGlobals {
            if let b = builtinTable[n] {
                globalsTable[n]!.ref.pointee = Box.Storage(value: .function(Function(name: n, builtin: b, b.implementation)), defined: true)
            } else if let c = constantTable[n] {
                globalsTable[n]!.ref.pointee = Box.Storage(value: c, defined: true)
            } else { globalsTable[n]!.ref.pointee = Box.Storage(value: .nil, defined: false) }
        }
        userGlobals = []; imported = []
    }

    // MARK: interrupts

    /// Asks running code to stop at the next safe point (loop back-edge, function call, or a
    /// builtin's `checkInterrupt()`). Safe to call from any thread or a signal-handling thread.
    public func requestInterrupt() { rt.interrupt.set() }

    /// Throws the "interrupted" error if an interrupt was requested (and clears the request).
    /// Long-running builtins call this at safe points.
    public func checkInterrupt() throws {
        if rt.interrupt.isSet { throw rt.interruptedError() }
    }

    /// Whether Ctrl-C was pressed and not yet honoured. Unlike `checkInterrupt()` it leaves the
    /// request pending, so a long builtin can stop at its next safe point and the script still
    /// ends as interrupted (exit 130) when the builtin returns.
    public var interruptRequested: Bool { rt.interrupt.isSet }

    /// Drops a pending interrupt request (e.g. one that arrived while idle at the prompt).
    public func clearInterrupt() { rt.interrupt.clear() }

    // MARK: running code

    /// Parses, compiles and runs `source`; returns the value of the last statement.
    /// Globals persist across calls. `name` names the source in diagnostics (a path, `repl:5`, `-e`);
    /// `firstLine` and `cell` place a notebook cell inside its file.
    @discardableResult
    public func evaluate(_ source: String, name: String = "<input>", path: String? = nil,
                         firstLine: Int = 1, cell: Int? = nil) throws -> Value {
        let src = SourceFile(text: source, name: name, path: path, firstLine: firstLine, cell: cell)
        return try run(src)
    }

    /// Runs one notebook cell of the file at `path` (diagnostics name the file, its line and the cell).
    @discardableResult
    public func evaluate(cell: NotebookCell, file: String) throws -> Value {
        try evaluate(cell.source, name: file, path: file, firstLine: cell.firstLine, cell: cell.index)
    }

    /// The syntax errors of every code cell, located in the file (`dprm run` and `dprm notebook`
    /// report them before the first cell runs, so a typo in the last cell costs no training time).
    public func syntaxErrors(in cells: [NotebookCell], file: String) -> [DprmError] {
        cells.filter { $0.kind == .code }.compactMap { cell in
            let src = SourceFile(text: cell.source, name: file, path: file, firstLine: cell.firstLine, cell: cell.index)
            do { _ = try parse(src); return nil } catch let e as DprmError { return e } catch { return DprmError(.syntax, "\(error)") }
        }
    }

    /// Runs a script file.
    @discardableResult
    public func run(file path: String) throws -> Value {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DprmError.runtime("cannot read file '\(path)'")
        }
        imported.insert(URL(fileURLWithPath: path).standardizedFileURL.path)
        return try evaluate(text, name: path, path: path)
    }

    func parse(_ src: SourceFile) throws -> [Stmt] {
        do {
            var p = try Parser(src)
            return try p.program()
        } catch is IncompleteInput {
            let end = src.bytes.count
            throw DprmError(.syntax, "unexpected end of input (unclosed brace, bracket, parenthesis or string)",
                            location: src.location(Span(start: max(0, end - 1), end: end)))
        }
    }

    func run(_ src: SourceFile) throws -> Value {
        let program = try parse(src)
        let compiler = Compiler(interp: self, src: src, program: program)
        let code = try compiler.compileMain(program)
        let slots = compiler.scope.slotCount, boxes = compiler.scope.boxCount
        let frame = try rt.push(slotCount: slots, boxCount: boxes, captures: Runtime.noCaptures)
        defer { rt.pop(frame, slotCount: slots, boxCount: boxes) }
        rt.ctl.pointee = Unwind.none
        do {
            return try code(frame)
        } catch {
            rt.ctl.pointee = Unwind.none
            throw error
        }
    }

    /// Whether `source` is a complete input, needs more lines (open brace, bracket, parenthesis or
    /// string, or a dangling binary operator), or has a syntax error.
    public static func parseStatus(_ source: String, name: String = "<input>") -> ParseStatus {
        let src = SourceFile(text: source, name: name)
        do {
            var p = try Parser(src)
            _ = try p.program()
            return .complete
        } catch is IncompleteInput {
            return .incomplete
        } catch let e as DprmError {
            return .error(e)
        } catch {
            return .error(DprmError(.syntax, "\(error)"))
        }
    }

    // MARK: members

    /// `value.name`: native fields and methods, dict keys, builtins bound as methods.
    public func member(_ v: Value, _ name: String) throws -> Value {
        switch v {
        case .native(let n):
            if let m = try n.member(name) { return m }
            throw noMember(v, name)
        case .dict(let d):
            if let x = d[name] { return x }
        default: break
        }
        if let b = methods[name], b.defined, case .function(let f) = b.value, let bi = f.builtin {
            return .function(Function(name: name, builtin: bi, receiver: v, bi.implementation))
        }
        throw noMember(v, name)
    }

    func setMember(_ v: Value, _ name: String, _ value: Value) throws {
        switch v {
        case .dict(let d): d[name] = value
        case .native(let n):
            if try !n.setMember(name, value) { throw DprmError.type("cannot set field '\(name)' of \(n.typeName)") }
        default: throw DprmError.type("cannot set field '\(name)' of \(v.typeName)")
        }
    }

    func noMember(_ v: Value, _ name: String) -> DprmError {
        if case .dict(let d) = v {
            var e = DprmError.runtime("dict has no key or method '\(name)'")
            if let s = closestName(name, in: d.keys + Array(builtinTable.keys)) { e.notes.append("did you mean `\(s)`?") }
            return e
        }
        var e = DprmError.type("\(v.typeName) has no member '\(name)'")
        let candidates: [String]
        if case .native(let n) = v { candidates = n.memberNames } else { candidates = Array(builtinTable.keys) }
        if let s = closestName(name, in: candidates) { e.notes.append("did you mean `\(s)`?") }
        return e
    }

    /// Names visible for completion after `value.`: native members, dict keys, or builtin names usable as methods.
    public func memberNames(of v: Value) -> [String] {
        switch v {
        case .native(let n): return n.memberNames.sorted()
        case .dict(let d): return d.keys + builtinTable.keys.sorted()
        default: return builtinTable.keys.sorted()
        }
    }

    /// Completion candidates for `prefix`: after `expr.` pass the value of `expr` as `context`
    /// (members; a dict's keys first, in order); otherwise globals, builtins and keywords, sorted.
    public func completions(prefix: String, context: Value? = nil) -> [String] {
        // A dict's keys come first, in their order, then the builtins usable as methods.
        if case .dict(let d)? = context {
            let keys = d.keys.filter { $0.hasPrefix(prefix) }
            return keys + builtinTable.keys.filter { $0.hasPrefix(prefix) && !keys.contains($0) }.sorted()
        }
        let pool: [String]
        if let c = context { pool = memberNames(of: c) } else {
            pool = Array(Set(globalsTable.filter { $0.value.defined }.keys).union(keywords))
        }
        return Array(Set(pool.filter { $0.hasPrefix(prefix) })).sorted()
    }

    /// The names a call of the global `callee` may pass as `name:`: a builtin's declared
    /// parameters, or a .dprm function's parameters (not the variadic one). `receiver.method`
    /// gives a native object's method's declared parameters, or for another value the builtin
    /// called as its method (without the receiver's own parameter). Empty when unknown.
    public func keywordNames(ofCallee callee: String) -> [String] {
        if let dot = callee.firstIndex(of: ".") {
            let method = String(callee[callee.index(after: dot)...])
            guard let receiver = global(String(callee[..<dot])) else { return [] }
            if case .native(let n) = receiver { return n.memberDocs.first { $0.name == method }?.keywordNames ?? [] }
            return builtinTable[method].map { Array($0.keywordNames.dropFirst()) } ?? []
        }
        guard let v = global(callee), case .function(let f) = v else { return [] }
        if let b = f.builtin { return b.keywordNames }
        guard let proto = f.proto else { return [] }
        return proto.paramNames.enumerated().filter { $0.offset != proto.variadic }.map(\.element)
    }

    func undefinedName(_ name: String, visible: [String], src: SourceFile, span: Span) -> DprmError {
        var e = DprmError(.name, "undefined name '\(name)'", location: src.location(span))
        let candidates = visible + globalsTable.filter { $0.value.defined }.keys
        if let s = closestName(name, in: candidates) { e.notes.append("did you mean `\(s)`?") }
        return e
    }

    // MARK: iteration

    /// The elements of an iterable value (list, range, dict keys, string characters, native iterable).
    public func iterate(_ v: Value, what: String = "value") throws -> [Value] {
        switch v {
        case .list(let l): return l.items
        case .range(let a, let b):
            guard a < b else { return [] }
            let (count, overflow) = b.subtractingReportingOverflow(a)
            try Limits.check(overflow ? .max : count, bytesEach: Limits.valueBytes, "\(what): the range \(a)..\(b)")
            return (a..<b).map { .int($0) }
        case .dict(let d): return d.keys.map { .string($0) }
        case .string(let s): return s.map { .string(String($0)) }
        case .native(let n):
            if let next = try n.makeIterator() {
                var out: [Value] = []
                while let x = try next() { out.append(x) }
                return out
            }
        default: break
        }
        throw DprmError.type("\(what) must be iterable (list, range, dict, string), got \(v.typeName)")
    }

    // MARK: imports

    /// Loads a module once (see `moduleSource` for what a name means).
    func importModule(_ name: String, from src: SourceFile) throws {
        let module = try moduleSource(name, from: src)
        if imported.contains(module.name) { return }
        imported.insert(module.name)
        let saved = rt.ctl.pointee
        defer { rt.ctl.pointee = saved }
        _ = try run(module)
    }

    /// The source of module `name` as imported from `src`. A bare name (`import "plots"`) is a
    /// library module: `name.dprm` in a search-path folder, else the built-in module of that name
    /// (named `<stdlib>/name.dprm`, without a path). A path (starting with `/`, or holding a `/`,
    /// as in `./helpers` or `lib/util.dprm`) is a file: absolute, or relative to the importing file
    /// (to the working directory in the REPL). Files are named and located by their standardized
    /// path. `dprm check` reads imports through this too.
    func moduleSource(_ name: String, from src: SourceFile) throws -> SourceFile {
        let file = name.hasSuffix(".dprm") ? name : name + ".dprm"
        let isPath = name.contains("/")
        var candidates: [String] = []
        if name.hasPrefix("/") {
            candidates.append(file)
        } else if isPath {
            let base = src.path.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? FileManager.default.currentDirectoryPath
            candidates.append(base + "/" + file)
        } else {
            candidates = options.searchPaths.map { $0 + "/" + file }
        }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            let key = URL(fileURLWithPath: found).standardizedFileURL.path
            guard let text = try? String(contentsOfFile: found, encoding: .utf8) else {
                throw DprmError.runtime("import \"\(name)\": cannot read \(key)")
            }
            return SourceFile(text: text, name: key, path: key)
        }
        if !isPath, let builtin = options.builtinModules[String(file.dropLast(".dprm".count))] {
            return SourceFile(text: builtin, name: "<stdlib>/" + file)
        }
        var e = DprmError.runtime("import \"\(name)\": module not found")
        var places = candidates.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if !isPath {
            let known = options.builtinModules.keys.sorted()
            places.append(known.isEmpty ? "no built-in modules" : "the built-in modules (" + known.joined(separator: ", ") + ")")
        }
        e.notes.append("looked in: " + places.joined(separator: ", "))
        if !isPath { e.notes.append("a file beside the script is imported as \"./\(name)\"") }
        throw e
    }
}
