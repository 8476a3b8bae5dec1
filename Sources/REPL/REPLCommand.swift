/// The REPL's `:commands`, with the one-line help `:help` prints.
public enum REPLCommand {
    public static let table: [(name: String, usage: String, summary: String)] = [
        (":help", ":help [name]", "this list, or the documentation of a builtin or function"),
        (":who", ":who", "your variables, each with a one-line summary"),
        (":load", ":load FILE", "run a .dprm file in this session"),
        (":run", ":run FILE [CELLS] [-- ARGS]", "run a notebook's code cells (all, N, or A..B) in this session; words after -- become `args`"),
        (":time", ":time EXPR", "run EXPR and show its value and wall time"),
        (":save", ":save FILE", "write this session's successful inputs as a .dprm script"),
        (":reset", ":reset", "forget all variables and imports (builtins stay)"),
        (":quit", ":quit", "leave (also Ctrl-D on an empty line)"),
    ]
    /// Command names with their colon, for completion.
    public static var names: [String] { table.map(\.name) }
}
