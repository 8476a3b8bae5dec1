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
            ReweightBuiltins.registry,
            ExperimentsBuiltins.registry,
            PlotBuiltins.registry,
            DistributedBuiltins.registry,
        ]
    }

    /// The members of every native object type this module defines, by the type name scripts see
    /// (`type(x)`; a type with several names lists them separated by ", "). Add a new native type here; BuiltinDocTests checks that every type is listed
    /// and every member documented.
    public static func memberTables() -> [(type: String, swiftType: String, members: [MemberDoc])] {
        func row<T: TabledObject>(_ type: String, _: T.Type) -> (String, String, [MemberDoc]) {
            (type, String(describing: T.self), T.members.docs)
        }
        return [
            row("tensor", TensorValue.self), row("module", ModuleValue.self), row("optimizer", OptimizerValue.self),
            row("scheduler", SchedulerValue.self), row("dataset", DatasetValue.self), row("prm", PRMValue.self),
            row("coldstart_run", ColdStartValue.self), row("best_of_n", BestOfNValue.self),
            row("pretrained_model", PretrainedModelValue.self), row("language_model", LanguageModelValue.self), row("instance_table, instance_net, domain_table", WeightingValue.self),
            row("reweight_run", RunValue.self), row("bilevel_engine", EngineValue.self), row("figure", FigureValue.self),
        ]
    }

    /// Registers every numeric registry on `interpreter`.
    public static func install(into interpreter: Interpreter) {
        for registry in registries() { interpreter.register(registry) }
        for table in memberTables() {
            for type in table.type.components(separatedBy: ", ") { interpreter.registerMembers(type: type, table.members) }
        }
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
