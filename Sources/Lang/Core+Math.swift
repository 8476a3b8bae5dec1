import Foundation

extension Interpreter {
    func coreMath() -> [Builtin] {
        func unary(_ name: String, _ summary: String, help: String, example: String, _ f: @escaping (Double) -> Double) -> Builtin {
            Builtin(name, parameters: [.positional("x", "number or tensor", "the number (a native object: mapped through its own method of this name)")],
                    summary, help: help, example: example) { a in
                let v = a.positional[0]
                if case .native(let n) = v, let m = try n.member(name), case .function = m {
                    return try a.interpreter.call(m)   // tensors: elementwise through their own method
                }
                return .number(f(try a.number(0, "x")))
            }
        }
        return [
            unary("abs", "Absolute value.",
                help: """
                |x| for a number (abs(-0) is 0, abs(nan) is nan). A native object with an `abs` method
                (a tensor) is mapped elementwise through it. Other values are a type error.
                """,
                example: "abs(-2.5)     # 2.5",
                { Swift.abs($0) }),
            unary("floor", "Largest whole number <= x.",
                help: """
                Rounds toward minus infinity: floor(2.7) is 2, floor(-2.1) is -3; whole numbers, inf and
                nan are unchanged. x must be a number (tensors have no floor: a type error).
                """,
                example: #"""
                floor(2.7)      # 2
                floor(-2.1)     # -3
                """#,
                { Foundation.floor($0) }),
            unary("ceil", "Smallest whole number >= x.",
                help: """
                Rounds toward plus infinity: ceil(2.1) is 3, ceil(-2.7) is -2; whole numbers, inf and nan
                are unchanged. x must be a number (tensors have no ceil: a type error).
                """,
                example: #"""
                ceil(2.1)       # 3
                ceil(-2.7)      # -2
                """#,
                { Foundation.ceil($0) }),
            unary("sqrt", "Square root.",
                help: """
                The non-negative square root; sqrt of a negative number is nan (no error), sqrt(inf) is
                inf. Tensors: elementwise through their `sqrt` method.
                """,
                example: #"""
                sqrt(16)        # 4
                sqrt(2)         # 1.4142135623730951
                """#,
                { Foundation.sqrt($0) }),
            unary("exp", "e to the power x.",
                help: """
                e ** x. Overflows to inf above about 709.78; exp(-inf) is 0. Tensors: elementwise through
                their `exp` method.
                """,
                example: #"""
                exp(0)      # 1
                exp(1)      # 2.718281828459045
                """#,
                { Foundation.exp($0) }),
            unary("log", "Natural logarithm.",
                help: """
                The natural logarithm (base e). log(0) is -inf and log of a negative number is nan; no
                error is raised, so check with `is_finite` when inputs may be zero. Tensors: elementwise
                through their `log` method.
                """,
                example: #"""
                log(e)      # 1
                log(1)      # 0
                """#,
                { Foundation.log($0) }),
            unary("log2", "Base-2 logarithm.",
                help: """
                The base-2 logarithm; log2(0) is -inf, negatives give nan. x must be a number (for tensors
                use t.log() / log(2)).
                """,
                example: "log2(1024)     # 10",
                { Foundation.log2($0) }),
            unary("log10", "Base-10 logarithm.",
                help: """
                The base-10 logarithm; log10(0) is -inf, negatives give nan. x must be a number (for
                tensors use t.log() / log(10)).
                """,
                example: "log10(1000)    # 3",
                { Foundation.log10($0) }),
            unary("sin", "Sine (radians).",
                help: """
                The sine of an angle in radians (multiply degrees by pi / 180). sin(inf) is nan. x must
                be a number (tensors: a type error).
                """,
                example: "sin(pi / 2)    # 1",
                { Foundation.sin($0) }),
            unary("cos", "Cosine (radians).",
                help: """
                The cosine of an angle in radians. cos(inf) is nan. x must be a number (tensors: a type
                error).
                """,
                example: "cos(0)         # 1",
                { Foundation.cos($0) }),
            unary("tan", "Tangent (radians).",
                help: """
                The tangent of an angle in radians; near pi / 2 it is very large rather than inf (pi / 2
                is not exact in floating point). x must be a number (tensors: a type error).
                """,
                example: "tan(pi / 4)    # 0.9999999999999999",
                { Foundation.tan($0) }),
            unary("tanh", "Hyperbolic tangent.",
                help: """
                The hyperbolic tangent, in (-1, 1); tanh(inf) is 1. Tensors: elementwise through their
                `tanh` method (differentiable).
                """,
                example: "tanh(0.5)      # 0.46211715726000974",
                { Foundation.tanh($0) }),
            unary("sigmoid", "1 / (1 + exp(-x)).",
                help: """
                The logistic function 1 / (1 + exp(-x)), in [0, 1]: sigmoid(0) is 0.5, large negative x
                gives 0 (no overflow error). Tensors: elementwise through their `sigmoid` method
                (differentiable).
                """,
                example: #"""
                sigmoid(0)      # 0.5
                sigmoid(-1000)  # 0
                """#,
                { 1 / (1 + Foundation.exp(-$0)) }),
            Builtin("round", parameters: [
                    .positional("x", "number", "the number"),
                    .positional("digits", "whole number", default: 0, "the number of decimals (negative: tens, hundreds, ...)"),
                ], "Rounds half away from zero to the given number of decimals.",
                help: """
                Rounds to `digits` decimals (default 0, a whole number), halves away from zero
                (round(2.5) is 3, round(-2.5) is -3). Negative digits round to tens, hundreds, ...
                Binary floating point means some halves are not exact (round(1.005, 2) gives 1). For
                display, prefer format(x, ".2f"). x must be a number, digits a whole number.
                """,
                example: #"""
                round(3.14159, 2)     # 3.14
                round(2.5)            # 3
                round(1234, -2)       # 1200
                """#) { a in
                let x = try a.number(0, "x"), d = try a.int(1, "digits")
                let p = Foundation.pow(10.0, Double(d))
                return .number((x * p).rounded(.toNearestOrAwayFromZero) / p)
            },
            Builtin("pow", parameters: [
                    .positional("x", "number", "the base"),
                    .positional("y", "number", "the exponent"),
                ], "x to the power y (same as x ** y).",
                help: """
                x raised to the power y, for numbers; the same as x ** y. pow(0, 0) is 1; a negative x
                with a fractional y gives nan; overflow gives inf. For tensors use `**`.
                """,
                example: #"""
                pow(2, 10)      # 1024
                pow(9, 0.5)     # 3
                """#) { a in
                .number(Foundation.pow(try a.number(0, "x"), try a.number(1, "y")))
            },
            Builtin("clamp", parameters: [
                    .positional("x", "number", "the number"),
                    .positional("lo", "number", "the lower bound"),
                    .positional("hi", "number", "the upper bound"),
                ], "x limited to [lo, hi].",
                help: """
                min(max(x, lo), hi) for numbers: lo when x < lo, hi when x > hi, else x. When lo > hi
                the result is hi. x, lo and hi must be numbers; for tensors use t.clamp(lo, hi).
                """,
                example: #"""
                clamp(1.7, 0, 1)      # 1
                clamp(-3, 0, 1)       # 0
                clamp(0.25, 0, 1)     # 0.25
                """#) { a in
                .number(Swift.min(Swift.max(try a.number(0, "x"), try a.number(1, "lo")), try a.number(2, "hi")))
            },
            Builtin("is_nan", parameters: [
                    .positional("x", "number", "the number"),
                ], "Whether x is not a number.",
                help: """
                True only for nan (not a number), the result of 0 / 0, inf - inf, sqrt(-1), log(-1).
                nan is the only value not equal to itself, so `x == nan` is always false: use this.
                The argument must be a number.
                """,
                example: #"""
                is_nan(0 / 0)     # true
                is_nan(inf)       # false
                """#) { a in .bool(try a.number(0, "x").isNaN) },
            Builtin("is_finite", parameters: [
                    .positional("x", "number", "the number"),
                ], "Whether x is neither infinite nor nan.",
                help: """
                True for ordinary numbers, false for inf, -inf and nan. Use it to stop training when a
                loss diverges. The argument must be a number.
                """,
                example: #"""
                is_finite(1e308)       # true
                is_finite(1 / 0)       # false
                """#) { a in .bool(try a.number(0, "x").isFinite) },
            Builtin("mean", parameters: [
                    .positional("numbers", "list or iterable", "the numbers (a list or other iterable)"),
                ], "Arithmetic mean of a list of numbers.",
                help: """
                The sum of the numbers divided by their count. Every item must be a number (a type error
                names the first other type); an empty iterable is a runtime error. For tensors use the
                `mean` method (`t.mean()`).
                """,
                example: #"""
                mean([1, 2, 3, 4])     # 2.5
                mean(0..10)            # 4.5
                """#) { a in
                let xs = try a.sequence(0, "numbers")
                guard !xs.isEmpty else { throw DprmError.runtime("mean() of an empty list") }
                var s = 0.0
                for x in xs { guard case .number(let v) = x else { throw DprmError.type("mean() needs numbers, got \(x.typeName)") }; s += v }
                return .number(s / Double(xs.count))
            },
        ]
    }
}
