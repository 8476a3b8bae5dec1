import Foundation
import Support

extension Interpreter {
    /// Parses and resolves `source` without running it (`dprm check`). Reports syntax errors,
    /// compile errors, and bare names that resolve to no variable: not a local in scope, not a
    /// builtin or global of this interpreter, not declared at the top level of the file or of a
    /// module it imports. Members (`b.train`, `run.by_domain()`) are never names: they are looked
    /// up on the value at run time. Every error carries its file:line:col; each undefined name is
    /// reported once, at its first use.
    public func check(_ source: String, name: String = "<input>", path: String? = nil) -> [DprmError] {
        let src = SourceFile(text: source, name: name, path: path)
        let program: [Stmt]
        do { program = try parse(src) } catch {
            return [located(error, src, Span(start: 0, end: 0)) as? DprmError ?? DprmError(.syntax, "\(error)")]
        }
        var errors: [DprmError] = []
        // Compile into a scratch interpreter (so our globals do not change) for the errors the
        // compiler finds, such as an assignment to something that is not a variable.
        let scratch = Interpreter(options: Options(searchPaths: options.searchPaths, output: { _ in }, coreBuiltins: false))
        for r in registries { scratch.register(r) }
        do { _ = try Compiler(interp: scratch, src: src, program: program).compileMain(program) } catch {
            if let e = located(error, src, Span(start: 0, end: 0)) as? DprmError { errors.append(e) }
        }

        var resolver = SyntaxWalker.walk(program, NameResolver())
        var known = Set(globalsTable.filter { $0.value.defined }.keys).union(resolver.globals)
        // Imported modules define globals too: read their declarations (and their imports).
        var seen = Set<String>([src.path.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? ""])
        var pending = resolver.imports.map { (name: $0.name, span: $0.span, from: src) }
        while !pending.isEmpty {
            let (module, span, from) = pending.removeFirst()
            let msrc: SourceFile
            do { msrc = try moduleSource(module, from: from) } catch {
                // Only the file's own imports are its problems; a module's are the module's.
                if from === src, let e = located(error, src, span) as? DprmError { errors.append(e) }
                continue
            }
            guard seen.insert(msrc.name).inserted, let mprogram = try? parse(msrc) else { continue }
            let m = SyntaxWalker.walk(mprogram, NameResolver())
            known.formUnion(m.globals)
            pending += m.imports.map { (name: $0.name, span: $0.span, from: msrc) }
        }
        resolver.unresolved.removeAll { known.contains($0.name) }

        var reported = Set<String>()
        for use in resolver.unresolved where reported.insert(use.name).inserted {
            let message = use.assigned ? "assignment to undeclared variable '\(use.name)' (declare it with 'let')"
                                       : "undefined name '\(use.name)'"
            var e = DprmError(.name, message, location: src.location(use.span))
            if let s = closestName(use.name, in: Array(known) + use.visible) { e.notes.append("did you mean `\(s)`?") }
            errors.append(e)
        }
        return errors.sorted { ($0.location?.line ?? 0, $0.location?.column ?? 0) < ($1.location?.line ?? 0, $1.location?.column ?? 0) }
    }
}

/// What the checker needs from a walk: the file's global declarations, its imports, and the bare
/// names that resolved to no local (with the locals visible there, for "did you mean").
private struct NameResolver: SyntaxVisitor {
    struct Use { let name: String; let span: Span; let assigned: Bool; let visible: [String] }
    var globals = Set<String>()
    var imports: [(name: String, span: Span)] = []
    var unresolved: [Use] = []
    /// Locals declared so far in the enclosing scopes, innermost last (an approximation for the
    /// suggestions only: resolution itself is the walker's).
    private var locals: [String] = []

    mutating func enter(_ s: Stmt) -> Bool {
        if case .importStmt(let name) = s.kind { imports.append((name, s.span)) }
        return true
    }
    mutating func declare(_ name: String, span: Span, global: Bool) {
        if global { globals.insert(name) } else { locals.append(name) }
    }
    mutating func use(_ name: String, span: Span, binding: NameBinding, assigned: Bool) {
        if binding == .global { unresolved.append(Use(name: name, span: span, assigned: assigned, visible: locals)) }
    }
}
