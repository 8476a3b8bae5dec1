import Lang
import Tensors
import Autodiff

/// A method of tensor values (`t.sum(axis: 1)`), with the documentation completion and
/// `help("tensor")` show.
public struct TensorMethod {
    public let name: String
    /// Call form, e.g. `t.sum(axis: nil, keepdims: false)`.
    public let signature: String
    /// One line.
    public let summary: String
    let run: (TensorValue, inout Arguments) throws -> Value
}

/// A read-only field of tensor values (`t.shape`).
public struct TensorField {
    public let name: String
    public let summary: String
    let get: (TensorValue) throws -> Value
}

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

    func reduction(_ a: inout Arguments, _ op: String, nonEmpty: Bool = false,
                   _ f: (Variable, [Int]?, Bool) -> Variable) throws -> Value {
        try a.check(positional: 0...2, keywords: ["axis", "keepdims"])
        let axes = try TensorValue.axes(a.optional(0, "axis"), rank: rank, op: op)
        if nonEmpty { try requireNonEmpty(axes, op) }
        return TensorValue.wrap(f(variable, axes, try a.bool(1, "keepdims", default: false)))
    }

    func unary(_ a: inout Arguments, _ f: (Variable) -> Variable) throws -> Value {
        try a.check(positional: 0...0)
        return TensorValue.wrap(f(variable))
    }

    /// Softmax-style ops that the kernels run on the last axis: other axes are swapped there and back.
    static func alongAxis(_ v: Variable, _ axis: Int, _ f: (Variable) -> Variable) -> Variable {
        let last = v.shape.count - 1
        if axis == last { return f(v) }
        return f(v.transposed(axis, last)).transposed(axis, last)
    }

    func softmaxLike(_ a: inout Arguments, _ op: String, _ f: @escaping (Variable) -> Variable) throws -> Value {
        try a.check(positional: 0...1, keywords: ["axis"])
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

    /// Fields of tensor values.
    public static let fields: [TensorField] = [
        TensorField(name: "shape", summary: "The sizes of the axes, as a list.") { .list($0.shape.map { .int($0) }) },
        TensorField(name: "rank", summary: "The number of axes (0 for a scalar tensor).") { .int($0.rank) },
        TensorField(name: "size", summary: "The number of elements.") { .int($0.variable.value.count) },
        TensorField(name: "dtype", summary: "The element type (always \"float32\").") { _ in .string("float32") },
        TensorField(name: "grad", summary: "The gradient accumulated by backward() (a tensor), or nil.") { t in
            t.variable.grad.map { .tensor($0) } ?? .nil
        },
        TensorField(name: "requires_grad", summary: "Whether ops on this tensor record gradients (settable on leaves).") {
            .bool($0.variable.requiresGrad)
        },
        TensorField(name: "is_leaf", summary: "True unless the tensor was computed from a parameter.") { .bool($0.variable.isLeaf) },
        TensorField(name: "T", summary: "The last two axes swapped (the tensor itself below rank 2).") { t in
            t.rank < 2 ? .native(t) : wrap(t.variable.transposed())
        },
    ]

    /// Methods of tensor values, in the order `help("tensor")` lists them.
    public static let methods: [TensorMethod] = [
        TensorMethod(name: "item", signature: "t.item()", summary: "The value of a one-element tensor as a number.") { t, a in
            try a.check(positional: 0...0)
            guard t.variable.value.count == 1 else {
                throw DprmError.runtime("item() needs a tensor with one element, got shape \(Tensor.describe(t.shape))")
            }
            return .number(Double(t.variable.value.toArray()[0]))
        },
        TensorMethod(name: "tolist", signature: "t.tolist()", summary: "The values as (nested) lists of numbers.") { t, a in
            try a.check(positional: 0...0)
            return nestedList(t.variable.value)
        },
        TensorMethod(name: "sum", signature: "t.sum(axis: nil, keepdims: false)", summary: "Sum over all elements or over axis (a number or a list).") { t, a in
            try t.reduction(&a, "sum") { $0.sum(axes: $1, keepDims: $2) }
        },
        TensorMethod(name: "mean", signature: "t.mean(axis: nil, keepdims: false)", summary: "Mean over all elements or over axis.") { t, a in
            try t.reduction(&a, "mean") { $0.mean(axes: $1, keepDims: $2) }
        },
        TensorMethod(name: "max", signature: "t.max(axis: nil, keepdims: false)", summary: "Largest element overall or along axis (gradient split between ties).") { t, a in
            try t.reduction(&a, "max", nonEmpty: true) { $0.max(axes: $1, keepDims: $2) }
        },
        TensorMethod(name: "min", signature: "t.min(axis: nil, keepdims: false)", summary: "Smallest element overall or along axis.") { t, a in
            try t.reduction(&a, "min", nonEmpty: true) { $0.min(axes: $1, keepDims: $2) }
        },
        TensorMethod(name: "argmax", signature: "t.argmax(axis: nil, keepdims: false)", summary: "Index of the largest element: a number (no axis) or a tensor of indices along axis.") { t, a in
            try t.argExtreme(&a, "argmax", negate: false)
        },
        TensorMethod(name: "argmin", signature: "t.argmin(axis: nil, keepdims: false)", summary: "Index of the smallest element: a number (no axis) or a tensor of indices along axis.") { t, a in
            try t.argExtreme(&a, "argmin", negate: true)
        },
        TensorMethod(name: "var", signature: "t.var(axis: nil, keepdims: false, unbiased: false)", summary: "Variance (divides by n, or n-1 with unbiased: true).") { t, a in
            try a.check(positional: 0...3, keywords: ["axis", "keepdims", "unbiased"])
            let axes = try TensorValue.axes(a.optional(0, "axis"), rank: t.rank, op: "var")
            return wrap(t.variable.variance(axes: axes, keepDims: try a.bool(1, "keepdims", default: false),
                                            unbiased: try a.bool(2, "unbiased", default: false)))
        },
        TensorMethod(name: "logsumexp", signature: "t.logsumexp(axis: nil, keepdims: false)", summary: "log(sum(exp(t))) computed stably.") { t, a in
            try t.reduction(&a, "logsumexp", nonEmpty: true) { $0.logsumexp(axes: $1, keepDims: $2) }
        },
        TensorMethod(name: "softmax", signature: "t.softmax(axis: -1)", summary: "exp(t) normalised to sum 1 along axis.") { t, a in
            try t.softmaxLike(&a, "softmax") { $0.softmax() }
        },
        TensorMethod(name: "log_softmax", signature: "t.log_softmax(axis: -1)", summary: "log(softmax(t)) along axis, computed stably.") { t, a in
            try t.softmaxLike(&a, "log_softmax") { $0.logSoftmax() }
        },
        TensorMethod(name: "exp", signature: "t.exp()", summary: "e to the power of each element.") { t, a in try t.unary(&a) { $0.exp() } },
        TensorMethod(name: "log", signature: "t.log()", summary: "Natural logarithm of each element.") { t, a in try t.unary(&a) { $0.log() } },
        TensorMethod(name: "sqrt", signature: "t.sqrt()", summary: "Square root of each element.") { t, a in try t.unary(&a) { $0.sqrt() } },
        TensorMethod(name: "abs", signature: "t.abs()", summary: "Absolute value of each element.") { t, a in try t.unary(&a) { $0.abs() } },
        TensorMethod(name: "tanh", signature: "t.tanh()", summary: "Hyperbolic tangent of each element.") { t, a in try t.unary(&a) { $0.tanh() } },
        TensorMethod(name: "sigmoid", signature: "t.sigmoid()", summary: "1 / (1 + exp(-t)) for each element.") { t, a in try t.unary(&a) { $0.sigmoid() } },
        TensorMethod(name: "relu", signature: "t.relu()", summary: "max(t, 0) for each element.") { t, a in try t.unary(&a) { $0.relu() } },
        TensorMethod(name: "gelu", signature: "t.gelu()", summary: "GELU (erf form) of each element.") { t, a in try t.unary(&a) { $0.gelu() } },
        TensorMethod(name: "softplus", signature: "t.softplus()", summary: "log(1 + exp(t)) for each element, computed stably.") { t, a in try t.unary(&a) { $0.softplus() } },
        TensorMethod(name: "clamp", signature: "t.clamp(min: nil, max: nil)", summary: "Each element limited to [min, max] (gradient 0 outside).") { t, a in
            try a.check(positional: 0...2, keywords: ["min", "max"])
            let lo = try a.number(0, "min", default: -.infinity), hi = try a.number(1, "max", default: .infinity)
            guard lo <= hi else { throw DprmError.runtime("clamp(): min \(lo) is greater than max \(hi)") }
            return wrap(t.variable.clamp(min: Float(lo), max: Float(hi)))
        },
        TensorMethod(name: "reshape", signature: "t.reshape(shape)", summary: "The same elements with a new shape; one size may be -1.") { t, a in
            let s = try intList(a, "shape")
            do { _ = try t.variable.value.resolveReshape(s) } catch { throw DprmError.runtime("\(error)") }
            return wrap(t.variable.reshaped(s))
        },
        TensorMethod(name: "flatten", signature: "t.flatten()", summary: "The elements as a 1-d tensor.") { t, a in
            try a.check(positional: 0...0)
            return wrap(t.variable.reshaped([t.variable.value.count]))
        },
        TensorMethod(name: "transpose", signature: "t.transpose(a: -2, b: -1)", summary: "Axes a and b swapped (a view).") { t, a in
            try a.check(positional: 0...2, keywords: ["a", "b"])
            guard t.rank >= 2 || (a.count == 0 && a.keywords.isEmpty) else {
                throw DprmError.runtime("transpose(): tensor \(Tensor.describe(t.shape)) has fewer than 2 axes")
            }
            if t.rank < 2 { return .native(t) }
            let x = try axis(a.optional(0, "a") ?? .number(-2), rank: t.rank, op: "transpose")
            let y = try axis(a.optional(1, "b") ?? .number(-1), rank: t.rank, op: "transpose")
            return wrap(t.variable.transposed(x, y))
        },
        TensorMethod(name: "permute", signature: "t.permute(order)", summary: "Axes reordered: result axis i is axis order[i] (a view).") { t, a in
            let order = try intList(a, "order").map { try axis(.int($0), rank: t.rank, op: "permute") }
            guard order.count == t.rank, Set(order).count == t.rank else {
                throw DprmError.runtime("permute(): \(order) is not a permutation of the \(t.rank) axes of \(Tensor.describe(t.shape))")
            }
            return wrap(t.variable.permuted(order))
        },
        TensorMethod(name: "squeeze", signature: "t.squeeze(axis: nil)", summary: "Size-1 axes removed (all, or only axis).") { t, a in
            try a.check(positional: 0...1, keywords: ["axis"])
            let ax = try a.optional(0, "axis").map { try axis($0, rank: t.rank, op: "squeeze") }
            return wrap(t.variable.squeezed(ax))
        },
        TensorMethod(name: "unsqueeze", signature: "t.unsqueeze(axis)", summary: "A size-1 axis inserted at axis.") { t, a in
            try a.check(positional: 0...1, keywords: ["axis"])
            return wrap(t.variable.unsqueezed(try axis(try a.value(0, "axis"), rank: t.rank, op: "unsqueeze", insert: true)))
        },
        TensorMethod(name: "detach", signature: "t.detach()", summary: "The same values (shared storage) cut from the gradient graph.") { t, a in
            try a.check(positional: 0...0)
            return wrap(t.variable.detached())
        },
        TensorMethod(name: "copy", signature: "t.copy()", summary: "A copy with its own storage (gradients flow through it).") { t, a in
            try a.check(positional: 0...0)
            return wrap(t.variable * 1)
        },
        TensorMethod(name: "backward", signature: "t.backward()", summary: "Accumulates d t / d p into p.grad for every parameter p that t depends on.") { t, a in
            try a.check(positional: 0...0)
            guard t.variable.value.count == 1 else {
                throw DprmError.runtime("backward() needs a one-element tensor (a loss), got shape \(Tensor.describe(t.shape))")
            }
            guard t.variable.requiresGrad else {
                throw DprmError.runtime("backward(): this tensor does not depend on any parameter (make one with param(t))")
            }
            t.variable.backward()
            return .nil
        },
        TensorMethod(name: "zero_grad", signature: "t.zero_grad()", summary: "Clears the accumulated gradient.") { t, a in
            try a.check(positional: 0...0)
            t.variable.zeroGrad()
            return .nil
        },
    ]

    static let fieldIndex: [String: TensorField] = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
    static let methodIndex: [String: TensorMethod] = Dictionary(uniqueKeysWithValues: methods.map { ($0.name, $0) })

    /// Fields and methods as help text (one line each), for `help("tensor")`.
    public static var memberHelp: String {
        let rows = fields.map { ("t.\($0.name)", $0.summary) } + methods.map { ($0.signature, $0.summary) }
        let width = rows.map { $0.0.count }.max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n")
    }

    func argExtreme(_ a: inout Arguments, _ op: String, negate: Bool) throws -> Value {
        try a.check(positional: 0...2, keywords: ["axis", "keepdims"])
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
