import Lang
import Tensors
import Autodiff
import NN
import Support

/// The generator behind `rand`, `randn`, `randint(low, high, shape)` and module initialisation
/// when no `seed:` is given; `manual_seed(n)` restarts it. One per registry, so each interpreter
/// made by `Stdlib.makeInterpreter()` starts from seed 0 and runs are reproducible.
final class TensorRandomState {
    var rng = RandomGenerator(seed: 0)
}

/// Core builtins that the tensor module extends (`sum`, `mean`, `max`, `min`, `clamp`, `split`,
/// `randint`): for non-tensor arguments the tensor version calls the core one, so registering
/// this module changes nothing for lists and numbers.
enum CoreFallback {
    static let builtins: [String: Builtin] = {
        let scratch = Interpreter(options: .init(searchPaths: [], output: { _ in }))
        let core = scratch.registries.first { $0.module == "core" }?.builtins ?? []
        return Dictionary(core.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }()

    static func call(_ name: String, _ a: inout Arguments) throws -> Value {
        guard let b = builtins[name] else { throw DprmError.type("\(name)() needs a tensor argument") }
        return try b.implementation(&a)
    }
}

/// The `shape` parameter of the tensor constructors.
let shapeParameter = Parameter.positional("shape", "shape (list of sizes or one size)", "the sizes of the axes, or one size for a vector")
/// The `seed:` parameter of the random builtins and the layer constructors.
let seedParameter = Parameter.keyword("seed", "whole number", "seeds a generator of its own for this call (nil: the shared tensor generator, see manual_seed)")

/// The `tensor` registry, as listed in `Stdlib.registries()`.
public enum TensorBuiltins {
    /// A fresh registry (with its own random generator) each time.
    public static var registry: BuiltinRegistry { Stdlib.tensorRegistry() }
}

extension Stdlib {
    /// The `tensor` module: creation, random tensors, autodiff, tensor ops, losses, optimizers,
    /// schedulers, modules and safetensors files. Tensor methods are listed by `help("tensor")`.
    public static func tensorRegistry() -> BuiltinRegistry {
        let state = TensorRandomState()
        return BuiltinRegistry(module: "tensor", builtins: tensorCreation(state) + tensorAutodiff() + tensorOps() + tensorNN(state))
    }

    static func isTensor(_ a: Arguments, _ index: Int) -> Bool {
        index < a.positional.count && a.positional[index].asTensorValue != nil
    }

    static func seeded(_ a: Arguments, _ state: TensorRandomState) throws -> RandomGenerator? {
        guard let s = a.optional(nil, "seed") else { return nil }
        guard case .number(let x) = s, x == x.rounded(), Swift.abs(x) < 9e15 else {
            throw DprmError.type("\(a.callee)() argument 'seed' must be a whole number, got \(s.description)")
        }
        return RandomGenerator(seed: UInt64(bitPattern: Int64(x)))
    }

    /// Runs `body` with the `seed:` generator if given, else the registry's shared one.
    static func withRNG<R>(_ a: Arguments, _ state: TensorRandomState, _ body: (inout RandomGenerator) throws -> R) throws -> R {
        if var local = try seeded(a, state) { return try body(&local) }
        return try body(&state.rng)
    }

    // MARK: creation

