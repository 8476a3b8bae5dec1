import Lang
import Tensors
import Autodiff

extension TensorValue {
    // MARK: argument helpers

    /// A possibly negative axis checked against `rank` (rank 0 has no axes).
    static func axis(_ v: Value, rank: Int, op: String, insert: Bool = false) throws -> Int {
        guard case .number(let x) = v, x == x.rounded(), Swift.abs(x) < 1e9 else {
            throw DprmError.type("\(op)() axis must be a whole number, got \(v.description)")
        }
        let r = insert ? rank + 1 : rank
        let a = Int(x)
        let n = a < 0 ? a + r : a
        guard n >= 0 && n < r else {
            throw DprmError.runtime("\(op)(): axis \(a) out of range for a tensor of rank \(rank)")
        }
        return n
    }

    /// `axis:` as nil (all axes), one axis or a list of distinct axes.
    static func axes(_ v: Value?, rank: Int, op: String) throws -> [Int]? {
        guard let v else { return nil }
        if case .list(let l) = v {
            let xs = try l.items.map { try axis($0, rank: rank, op: op) }
            guard Set(xs).count == xs.count else { throw DprmError.runtime("\(op)(): repeated axis in \(v.description)") }
            return xs
        }
        return [try axis(v, rank: rank, op: op)]
    }

    /// A list argument or the remaining positionals (`t.reshape([2, 3])` or `t.reshape(2, 3)`).
    static func intList(_ a: Arguments, _ name: String) throws -> [Int] {
        let v: Value = a.count == 1 ? a.positional[0] : (a.count > 1 ? .list(a.positional) : try a.value(nil, name))
        let what = "\(a.callee)() argument '\(name)'"
        let items: [Value]
        switch v {
        case .list(let l): items = l.items
        case .number: items = [v]
        default: throw DprmError.type("\(what) must be a list of whole numbers, got \(v.typeName)")
        }
        return try items.map { x in
            guard case .number(let d) = x, d == d.rounded(), Swift.abs(d) < 1e12 else {
                throw DprmError.type("\(what) must be a list of whole numbers, got \(x.description)")
            }
            return Int(d)
        }
    }

    /// Reductions that need at least one element per output (max, min, argmax).
    func requireNonEmpty(_ axes: [Int]?, _ op: String) throws {
        let reduced = (axes ?? Array(0..<rank)).reduce(1) { $0 * shape[$1] }
        if reduced == 0 || variable.value.count == 0 {
            throw DprmError.runtime("\(op)() of an empty tensor \(Tensor.describe(shape))")
        }
    }

    /// The parameters of the reductions (`sum`, `mean`, `max`, `min`, `argmax`, `argmin`, `logsumexp`).
    static let reductionParameters: [Parameter] = [
        .positional("axis", "whole number or list", optional: true, "the axis or axes (nil: every element)"),
        .positional("keepdims", "bool", default: .bool(false), "keep the reduced axes with size 1"),
    ]

    func reduction(_ a: inout Arguments, _ op: String, nonEmpty: Bool = false,
                   _ f: (Variable, [Int]?, Bool) -> Variable) throws -> Value {
        let axes = try TensorValue.axes(a.optional(0, "axis"), rank: rank, op: op)
        if nonEmpty { try requireNonEmpty(axes, op) }
        return TensorValue.wrap(f(variable, axes, try a.bool(1, "keepdims", default: false)))
    }

    func unary(_ a: inout Arguments, _ f: (Variable) -> Variable) throws -> Value {
        return TensorValue.wrap(f(variable))
    }

    /// Softmax-style ops that the kernels run on the last axis: other axes are swapped there and back.
    static func alongAxis(_ v: Variable, _ axis: Int, _ f: (Variable) -> Variable) -> Variable {
        let last = v.shape.count - 1
        if axis == last { return f(v) }
        return f(v.transposed(axis, last)).transposed(axis, last)
    }

