import Lang
import Tensors
import Autodiff

extension Stdlib {
    /// Calls the tensor method `name` on argument 0 with the remaining arguments.
    static func viaMethod(_ name: String, _ a: inout Arguments) throws -> Value {
        let t = a.positional[0].asTensorValue!
        var rest = Arguments(callee: name, positional: Array(a.positional.dropFirst()), keywords: a.keywords, interpreter: a.interpreter)
        guard let r = try TensorValue.members.call(name, on: t, &rest) else { throw DprmError.type("tensor has no method \(name)") }
        return r
    }

    /// A core builtin extended to tensors: a tensor first argument goes to the tensor method.
    static func extended(_ name: String, parameters: [Parameter], _ summary: String, help: String, example: String) -> Builtin {
        Builtin(name, parameters: parameters, summary, help: help, example: example) { a in
            if isTensor(a, 0) { return try viaMethod(name, &a) }
            return try CoreFallback.call(name, &a)
        }
    }

    /// `softmax` / `log_softmax` as functions: the tensor method of the same name on x.
    static func softmaxBuiltin(_ name: String, _ summary: String, help: String, example: String,
                               _ f: @escaping (Variable) -> Variable) -> Builtin {
        Builtin(name, parameters: [
                .positional("x", "tensor (or number/list)", "the input"),
                .positional("axis", "whole number", default: -1, "the axis normalised along"),
            ], summary, help: help, example: example) { a in
            let t = TensorValue(try a.variable(0, "x"))
            var rest = Arguments(callee: name, positional: Array(a.positional.dropFirst()), keywords: a.keywords, interpreter: a.interpreter)
            return try t.softmaxLike(&rest, name, f)
        }
    }

    static func shapes(_ vs: [Variable]) -> String { vs.map { Tensor.describe($0.shape) }.joined(separator: ", ") }

    /// `max` / `min`: a tensor with the reductions' axis and keepdims, or the core form (one
    /// iterable, or the values compared).
    static func extremeParameters(_ name: String) -> [Parameter] {
        [
            .positional("x", "tensor, list or value", "a tensor, or one iterable, or the first value compared (the core \(name))"),
            .variadic("values", "any value", "a tensor's axis and keepdims, or the further values compared"),
            .keyword("axis", "whole number or list", "a tensor's axis or axes reduced (nil: every element)"),
            .keyword("keepdims", "bool", default: .bool(false), "a tensor's reduced axes kept with size 1"),
        ]
    }