    static func tensorCreation(_ state: TensorRandomState) -> [Builtin] {
        [
            Builtin("tensor", parameters: [
                    .positional("data", "tensor (or number/list)", "a number, nested list of numbers, or tensor"),
                ], "A tensor from a number, a nested list of numbers or another tensor (copied).",
                    help: "Ragged lists are an error. Elements are stored as float32.\nMembers of tensors (t.name):\n" + TensorValue.memberHelp,
                    example: "let t = tensor([[1, 2], [3, 4]])\nprint(t.shape, t.sum().item())   # [2, 2] 10") { a in
                let t = try a.tensor(0, "data")
                return .tensor(a.positional[0].asTensorValue != nil ? t.copy() : t)
            },
            Builtin("zeros", parameters: [
                    shapeParameter,
                ], "A tensor of zeros.", help: "shape is a list of sizes, or one size for a vector.",
                    example: "zeros([2, 3]).shape   # [2, 3]") { a in
                return .tensor(Tensor.zeros(try a.shape(0, "shape")))
            },
            Builtin("ones", parameters: [
                    shapeParameter,
                ], "A tensor of ones.", help: "shape is a list of sizes, or one size for a vector.",
                    example: "ones(3).sum().item()   # 3") { a in
                return .tensor(Tensor.ones(try a.shape(0, "shape")))
            },
            Builtin("full", parameters: [
                    shapeParameter,
                    .positional("value", "number", "every element's value"),
                ], "A tensor with every element equal to value.",
                    help: "shape is a list of sizes, or one size for a vector.",
                    example: "full([2, 2], 0.5)") { a in
                return .tensor(Tensor.full(try a.shape(0, "shape"), Float(try a.number(1, "value"))))
            },
            Builtin("arange", parameters: [
                    .positional("start", "number", "the first value; given alone, the stop (the start is then 0)"),
                    .positional("stop", "number", optional: true, "the bound (not included)"),
                    .positional("step", "number", default: 1, "the distance between values (not 0)"),
                ], "Evenly spaced values start, start+step, ... below stop.",
                    help: "Like numpy.arange; step may be negative or fractional but not zero.",
                    example: "arange(5).tolist()   # [0, 1, 2, 3, 4]\narange(1, 2, 0.25).tolist()   # [1, 1.25, 1.5, 1.75]") { a in
                let both = a.count >= 2 || a.keyword("stop") != nil
                let start = both ? try a.number(0, "start") : 0
                let stop = both ? try a.number(1, "stop") : try a.number(0, "start")
                let step = try a.number(2, "step")
                guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
                    throw DprmError.runtime("arange(): step must be a non-zero finite number and bounds finite")
                }
                let n = Swift.max(0, ((stop - start) / step).rounded(.up))
                guard n <= Double(TensorValue.maxElements) else { throw DprmError.runtime("arange(): \(formatNumber(n)) elements is too many") }
                return .tensor(Tensor((0..<Int(n)).map { Float(start + Double($0) * step) }))
            },
            Builtin("linspace", parameters: [
                    .positional("start", "number", "the first value"),
                    .positional("end", "number", "the last value"),
                    .positional("count", "whole number", "how many values"),
                ], "count evenly spaced values from start to end, both included.",
                    help: "Like numpy.linspace: the step is (end - start) / (count - 1); count 1 gives [start].",
                    example: "linspace(0, 1, 5).tolist()   # [0, 0.25, 0.5, 0.75, 1]") { a in
                let n = try a.int(2, "count")
                guard n >= 0, n <= TensorValue.maxElements else { throw DprmError.runtime("linspace(): count must be between 0 and \(TensorValue.maxElements), got \(n)") }
                return .tensor(Tensor.linspace(Float(try a.number(0, "start")), Float(try a.number(1, "end")), count: n))
            },
            Builtin("eye", parameters: [
                    .positional("n", "whole number", "rows and columns"),
                ], "The n x n identity matrix.", help: "Ones on the diagonal, zeros elsewhere; n is at most 46340.",
                    example: "eye(3).sum().item()   # 3") { a in
                let n = try a.int(0, "n")
                guard n >= 0, n <= 46340 else { throw DprmError.runtime("eye(): n must be between 0 and 46340, got \(n)") }
                return .tensor(Tensor.eye(n))
            },
            Builtin("manual_seed", parameters: [
                    .positional("n", "whole number", "the seed"),
                ], "Restarts the tensor random generator (rand, randn, randint, linear, mlp) at seed n.",
                    help: "Builtins that take seed: use their own generator for that call instead. It does not touch the interpreter's generator behind random, randint, normal, shuffle and choice: that one is restarted by seed(n) (see help(seed)); the two are separate so drawing a random() never shifts a model's initial weights.",
                    example: "manual_seed(1)\nlet a = randn(3)\nmanual_seed(1)\nassert(randn(3).tolist() == a.tolist())") { a in
                let n = try a.int(0, "n")
                state.rng = RandomGenerator(seed: UInt64(bitPattern: Int64(n)))
                return .nil
            },
            Builtin("rand", parameters: [
                    shapeParameter,
                    .positional("low", "number", default: 0, "the smallest value"),
                    .positional("high", "number", default: 1, "the bound (not included)"),
                    seedParameter,
                ], "Uniform random numbers in [low, high).",
                    help: "Deterministic: seed: n uses a generator seeded with n; otherwise the shared tensor generator (see manual_seed).",
                    example: "rand([2, 3], seed: 7)") { a in
                let shape = try a.shape(0, "shape")
                let lo = Float(try a.number(1, "low")), hi = Float(try a.number(2, "high"))
                return .tensor(try withRNG(a, state) { Tensor.rand(shape, low: lo, high: hi, rng: &$0) })
            },
            Builtin("randn", parameters: [
                    shapeParameter,
                    .positional("mean", "number", default: 0, "the mean"),
                    .positional("std", "number", default: 1, "the standard deviation"),
                    seedParameter,
                ], "Normally distributed random numbers.",
                    help: "Deterministic: seed: n uses a generator seeded with n; otherwise the shared tensor generator (see manual_seed).",
                    example: "let w = randn([3, 2], seed: 1) * 0.1") { a in
                let shape = try a.shape(0, "shape")
                let m = Float(try a.number(1, "mean")), s = Float(try a.number(2, "std"))
                return .tensor(try withRNG(a, state) { Tensor.randn(shape, mean: m, std: s, rng: &$0) })
            },
            Builtin("randint", parameters: [
                    .positional("low", "whole number", "the smallest value"),
                    .positional("high", "whole number", "the bound: not included with a shape, included without (core randint)"),
                    .positional("shape", "shape (list of sizes or one size)", optional: true, "the tensor's shape (nil: one number, the core randint)"),
                    seedParameter,
                ], "A tensor of random whole numbers in [low, high); with two numbers, the core randint(a, b).",
                    help: "With a shape: a tensor of integers low <= x < high (stored as floats), as torch.randint.\nWithout one: one whole number in [a, b], both included (core).",
                    example: "randint(0, 10, [2, 3], seed: 3)") { a in
                guard a.count >= 3 || a.keyword("shape") != nil else { return try CoreFallback.call("randint", &a) }
                let lo = try a.int(0, "low"), hi = try a.int(1, "high")
                guard hi > lo else { throw DprmError.runtime("randint(): high (\(hi)) must be greater than low (\(lo))") }
                let shape = try a.shape(2, "shape")
                return .tensor(try withRNG(a, state) { Tensor.randint(shape, low: lo, high: hi, rng: &$0) })
            },
        ]
    }