    func softmaxLike(_ a: inout Arguments, _ op: String, _ f: @escaping (Variable) -> Variable) throws -> Value {
        guard rank >= 1 else { throw DprmError.runtime("\(op)() needs a tensor with at least one axis, got a 0-d tensor") }
        let ax = try TensorValue.axis(a.optional(0, "axis") ?? .number(-1), rank: rank, op: op)
        return TensorValue.wrap(TensorValue.alongAxis(variable, ax, f))
    }

    /// The values as nested lists of numbers.
    static func nestedList(_ t: Tensor) -> Value {
        let flat = t.toArray()
        if t.rank == 0 { return .number(Double(flat[0])) }
        func build(_ depth: Int, _ offset: Int) -> Value {
            let n = t.shape[depth]
            if depth == t.rank - 1 { return .list((0..<n).map { .number(Double(flat[offset + $0])) }) }
            let inner = t.shape[(depth + 1)...].reduce(1, *)
            return .list((0..<n).map { build(depth + 1, offset + $0 * inner) })
        }
        return build(0, 0)
    }

    // MARK: the tables

    /// Fields and methods of tensor values, in the order `help("tensor")` lists them.
    public static let members = MemberTable<TensorValue>([
        .field("shape", "The sizes of the axes, as a list.") { .list($0.shape.map { .int($0) }) },
        .field("rank", "The number of axes (0 for a scalar tensor).") { .int($0.rank) },
        .field("size", "The number of elements.") { .int($0.variable.value.count) },
        .field("dtype", "The element type (always \"float32\").") { _ in .string("float32") },
        .field("grad", "The gradient accumulated by backward() (a tensor), or nil.") { t in
            t.variable.grad.map { .tensor($0) } ?? .nil
        },
        .field("requires_grad", "Whether ops on this tensor record gradients (settable on leaves).",
               get: { .bool($0.variable.requiresGrad) }) { t, value in
            guard case .bool(let b) = value else { throw DprmError.type("requires_grad must be true or false, got \(value.typeName)") }
            guard t.variable.isLeaf else {
                throw DprmError.runtime("requires_grad can only be set on a leaf tensor (not on a result computed from a parameter); use detach() first")
            }
            t.variable.requiresGrad = b
        },
        .field("is_leaf", "True unless the tensor was computed from a parameter.") { .bool($0.variable.isLeaf) },
        .field("T", "The last two axes swapped (the tensor itself below rank 2).") { t in
            t.rank < 2 ? .native(t) : wrap(t.variable.transposed())
        },
        .method("item", parameters: [], "The value of a one-element tensor as a number.") { t, a in
            guard t.variable.value.count == 1 else {
                throw DprmError.runtime("item() needs a tensor with one element, got shape \(Tensor.describe(t.shape))")
            }
            return .number(Double(t.variable.value.toArray()[0]))
        },
        .method("tolist", parameters: [], "The values as (nested) lists of numbers.") { t, a in
            return nestedList(t.variable.value)
        },
        .method("sum", parameters: reductionParameters, "Sum over all elements or over axis (a number or a list).") { t, a in
            try t.reduction(&a, "sum") { $0.sum(axes: $1, keepDims: $2) }
        },
        .method("mean", parameters: reductionParameters, "Mean over all elements or over axis.") { t, a in
            try t.reduction(&a, "mean") { $0.mean(axes: $1, keepDims: $2) }
        },
        .method("max", parameters: reductionParameters, "Largest element overall or along axis (gradient split between ties).") { t, a in
            try t.reduction(&a, "max", nonEmpty: true) { $0.max(axes: $1, keepDims: $2) }
        },
        .method("min", parameters: reductionParameters, "Smallest element overall or along axis.") { t, a in
            try t.reduction(&a, "min", nonEmpty: true) { $0.min(axes: $1, keepDims: $2) }
        },
        .method("argmax", parameters: reductionParameters, "Index of the largest element: a number (no axis) or a tensor of indices along axis.") { t, a in
            try t.argExtreme(&a, "argmax", negate: false)
        },
        .method("argmin", parameters: reductionParameters, "Index of the smallest element: a number (no axis) or a tensor of indices along axis.") { t, a in
            try t.argExtreme(&a, "argmin", negate: true)
        },
        .method("var", parameters: [.positional("axis", "whole number or list", optional: true, "the axis or axes (nil: every element)"), .positional("keepdims", "bool", default: .bool(false), "keep the reduced axes with size 1"), .positional("unbiased", "bool", default: .bool(false), "divide by n - 1 instead of n")], "Variance (divides by n, or n-1 with unbiased: true).") { t, a in
            let axes = try TensorValue.axes(a.optional(0, "axis"), rank: t.rank, op: "var")
            return wrap(t.variable.variance(axes: axes, keepDims: try a.bool(1, "keepdims", default: false),
                                            unbiased: try a.bool(2, "unbiased", default: false)))
        },
        .method("logsumexp", parameters: reductionParameters, "log(sum(exp(t))) computed stably.") { t, a in
            try t.reduction(&a, "logsumexp", nonEmpty: true) { $0.logsumexp(axes: $1, keepDims: $2) }
        },
        .method("softmax", parameters: [.positional("axis", "whole number", default: -1, "the axis normalised along")], "exp(t) normalised to sum 1 along axis.") { t, a in
            try t.softmaxLike(&a, "softmax") { $0.softmax() }
        },
        .method("log_softmax", parameters: [.positional("axis", "whole number", default: -1, "the axis normalised along")], "log(softmax(t)) along axis, computed stably.") { t, a in
            try t.softmaxLike(&a, "log_softmax") { $0.logSoftmax() }
        },
        .method("exp", parameters: [], "e to the power of each element.") { t, a in try t.unary(&a) { $0.exp() } },
        .method("log", parameters: [], "Natural logarithm of each element.") { t, a in try t.unary(&a) { $0.log() } },
        .method("sqrt", parameters: [], "Square root of each element.") { t, a in try t.unary(&a) { $0.sqrt() } },
        .method("abs", parameters: [], "Absolute value of each element.") { t, a in try t.unary(&a) { $0.abs() } },
        .method("tanh", parameters: [], "Hyperbolic tangent of each element.") { t, a in try t.unary(&a) { $0.tanh() } },
        .method("sigmoid", parameters: [], "1 / (1 + exp(-t)) for each element.") { t, a in try t.unary(&a) { $0.sigmoid() } },
        .method("relu", parameters: [], "max(t, 0) for each element.") { t, a in try t.unary(&a) { $0.relu() } },
        .method("gelu", parameters: [], "GELU (erf form) of each element.") { t, a in try t.unary(&a) { $0.gelu() } },
        .method("softplus", parameters: [], "log(1 + exp(t)) for each element, computed stably.") { t, a in try t.unary(&a) { $0.softplus() } },
        .method("clamp", parameters: [.positional("min", "number", optional: true, "the lower bound (nil: none)"), .positional("max", "number", optional: true, "the upper bound (nil: none)")], "Each element limited to [min, max] (gradient 0 outside).") { t, a in
            let lo = try a.number(0, "min", default: -.infinity), hi = try a.number(1, "max", default: .infinity)
            guard lo <= hi else { throw DprmError.runtime("clamp(): min \(lo) is greater than max \(hi)") }
            return wrap(t.variable.clamp(min: Float(lo), max: Float(hi)))
        },
        .method("reshape", parameters: [.positional("shape", "list of whole numbers", "the new sizes (one may be -1)"), .variadic("sizes", "whole number", "the sizes one by one instead: t.reshape(2, 6)")], "The same elements with a new shape; one size may be -1.") { t, a in
            let s = try intList(a, "shape")
            do { _ = try t.variable.value.resolveReshape(s) } catch { throw DprmError.runtime("\(error)") }
            return wrap(t.variable.reshaped(s))
        },
        .method("flatten", parameters: [], "The elements as a 1-d tensor.") { t, a in
            return wrap(t.variable.reshaped([t.variable.value.count]))
        },
        .method("transpose", parameters: [.positional("a", "whole number", default: -2, "one axis"), .positional("b", "whole number", default: -1, "the other axis")], "Axes a and b swapped (a view).") { t, a in
            guard t.rank >= 2 || (a.count == 0 && a.keywords.isEmpty) else {
                throw DprmError.runtime("transpose(): tensor \(Tensor.describe(t.shape)) has fewer than 2 axes")
            }
            if t.rank < 2 { return .native(t) }
            let x = try axis(a.optional(0, "a") ?? .number(-2), rank: t.rank, op: "transpose")
            let y = try axis(a.optional(1, "b") ?? .number(-1), rank: t.rank, op: "transpose")
            return wrap(t.variable.transposed(x, y))
        },
        .method("permute", parameters: [.positional("order", "list of whole numbers", "the axes in their new order"), .variadic("axes", "whole number", "the axes one by one instead: t.permute(1, 0)")], "Axes reordered: result axis i is axis order[i] (a view).") { t, a in
            let order = try intList(a, "order").map { try axis(.int($0), rank: t.rank, op: "permute") }
            guard order.count == t.rank, Set(order).count == t.rank else {
                throw DprmError.runtime("permute(): \(order) is not a permutation of the \(t.rank) axes of \(Tensor.describe(t.shape))")
            }
            return wrap(t.variable.permuted(order))
        },
        .method("squeeze", parameters: [.positional("axis", "whole number", optional: true, "the size-1 axis removed (nil: all of them)")], "Size-1 axes removed (all, or only axis).") { t, a in
            let ax = try a.optional(0, "axis").map { try axis($0, rank: t.rank, op: "squeeze") }
            return wrap(t.variable.squeezed(ax))
        },
        .method("unsqueeze", parameters: [.positional("axis", "whole number", "where the new axis goes")], "A size-1 axis inserted at axis.") { t, a in
            return wrap(t.variable.unsqueezed(try axis(try a.value(0, "axis"), rank: t.rank, op: "unsqueeze", insert: true)))
        },
        .method("detach", parameters: [], "The same values (shared storage) cut from the gradient graph.") { t, a in
            return wrap(t.variable.detached())
        },
        .method("copy", parameters: [], "A copy with its own storage (gradients flow through it).") { t, a in
            return wrap(t.variable * 1)
        },
        .method("backward", parameters: [], "Accumulates d t / d p into p.grad for every parameter p that t depends on.") { t, a in
            guard t.variable.value.count == 1 else {
                throw DprmError.runtime("backward() needs a one-element tensor (a loss), got shape \(Tensor.describe(t.shape))")
            }
            guard t.variable.requiresGrad else {
                throw DprmError.runtime("backward(): this tensor does not depend on any parameter (make one with param(t))")
            }
            t.variable.backward()
            return .nil
        },
        .method("zero_grad", parameters: [], "Clears the accumulated gradient.") { t, a in
            t.variable.zeroGrad()
            return .nil
        },
    ])

    /// Fields and methods as help text (one line each), for `help("tensor")`.
    public static var memberHelp: String {
        let rows = members.members.map { ("t.\($0.signature)", $0.summary) }
        let width = rows.map { $0.0.count }.max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n")
    }

    func argExtreme(_ a: inout Arguments, _ op: String, negate: Bool) throws -> Value {
        var t = variable.value
        if negate { t = -t }
        guard let axisValue = a.optional(0, "axis") else {
            guard t.count > 0 else { throw DprmError.runtime("\(op)() of an empty tensor") }
            return .number(Double(t.reshaped([t.count]).argmax(axis: 0).toArray()[0]))
        }
        let ax = try TensorValue.axis(axisValue, rank: rank, op: op)
        try requireNonEmpty([ax], op)
        return .tensor(t.argmax(axis: ax, keepDims: try a.bool(1, "keepdims", default: false)))
    }
}
