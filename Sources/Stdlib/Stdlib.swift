import Lang

/// Stdlib: the builtin tables that expose the numeric libraries to the language. It is the one
/// place that sees both sides: each file here wraps one library as one `BuiltinRegistry`
/// (name, signature, one-line doc, help, example, implementation), so `help`, `:help`, tab
/// completion, "did you mean" and docs/builtins.md all come from the same table.
public enum Stdlib {
    /// Every registry this module provides, in registration order. Add a new module's registry here.
    public static func registries() -> [BuiltinRegistry] {
        [
            TensorBuiltins.registry,
            DataBuiltins.registry,
            PRMBuiltins.registry,
            PretrainedBuiltins.registry,
            ReweightBuiltins.registry,
            BilevelBuiltins.registry,
            PlotBuiltins.registry,
        ]
    }

    /// Registers every numeric registry on `interpreter`.
    public static func install(into interpreter: Interpreter) {
        for registry in registries() { interpreter.register(registry) }
    }

    /// The standard library's .dprm modules (`stdlib/*.dprm`, embedded at build time): name -> source.
    public static var modules: [String: String] { EmbeddedStdlib.modules }

    /// A new interpreter with the core builtins, every numeric registry and the embedded standard
    /// library as its built-in modules (searched after `$DPRM_STDLIB`'s folders).
    public static func makeInterpreter(options: Interpreter.Options = Interpreter.Options()) -> Interpreter {
        var options = options
        for (name, source) in modules where options.builtinModules[name] == nil { options.builtinModules[name] = source }
        let interpreter = Interpreter(options: options)
        install(into: interpreter)
        return interpreter
    }
}