    static func tensorOps() -> [Builtin] {
        [
            extended("sum", parameters: [.positional("x", "tensor or list", "a tensor, or a list of numbers (the core sum)")]
                        + TensorValue.reductionParameters,
                     "Sum of a tensor (over all elements or axis), or of a list of numbers.",
                     help: "For lists this is the core sum (items added with +).",
                     example: "sum(tensor([[1, 2], [3, 4]]), axis: 0).tolist()   # [4, 6]\nsum([1, 2, 3])   # 6"),
            extended("mean", parameters: [.positional("x", "tensor or list", "a tensor, or a list of numbers (the core mean)")]
                        + TensorValue.reductionParameters,
                     "Mean of a tensor (over all elements or axis), or of a list of numbers.",
                     help: "For lists this is the core mean.",
                     example: "mean(tensor([1, 2, 3, 4])).item()   # 2.5"),
            extended("max", parameters: extremeParameters("max"),
                     "Largest element of a tensor (overall or along axis), or the core max of a list or arguments.",
                     help: "With a tensor first argument, the second positional argument is the axis.",
                     example: "max(tensor([3, 1, 2])).item()   # 3\nmax(1, 5, 2)   # 5"),
            extended("min", parameters: extremeParameters("min"),
                     "Smallest element of a tensor (overall or along axis), or the core min of a list or arguments.",
                     help: "With a tensor first argument, the second positional argument is the axis.",
                     example: "min(tensor([3, 1, 2])).item()   # 1"),
            Builtin("clamp", parameters: [
                    .positional("x", "number or tensor", "the value limited"),
                    .positional("min", "number", optional: true, "the lower bound (nil: none; required for a number)"),
                    .positional("max", "number", optional: true, "the upper bound (nil: none; required for a number)"),
                ], "x limited to [min, max]: elementwise for tensors, core clamp for numbers.",
                    help: "For tensors either bound may be nil (or given by keyword).",
                    example: "clamp(tensor([-2, 0.5, 3]), 0, 1).tolist()   # [0, 0.5, 1]\nclamp(5, 0, 1)   # 1") { a in
                if isTensor(a, 0) { return try viaMethod("clamp", &a) }
                return try CoreFallback.call("clamp", &a)
            },
            Builtin("relu", parameters: [
                    .positional("x", "tensor (or number/list)", "the input"),
                ], "max(x, 0) elementwise.", help: "Same as x.relu(); numbers and lists are turned into tensors first. Gradient 1 where x > 0.",
                    example: "relu(tensor([-1, 2])).tolist()   # [0, 2]") { a in
                return .variable(try a.variable(0, "x").relu())
            },
            Builtin("gelu", parameters: [
                    .positional("x", "tensor (or number/list)", "the input"),
                ], "GELU (erf form) elementwise.", help: "Same as x.gelu(): x * Phi(x) with the exact normal CDF (torch's default GELU).",
                    example: "gelu(tensor([0, 1]))") { a in
                return .variable(try a.variable(0, "x").gelu())
            },
            Builtin("matmul", parameters: [
                    .positional("a", "tensor (or number/list)", "the left operand"),
                    .positional("b", "tensor (or number/list)", "the right matrix (or vector)"),
                ], "Matrix product with numpy rules (same as a @ b).",
                    help: "1-d operands are promoted to matrices and the extra axis removed; leading axes broadcast (batched products).",
                    example: "matmul(ones([2, 3]), ones([3, 4])).shape   # [2, 4]") { a in
                let x = try a.variable(0, "a"), y = try a.variable(1, "b")
                do { _ = try Tensor.matmulShape(x.shape, y.shape) } catch { throw DprmError.runtime("\(error)") }
                return .variable(x.matmul(y))
            },
            Builtin("where", parameters: [
                    .positional("condition", "tensor (or number/list)", "non-zero where a is taken"),
                    .positional("a", "tensor (or number/list)", "the values where condition holds"),
                    .positional("b", "tensor (or number/list)", "the values elsewhere"),
                ], "Elements of a where condition is non-zero, else of b (all three broadcast).",
                    help: "Gradients flow into a and b; the condition is a plain tensor (e.g. from a comparison).",
                    example: "let x = tensor([-1, 2, -3])\nwhere(x > 0, x, 0).tolist()   # [0, 2, 0]") { a in
                let c = try a.tensor(0, "condition"), x = try a.variable(1, "a"), y = try a.variable(2, "b")
                do { _ = try Tensor.broadcastShape(try Tensor.broadcastShape(c.shape, x.shape), y.shape) } catch {
                    throw DprmError.runtime("where(): shapes \(Tensor.describe(c.shape)), \(Tensor.describe(x.shape)) and \(Tensor.describe(y.shape)) do not broadcast")
                }
                return .variable(Variable.select(c, x, y))
            },
            Builtin("concat", parameters: [
                    .positional("tensors", "list or iterable", "the tensors joined"),
                    .positional("axis", "whole number", default: 0, "the axis joined along"),
                ], "Tensors joined along an existing axis (other sizes must agree).",
                    help: "All tensors have the same rank and the same sizes outside axis; gradients split back into the parts.",
                    example: "concat([ones([2, 3]), zeros([1, 3])]).shape   # [3, 3]") { a in
                let parts = try a.sequence(0, "tensors").enumerated().map { try TensorValue.variable(from: $1, what: "concat() item \($0)") }
                guard let first = parts.first else { throw DprmError.runtime("concat() needs at least one tensor") }
                guard first.shape.count >= 1 else { throw DprmError.runtime("concat() cannot join 0-d tensors (use stack)") }
                let ax = try TensorValue.axis(a.optional(1, "axis") ?? .number(0), rank: first.shape.count, op: "concat")
                for p in parts where p.shape.count != first.shape.count
                    || (0..<first.shape.count).contains(where: { $0 != ax && p.shape[$0] != first.shape[$0] }) {
                    throw DprmError.runtime("concat(): shapes \(shapes(parts)) differ outside axis \(ax)")
                }
                return .variable(Variable.concat(parts, axis: ax))
            },
            Builtin("stack", parameters: [
                    .positional("tensors", "list or iterable", "the tensors of one shape"),
                    .positional("axis", "whole number", default: 0, "the new axis's position"),
                ], "Tensors of one shape joined along a new axis.",
                    help: "axis may be from 0 to the rank of the parts (a new axis at the end); gradients flow back into each part.",
                    example: "stack([ones(3), zeros(3)]).shape   # [2, 3]") { a in
                let parts = try a.sequence(0, "tensors").enumerated().map { try TensorValue.variable(from: $1, what: "stack() item \($0)") }
                guard let first = parts.first else { throw DprmError.runtime("stack() needs at least one tensor") }
                guard parts.allSatisfy({ $0.shape == first.shape }) else { throw DprmError.runtime("stack(): shapes differ: \(shapes(parts))") }
                let ax = try TensorValue.axis(a.optional(1, "axis") ?? .number(0), rank: first.shape.count, op: "stack", insert: true)
                return .variable(Variable.stack(parts, axis: ax))
            },
            Builtin("split", parameters: [
                    .positional("x", "tensor or string", "the tensor cut, or the string split (the core split)"),
                    .positional("size_or_sizes", "whole number, list of whole numbers, or string", optional: true,
                                "a tensor's piece size or list of sizes (required), or a string's separator"),
                    .keyword("axis", "whole number", default: 0, "a tensor's axis cut along"),
                    .keyword("sep", "string", "a string's separator (nil: runs of whitespace)"),
                ], "A tensor cut along axis into pieces of one size (the last may be smaller) or of the listed sizes; strings: core split.",
                    help: "Pieces are views: gradients flow back into t.",
                    example: "len(split(arange(10), 4))   # 3\nsplit(arange(5), [2, 3])[1].tolist()   # [2, 3, 4]") { a in
                guard isTensor(a, 0) else { return try CoreFallback.call("split", &a) }
                if a.count < 2 {   // passed by name (optional for the string form, so not bound to its position)
                    guard let v = a.keyword("size_or_sizes") else { throw DprmError.type("split() missing argument 'size_or_sizes'") }
                    a.positional.append(v)
                }
                let t = a.positional[0].asTensorValue!
                guard t.rank >= 1 else { throw DprmError.runtime("split() cannot split a 0-d tensor") }
                let ax = try TensorValue.axis(a.optional(2, "axis") ?? .number(0), rank: t.rank, op: "split")
                let n = t.shape[ax]
                var sizes: [Int]
                if case .number = a.positional[1] {
                    let size = try a.int(1, "size")
                    guard size > 0 else { throw DprmError.runtime("split(): size must be positive, got \(size)") }
                    sizes = Array(repeating: size, count: n / size)
                    if n % size != 0 { sizes.append(n % size) }
                } else {
                    sizes = try a.ints(1, "sizes")
                    guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == n else {
                        throw DprmError.runtime("split(): sizes \(sizes) do not add up to \(n), the size of axis \(ax) of \(Tensor.describe(t.shape))")
                    }
                }
                return .list(t.variable.split(sizes: sizes, axis: ax).map { .variable($0) })
            },
            Builtin("one_hot", parameters: [
                    .positional("indices", "list of whole numbers", "class ids (a list or tensor of whole numbers)"),
                    .positional("classes", "whole number", "the number of classes"),
                ], "Rows of zeros with a one at each index: shape [n, classes].",
                    help: "indices: a list or tensor of whole numbers in [0, classes); the result is a plain float tensor.",
                    example: "one_hot([0, 2], 3).tolist()   # [[1, 0, 0], [0, 0, 1]]") { a in
                let idx = try a.ints(0, "indices"), classes = try a.int(1, "classes")
                guard classes > 0 else { throw DprmError.runtime("one_hot(): classes must be positive, got \(classes)") }
                if let bad = idx.first(where: { $0 < 0 || $0 >= classes }) {
                    throw DprmError.runtime("one_hot(): index \(bad) out of range for \(classes) classes")
                }
                _ = try TensorValue.checkedCount(idx.count, classes, shape: [idx.count, classes], what: "one_hot()")
                return .tensor(Tensor.oneHot(idx, classes: classes))
            },
            Builtin("gather", parameters: [
                    .positional("t", "tensor (or number/list)", "the tensor read"),
                    .positional("axis", "whole number", "the axis indexed"),
                    .positional("index", "tensor (or number/list)", "whole-number indices, the shape of the result"),
                ], "out[..., j, ...] = t[..., index[..., j, ...], ...] along axis (torch.gather).",
                    help: "index has the rank of t and at most t's sizes outside axis; gradients scatter back into t.",
                    example: "gather(tensor([[1, 2], [3, 4]]), 1, tensor([[1], [0]])).tolist()   # [[2], [3]]") { a in
                let t = try a.variable(0, "t")
                let index = try a.tensor(2, "index")
                let r = t.shape.count
                let ax = try TensorValue.axis(a.positional[1], rank: r, op: "gather")
                guard index.rank == r, (0..<r).allSatisfy({ $0 == ax || index.shape[$0] <= t.shape[$0] }) else {
                    throw DprmError.runtime("gather(): index shape \(Tensor.describe(index.shape)) does not fit \(Tensor.describe(t.shape)) (same rank, sizes at most t's outside axis \(ax))")
                }
                let n = t.shape[ax]
                if let bad = index.toArray().first(where: { $0 != $0.rounded() || $0 < 0 || Int($0) >= n }) {
                    throw DprmError.runtime("gather(): index \(bad) out of range for axis \(ax) of size \(n)")
                }
                return .variable(t.gather(axis: ax, index: index))
            },
            Builtin("index_select", parameters: [
                    .positional("t", "tensor (or number/list)", "the tensor read"),
                    .positional("axis", "whole number", "the axis indexed"),
                    .positional("indices", "list of whole numbers", "the positions taken, in order"),
                ], "Slices of t along axis picked by indices, in order (repeats allowed).",
                    help: "With axis 0 on a [vocab, dim] table this is an embedding lookup; gradients add back into the picked rows.",
                    example: "index_select(eye(3), 0, [2, 0]).tolist()   # [[0, 0, 1], [1, 0, 0]]") { a in
                let t = try a.variable(0, "t")
                let ax = try TensorValue.axis(a.positional[1], rank: t.shape.count, op: "index_select")
                let n = t.shape[ax]
                let idx = try a.ints(2, "indices").map { $0 < 0 ? $0 + n : $0 }
                if let bad = idx.first(where: { $0 < 0 || $0 >= n }) {
                    throw DprmError.runtime("index_select(): index \(bad) out of range for axis \(ax) of size \(n)")
                }
                return .variable(t.indexSelect(axis: ax, indices: idx))
            },
            softmaxBuiltin("softmax", "exp(x) normalised to sum 1 along axis.",
                           help: "Same as x.softmax(axis:); along the last axis by default, computed stably (max subtracted).",
                           example: "softmax(tensor([0, 0])).tolist()   # [0.5, 0.5]") { $0.softmax() },
            softmaxBuiltin("log_softmax", "log(softmax(x)) along axis, computed stably.",
                           help: "Same as x.log_softmax(axis:); use it with gather or cross_entropy instead of log(softmax(x)).",
                           example: "log_softmax(tensor([[1, 2, 3]])).exp().sum().item()   # 1") { $0.logSoftmax() },
            Builtin("layer_norm", parameters: [
                    .positional("x", "tensor (or number/list)", "the input (normalised over its last axis)"),
                    .positional("weight", "tensor", optional: true, "scales the normalised values (nil: 1)"),
                    .positional("bias", "tensor", optional: true, "added after scaling (nil: 0)"),
                    .positional("eps", "number", default: .number(1e-5), "added to the variance"),
                ], "Normalises the last axis to mean 0, variance 1, then scales by weight and shifts by bias.",
                    help: "weight and bias, when given, have the size of the last axis (parameters get gradients).",
                    example: "layer_norm(tensor([[1, 2, 3]])).tolist()") { a in
                let x = try a.variable(0, "x")
                guard let d = x.shape.last, d > 0 else { throw DprmError.runtime("layer_norm() needs a tensor with a non-empty last axis, got \(Tensor.describe(x.shape))") }
                let w = try a.optional(1, "weight").map { try TensorValue.variable(from: $0, what: "layer_norm() argument 'weight'") }
                let b = try a.optional(2, "bias").map { try TensorValue.variable(from: $0, what: "layer_norm() argument 'bias'") }
                for (name, p) in [("weight", w), ("bias", b)] { if let p, p.shape != [d] {
                    throw DprmError.runtime("layer_norm(): \(name) has shape \(Tensor.describe(p.shape)), needs [\(d)] for input \(Tensor.describe(x.shape))")
                } }
                return .variable(x.layerNorm(weight: w, bias: b, eps: Float(try a.number(3, "eps"))))
            },
            Builtin("rms_norm", parameters: [
                    .positional("x", "tensor (or number/list)", "the input (normalised over its last axis)"),
                    .positional("weight", "tensor", optional: true, "scales the normalised values (nil: 1)"),
                    .positional("eps", "number", default: .number(1e-6), "added to the mean square"),
                ], "Divides the last axis by its root mean square, then scales by weight.",
                    help: "weight, when given, has the size of the last axis. As in T5/LLaMA (no mean subtraction, no bias).",
                    example: "rms_norm(tensor([[3, 4]]))") { a in
                let x = try a.variable(0, "x")
                guard let d = x.shape.last, d > 0 else { throw DprmError.runtime("rms_norm() needs a tensor with a non-empty last axis, got \(Tensor.describe(x.shape))") }
                let w = try a.optional(1, "weight").map { try TensorValue.variable(from: $0, what: "rms_norm() argument 'weight'") }
                if let w, w.shape != [d] {
                    throw DprmError.runtime("rms_norm(): weight has shape \(Tensor.describe(w.shape)), needs [\(d)] for input \(Tensor.describe(x.shape))")
                }
                return .variable(x.rmsNorm(weight: w, eps: Float(try a.number(2, "eps"))))
            },
        ]
    }
}