    // MARK: autodiff

    static func tensorAutodiff() -> [Builtin] {
        [
            Builtin("param", parameters: [
                    .positional("t", "tensor (or number/list)", "the initial value (copied)"),
                    .positional("name", "string", default: .string(""), "a name shown in messages"),
                ], "A parameter: a leaf tensor (copied from t) that requires gradients.",
                    help: "Every op on a parameter records how to send gradients back; grad(loss, [p]) or loss.backward() computes them, and optimizers update parameters in place.",
                    example: "let w = param(randn([3, 2], seed: 1) * 0.1)\nprint(w.requires_grad)   # true") { a in
                let t = try a.tensor(0, "t").copy()
                return .variable(Variable(t, requiresGrad: true, name: try a.string(1, "name")))
            },
            Builtin("grad", parameters: [
                    .positional("loss", "tensor", "a one-element tensor"),
                    .positional("params", "list of tensors", "the tensors differentiated against"),
                ], "The gradients of a one-element loss with respect to each parameter, as a list of tensors.",
                    help: "Does not touch p.grad (unlike loss.backward()). A parameter the loss does not depend on gets zeros.",
                    example: "let w = param([1, 2, 3])\nlet g = grad((w * w).sum(), [w])\nprint(g[0].tolist())   # [2, 4, 6]") { a in
                guard let loss = a.positional[0].asTensorValue else {
                    throw DprmError.type("grad() argument 'loss' must be a tensor, got \(a.positional[0].typeName)")
                }
                guard loss.variable.value.count == 1 else {
                    throw DprmError.runtime("grad(): the loss must have one element, got shape \(Tensor.describe(loss.shape))")
                }
                let params = try a.tensorList(1, "params")
                for (k, p) in params.enumerated() where !p.variable.requiresGrad {
                    throw DprmError.runtime("grad(): params[\(k)] does not require grad (make it with param(t))")
                }
                guard loss.variable.requiresGrad else {
                    throw DprmError.runtime("grad(): the loss does not depend on any parameter")
                }
                return .list(gradients(of: loss.variable, wrt: params.map(\.variable)).map { .tensor($0) })
            },
            Builtin("no_grad", parameters: [
                    .positional("fn", "function", "a function of no arguments, run without recording gradients"),
                ], "Calls fn() with gradient recording off and returns its result.",
                    help: "Inside, ops on parameters build no graph (inference, evaluation, manual updates).",
                    example: "let w = param([1, 2])\nlet y = no_grad(|| w * 2)\nprint(y.requires_grad)   # false") { a in
                let f = try a.function(0, "fn")
                let interp = a.interpreter
                return try noGrad { try interp.call(f) }
            },
        ]
    }
}
