import Foundation
import Support

extension Interpreter {
    /// The `core` module: printing, conversions, lists, dicts, strings, math, files, JSON, CSV,
    /// time and seeded random numbers.
    /// Each builtin carries its help text and example beside its implementation. Examples run in a
    /// fresh interpreter with a scratch working directory and must succeed (Stdlib's
    /// `BuiltinDocTests`); files they write go under /tmp. A trailing `# value` comment shows what
    /// a line gives (LangTests check it).
    func coreRegistry() -> BuiltinRegistry {
        let builtins = coreBasics() + coreLists() + coreMath() + coreStrings() + coreIO() + coreRandom()
        return BuiltinRegistry(module: "core",
                        builtins: builtins,
                        constants: [("pi", .number(Double.pi), "3.14159..."), ("e", .number(M_E), "2.71828..."),
                                    ("inf", .number(.infinity), "positive infinity"), ("nan", .number(.nan), "not a number")])
    }

    func coreBasics() -> [Builtin] {
        [
            Builtin("print", parameters: [
                    .variadic("values", "any value", "the values printed"),
                    .keyword("sep", "string", default: .string(" "), "put between the values"),
                    .keyword("end", "string", default: .string("\n"), "written after the last value"),
                ], "Writes the values separated by spaces, then a newline.",
                help: """
                Writes the printed form of each value (strings without quotes, numbers in shortest form,
                lists and dicts as literals, tensors as summaries), separated by `sep`, followed by `end`.
                Output goes to the interpreter's output (stdout, or the notebook cell / REPL capture).
                With no values it writes just `end`. `sep` and `end` must be strings.
                """,
                example: #"""
                print("loss", 0.5)               # loss 0.5
                print(1, 2, 3, sep: ", ")        # 1, 2, 3
                print("no newline", end: "")
                """#) { a in
                let sep = try a.string(nil, "sep"), end = try a.string(nil, "end")
                let parts = a.positional.map(\.description)
                // A huge print is written piece by piece: joining would copy it once more.
                if parts.reduce(0, { $0 + $1.utf8.count }) > 1 << 20 {
                    for (i, part) in parts.enumerated() {
                        if i > 0 { a.interpreter.output(sep) }
                        a.interpreter.output(part)
                    }
                    a.interpreter.output(end)
                } else {
                    a.interpreter.output(parts.joined(separator: sep) + end)
                }
                return .nil
            },
            Builtin("format", parameters: [
                    .positional("value", "any value", "the value formatted"),
                    .positional("spec", "string", default: .string(""), "the format spec, e.g. \".3f\" (empty: the printed form)"),
                ], "Formats a value with a spec like \".3f\", \"8.2e\", \">10\", \",d\", \".1%\".",
                help: """
                The spec is `[[fill]align][+][0][width][,][.precision][type]`. Align is `<` (left), `>`
                (right) or `^` (center), optionally preceded by one fill character; `+` always shows the
                sign; `0` pads numbers with zeros; a comma groups thousands. Types: `f` fixed, `e`
                exponent, `g` general, `%` percent (x * 100 in `f` style, then %), `d` whole number, `s`
                string; without a type, the printed form. The same specs work inside strings: "{x:.3f}".
                An empty spec gives the printed form. Numbers align right by default, other values left;
                on a string `.n` keeps the first n characters. Errors: a malformed spec; "d" on a number with a fraction; a numeric type on a non-number.
                """,
                example: #"""
                format(3.14159, ".2f")    # "3.14"
                format(1234567, ",d")     # "1,234,567"
                format(0.256, ".1%")      # "25.6%"
                format("ab", "*^6")       # "**ab**"
                """#) { a in
                return .string(try formatValue(try a.value(0, "value"), spec: try a.string(1, "spec")))
            },
            Builtin("len", parameters: [
                    .positional("x", "any value", "a list, dict, string, range or sized native object"),
                ], "Number of items of a list, dict, string, range or sized native object.",
                help: """
                Lists and dicts count their items, strings their characters (not bytes: "héllo" has 5),
                ranges their whole numbers (0 for an empty range), native objects report their own length
                (a tensor: the size of its first axis). Numbers, bools, nil and functions have no length:
                a type error.
                """,
                example: #"""
                len([1, 2, 3])     # 3
                len("héllo")       # 5
                len({a: 1})        # 1
                len(2..5)          # 3
                """#) { a in
                let v = a.positional[0]
                guard let n = Ops.length(v) else { throw DprmError.type("len() of \(v.typeName) is undefined") }
                return .int(n)
            },
            Builtin("type", parameters: [
                    .positional("x", "any value", "the value"),
                ], "The type name of a value: \"number\", \"string\", \"list\", \"tensor\", ...",
                help: """
                One of "nil", "bool", "number", "string", "list", "dict", "range", "function", or a native
                object's own type name ("tensor", "model", ...). Builtins, lambdas and bound methods are all
                "function". Useful for checks in functions that take several kinds of argument.
                """,
                example: #"""
                type(1)          # "number"
                type("a")        # "string"
                type(0..3)       # "range"
                type(print)      # "function"
                """#) { a in
                return .string(a.positional[0].typeName)
            },
            Builtin("str", parameters: [
                    .positional("x", "any value", "the value"),
                ], "The printed form of a value, as a string.",
                help: """
                The same text `print` writes for the value: a string is returned unchanged (no quotes),
                numbers in shortest round-trip form (3, 0.1, 1e-05), lists and dicts in literal form with
                strings quoted inside, native objects as their description. For a fixed number of
                decimals use `format` or "{x:.3f}".
                """,
                example: #"""
                str(3)            # "3"
                str(0.1 + 0.2)    # "0.30000000000000004"
                str([1, "a"])     # "[1, \"a\"]"
                """#) { a in
                return .string(a.positional[0].description)
            },
            Builtin("repr", parameters: [
                    .positional("x", "any value", "the value"),
                ], "The source-like form of a value (strings quoted).",
                help: """
                Like `str`, but a string comes back quoted and escaped as a .dprm literal, so the result
                shows where a string starts and ends (useful when debugging whitespace). Other values give
                the same text as `str`; native objects give their one-line summary.
                """,
                example: #"""
                repr("a\tb")     # "\"a\\tb\""
                repr(3)          # "3"
                """#) { a in
                return .string(a.positional[0].repr)
            },
            Builtin("num", parameters: [
                    .positional("x", "any value", "a number, bool or string"),
                ], "Converts a string (or bool) to a number; errors on malformed text.",
                help: """
                A number is returned unchanged; true and false become 1 and 0; a string is parsed after
                trimming spaces ("1", " 2.5 ", "1e-3", "-inf", "nan" all work). Any other text is a
                runtime error naming the string; lists, dicts, nil and other types are a type error.
                """,
                example: #"""
                num("1e-3")      # 0.001
                num(" 42 ")      # 42
                num(true)        # 1
                """#) { a in
                switch a.positional[0] {
                case .number: return a.positional[0]
                case .bool(let b): return .number(b ? 1 : 0)
                case .string(let s):
                    guard let x = Double(s.trimmingCharacters(in: .whitespaces)) else { throw DprmError.runtime("num(): cannot convert \(quoteString(s)) to a number") }
                    return .number(x)
                default: throw DprmError.type("num() cannot convert \(a.positional[0].typeName)")
                }
            },
            Builtin("bool", parameters: [
                    .positional("x", "any value", "the value tested for truth"),
                ], "Truthiness of a value: false for nil, false, 0, \"\", [], {}.",
                help: """
                The truth value `if` and `while` use: nil, false, 0, "" (empty string), [] (empty list),
                {} (empty dict) and empty ranges are false; everything else is true, including "0", "false",
                nan, functions and native objects.
                """,
                example: #"""
                bool(0)       # false
                bool("0")     # true
                bool([])      # false
                """#) { a in
                return .bool(a.positional[0].isTruthy)
            },
            Builtin("range", parameters: [
                    .positional("start", "whole number", "the first value; given alone, the stop (the start is then 0)"),
                    .positional("stop", "whole number", optional: true, "the end (not included)"),
                    .positional("step", "whole number", default: 1, "the distance between values (not 0)"),
                ], "A range (step 1) or a list of numbers (other steps).",
                help: """
                range(stop) is the range 0..stop, range(start, stop) is start..stop: half-open (stop is not
                included), lazy, iterable, indexable and sliceable. With a step other than 1 (positional or
                `step:`) the result is a list of start, start+step, ... stopping before stop; a negative
                step counts down. Arguments must be whole numbers; step 0 is an error. A stop at or
                before start gives an empty range.
                """,
                example: #"""
                range(3)              # 0..3, i.e. 0, 1, 2
                range(2, 5)           # 2..5
                range(0, 10, 3)       # [0, 3, 6, 9]
                range(5, 0, step: -2) # [5, 3, 1]
                """#) { a in
                let both = a.count >= 2 || a.keyword("stop") != nil
                let start = both ? try a.int(0, "start") : 0
                let stop = both ? try a.int(1, "stop") : try a.int(0, "start")
                let step = try a.int(2, "step")
                if step == 1 { return .range(start, stop) }
                guard step != 0 else { throw DprmError.runtime("range() step cannot be zero") }
                let span = Double(stop) - Double(start)
                try Limits.check(span / Double(step) > 0 ? Int(min(span / Double(step), 9e18)) : 0, bytesEach: Limits.valueBytes, "range() with step \(step)")
                return .list(stride(from: start, to: stop, by: step).map { .int($0) })
            },
            Builtin("help", parameters: [
                    .positional("name", "string or function", optional: true, "a builtin name or a function (nothing: the overview)"),
                ], "Prints the documentation of a builtin or function; with no argument lists all builtins.",
                help: """
                help("name") prints the signature, summary, help text and example of a builtin from any
                registered module, or the parameters of a .dprm function (pass the function itself or its
                name). help() lists every builtin, module by module, one line each. An unknown name is an
                error with a "did you mean" suggestion. In the REPL `:help name` does the same.
                """,
                example: #"""
                help("len")
                fn area(w, h = 1) { w * h }
                help(area)
                """#) { a in
                let interp = a.interpreter
                guard let topic = a.optional(0, "name") else {
                    for r in interp.registries {
                        interp.output("[\(r.module)]\n")
                        for b in r.builtins { interp.output("  \(b.signature.padding(toLength: max(b.signature.count, 34), withPad: " ", startingAt: 0))  \(b.summary)\n") }
                    }
                    return .nil
                }
                let name: String
                switch topic {
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
            Builtin("error", parameters: [
                    .positional("message", "string", "the message"),
                ], "Stops with a runtime error carrying the message.",
                help: """
                Raises a runtime error with the message; it stops the script (exit code 70) with the usual
                location and stack trace of .dprm frames, or returns to the prompt in the REPL. Use it
                to reject bad input in your own functions. The message must be a string; interpolate
                values into it.
                """,
                example: #"""
                fn check_lr(lr) {
                  if lr <= 0 { error("lr must be positive, got {lr}") }
                  lr
                }
                check_lr(0.1)     # 0.1; check_lr(0) stops with "lr must be positive, got 0"
                """#) { a in
                throw DprmError.runtime(try a.string(0, "message"))
            },
            Builtin("assert", parameters: [
                    .positional("condition", "any value", "must be truthy"),
                    .positional("message", "string", default: .string("assertion failed"), "the message of the error raised otherwise"),
                ], "Raises a runtime error when the condition is false.",
                help: """
                Does nothing when the condition is truthy (see `bool`); otherwise raises a runtime error
                with the message (default "assertion failed") at the call. The condition is any value,
                not only a bool.
                """,
                example: #"""
                let xs = [3, 1, 2]
                assert(len(xs) == 3)
                assert(xs, message: "xs must not be empty")
                """#) { a in
                if !(try a.value(0, "condition")).isTruthy {
                    throw DprmError.runtime(try a.string(1, "message"))
                }
                return .nil
            },
            Builtin("call", parameters: [
                    .positional("f", "function", "the function called"),
                    .variadic("args", "any value", "its positional arguments"),
                    .variadicKeywords("keywords", "any value", "its keyword arguments"),
                ], "Calls f with the remaining arguments (keywords pass through).",
                help: """
                Calls any function value (a .dprm function, a lambda, a builtin, a bound method) with the
                remaining positional arguments and the keyword arguments of this call. Useful when the
                function is computed (taken from a dict or a list). Errors from the callee pass through;
                a non-function first argument is a type error.
                """,
                example: #"""
                call(max, 3, 7)                       # 7
                let ops = {double: |x| x * 2}
                call(ops.double, 21)                  # 42
                call(round, 3.14159, digits: 2)       # 3.14
                """#) { a in
                let f = try a.function(0, "f")
                return try a.interpreter.call(f, Array(a.positional.dropFirst()), a.keywords)
            },
        ]
    }
}
