import Foundation

extension Interpreter {
    /// The `core` module: printing, conversions, lists, dicts, strings, math, files, JSON, CSV,
    /// time and seeded random numbers.
    /// Help text and examples come from `coreHelp` (Core+Help.swift).
    func coreRegistry() -> BuiltinRegistry {
        let builtins = (coreBasics() + coreLists() + coreMath() + coreStrings() + coreIO() + coreRandom()).map { b in
            coreHelp[b.name].map { b.documented(help: $0.help, example: $0.example) } ?? b
        }
        return BuiltinRegistry(module: "core",
                        builtins: builtins,
                        constants: [("pi", .number(Double.pi), "3.14159..."), ("e", .number(M_E), "2.71828..."),
                                    ("inf", .number(.infinity), "positive infinity"), ("nan", .number(.nan), "not a number")])
    }

    func coreBasics() -> [Builtin] {
        [
            Builtin("print", "print(...values, sep: \" \", end: \"\\n\")", "Writes the values separated by spaces, then a newline.") { a in
                let sep = try a.string(nil, "sep", default: " "), end = try a.string(nil, "end", default: "\n")
                try a.check(positional: 0...Int.max, keywords: ["sep", "end"])
                a.interpreter.output(a.positional.map { $0.description }.joined(separator: sep) + end)
                return .nil
            },
            Builtin("format", "format(value, spec)", "Formats a value with a spec like \".3f\", \"8.2e\", \">10\", \",d\", \".1%\".") { a in
                try a.check(positional: 1...2)
                return .string(try formatValue(try a.value(0, "value"), spec: try a.string(1, "spec", default: "")))
            },
            Builtin("len", "len(x)", "Number of items of a list, dict, string, range or sized native object.") { a in
                try a.check(positional: 1...1)
                let v = a.positional[0]
                guard let n = Ops.length(v) else { throw DprmError.type("len() of \(v.typeName) is undefined") }
                return .int(n)
            },
            Builtin("type", "type(x)", "The type name of a value: \"number\", \"string\", \"list\", \"tensor\", ...") { a in
                try a.check(positional: 1...1); return .string(a.positional[0].typeName)
            },
            Builtin("str", "str(x)", "The printed form of a value, as a string.") { a in
                try a.check(positional: 1...1); return .string(a.positional[0].description)
            },
            Builtin("repr", "repr(x)", "The source-like form of a value (strings quoted).") { a in
                try a.check(positional: 1...1); return .string(a.positional[0].repr)
            },
            Builtin("num", "num(x)", "Converts a string (or bool) to a number; errors on malformed text.") { a in
                try a.check(positional: 1...1)
                switch a.positional[0] {
                case .number: return a.positional[0]
                case .bool(let b): return .number(b ? 1 : 0)
                case .string(let s):
                    guard let x = Double(s.trimmingCharacters(in: .whitespaces)) else { throw DprmError.runtime("num(): cannot convert \(quoteString(s)) to a number") }
                    return .number(x)
                default: throw DprmError.type("num() cannot convert \(a.positional[0].typeName)")
                }
            },
            Builtin("bool", "bool(x)", "Truthiness of a value: false for nil, false, 0, \"\", [], {}.") { a in
                try a.check(positional: 1...1); return .bool(a.positional[0].isTruthy)
            },
            Builtin("range", "range(stop) | range(start, stop, step: 1)", "A range (step 1) or a list of numbers (other steps).") { a in
                try a.check(positional: 1...3, keywords: ["step"])
                let start = a.count >= 2 ? try a.int(0, "start") : 0
                let stop = a.count >= 2 ? try a.int(1, "stop") : try a.int(0, "stop")
                let step = try a.int(2, "step", default: 1)
                if step == 1 { return .range(start, stop) }
                guard step != 0 else { throw DprmError.runtime("range() step cannot be zero") }
                return .list(stride(from: start, to: stop, by: step).map { .int($0) })
            },
            Builtin("help", "help(name)", "Prints the documentation of a builtin or function; with no argument lists all builtins.") { a in
                let interp = a.interpreter
                if a.count == 0 {
                    for r in interp.registries {
                        interp.output("[\(r.module)]\n")
                        for b in r.builtins { interp.output("  \(b.signature.padding(toLength: max(b.signature.count, 34), withPad: " ", startingAt: 0))  \(b.summary)\n") }
                    }
                    return .nil
                }
                let name: String
                switch a.positional[0] {
                case .string(let s): name = s
                case .function(let f): name = f.name
                default: throw DprmError.type("help() takes a name or a function")
                }
                guard let text = interp.help(name) else {
                    var e = DprmError.name("no help for '\(name)'")
                    if let s = closestName(name, in: Array(interp.builtinTable.keys)) { e.notes.append("did you mean `\(s)`?") }
                    throw e
                }
                interp.output(text + "\n")
                return .nil
            },
            Builtin("error", "error(message)", "Stops with a runtime error carrying the message.") { a in
                throw DprmError.runtime(try a.string(0, "message"))
            },
            Builtin("assert", "assert(condition, message: \"assertion failed\")", "Raises a runtime error when the condition is false.") { a in
                if !(try a.value(0, "condition")).isTruthy {
                    throw DprmError.runtime(try a.string(1, "message", default: "assertion failed"))
                }
                return .nil
            },
            Builtin("call", "call(f, ...args)", "Calls f with the remaining arguments (keywords pass through).") { a in
                let f = try a.function(0, "f")
                return try a.interpreter.call(f, Array(a.positional.dropFirst()), a.keywords)
            },
        ]
    }
}
