import Foundation

extension Interpreter {
    func coreMath() -> [Builtin] {
        func unary(_ name: String, _ summary: String, _ f: @escaping (Double) -> Double) -> Builtin {
            Builtin(name, "\(name)(x)", summary) { a in
                try a.check(positional: 1...1)
                let v = a.positional[0]
                if case .native(let n) = v, let m = try n.member(name), case .function = m {
                    return try a.interpreter.call(m)   // tensors: elementwise through their own method
                }
                return .number(f(try a.number(0, "x")))
            }
        }
        return [
            unary("abs", "Absolute value.", { Swift.abs($0) }),
            unary("floor", "Largest whole number <= x.", { Foundation.floor($0) }),
            unary("ceil", "Smallest whole number >= x.", { Foundation.ceil($0) }),
            unary("sqrt", "Square root.", { Foundation.sqrt($0) }),
            unary("exp", "e to the power x.", { Foundation.exp($0) }),
            unary("log", "Natural logarithm.", { Foundation.log($0) }),
            unary("log2", "Base-2 logarithm.", { Foundation.log2($0) }),
            unary("log10", "Base-10 logarithm.", { Foundation.log10($0) }),
            unary("sin", "Sine (radians).", { Foundation.sin($0) }),
            unary("cos", "Cosine (radians).", { Foundation.cos($0) }),
            unary("tan", "Tangent (radians).", { Foundation.tan($0) }),
            unary("tanh", "Hyperbolic tangent.", { Foundation.tanh($0) }),
            unary("sigmoid", "1 / (1 + exp(-x)).", { 1 / (1 + Foundation.exp(-$0)) }),
            Builtin("round", "round(x, digits: 0)", "Rounds half away from zero to the given number of decimals.") { a in
                let x = try a.number(0, "x"), d = try a.int(1, "digits", default: 0)
                let p = Foundation.pow(10.0, Double(d))
                return .number((x * p).rounded(.toNearestOrAwayFromZero) / p)
            },
            Builtin("pow", "pow(x, y)", "x to the power y (same as x ** y).") { a in
                .number(Foundation.pow(try a.number(0, "x"), try a.number(1, "y")))
            },
            Builtin("clamp", "clamp(x, lo, hi)", "x limited to [lo, hi].") { a in
                .number(Swift.min(Swift.max(try a.number(0, "x"), try a.number(1, "lo")), try a.number(2, "hi")))
            },
            Builtin("is_nan", "is_nan(x)", "Whether x is not a number.") { a in .bool(try a.number(0, "x").isNaN) },
            Builtin("is_finite", "is_finite(x)", "Whether x is neither infinite nor nan.") { a in .bool(try a.number(0, "x").isFinite) },
            Builtin("mean", "mean(numbers)", "Arithmetic mean of a list of numbers.") { a in
                let xs = try a.sequence(0, "numbers")
                guard !xs.isEmpty else { throw DprmError.runtime("mean() of an empty list") }
                var s = 0.0
                for x in xs { guard case .number(let v) = x else { throw DprmError.type("mean() needs numbers, got \(x.typeName)") }; s += v }
                return .number(s / Double(xs.count))
            },
        ]
    }
}
