import Lang
import Tensors
import Autodiff

/// Conversions between .dprm values and tensors, with errors that name the builtin and the
/// argument (`linear() argument 'x' must be a tensor, got string`). Other registries use these
/// to accept tensors, numbers and nested lists wherever a tensor is expected.
extension Value {
    /// A tensor value holding `tensor` (no gradient).
    public static func tensor(_ tensor: Tensor) -> Value { .native(TensorValue(Variable(tensor))) }
    /// A tensor value holding `variable` (gradients flow through it).
    public static func variable(_ variable: Variable) -> Value { .native(TensorValue(variable)) }
    /// The tensor object, if this value is a tensor.
    public var asTensorValue: TensorValue? {
        if case .native(let n) = self { return n as? TensorValue }
        return nil
    }
}

extension TensorValue {
    /// Largest element count a script may allocate in one tensor (2^31): a typo such as
    /// `zeros([100000, 100000])` becomes an error instead of killing the process.
    /// Also at most what one request may allocate (Lang's `Limits`), 4 bytes per element.
    public static let maxElements = min(1 << 31, Limits.maxAllocationBytes / 4)
    /// Most dimensions a script's tensor may have (numpy's limit too): `zeros([1] * 20000)` took
    /// 12 s and 3.3 GB to print, and a nested list that contains itself grew its shape forever.
    public static let maxRank = 64

    /// `value` as a Variable: a tensor (itself, so gradients flow), a number (0-d), or a nested
    /// list of numbers. `what` names the value in errors, e.g. "matmul() argument 'a'".
    public static func variable(from value: Value, what: String) throws -> Variable {
        if case .native(let n) = value, let t = n as? TensorValue { return t.variable }
        return Variable(try tensor(from: value, what: what))
    }

    /// `value` as a Tensor (see `variable(from:what:)`); tensors are returned without copying.
    public static func tensor(from value: Value, what: String) throws -> Tensor {
        switch value {
        case .native(let n):
            if let t = n as? TensorValue { return t.variable.value }
        case .number(let x): return Tensor(Float(x))
        case .bool(let b): return Tensor(b ? 1 : 0)
        case .list, .range: return try nested(value, what: what)
        default: break
        }
        throw DprmError.type("\(what) must be a tensor, a number or a nested list of numbers, got \(value.typeName)")
    }

    /// The elements of a tensor, number or (nested) list, flattened in row-major order.
    public static func floats(from value: Value, what: String) throws -> [Float] {
        try tensor(from: value, what: what).toArray()
    }

    /// Whole numbers from a tensor, number or list (class ids, indices). Errors on fractions.
    public static func ints(from value: Value, what: String) throws -> [Int] {
        try floats(from: value, what: what).map { x in
            guard x == x.rounded(), Swift.abs(x) < 1e9 else {
                throw DprmError.type("\(what) must hold whole numbers, got \(x)")
            }
            return Int(x)
        }
    }

    /// A shape: a list of non-negative whole numbers (or one number), at most `maxElements` elements.
    public static func shape(from value: Value, what: String) throws -> [Int] {
        let dims: [Value]
        switch value {
        case .number: dims = [value]
        case .list(let l): dims = l.items
        case .native(let n) where n is TensorValue:
            dims = (n as! TensorValue).variable.value.toArray().map { .number(Double($0)) }
        default: throw DprmError.type("\(what) must be a shape (a list of sizes such as [3, 4]), got \(value.typeName)")
        }
        guard dims.count <= maxRank else {
            throw DprmError.runtime("\(what): a shape of \(dims.count) dimensions is more than a tensor may have (limit \(maxRank))")
        }
        var shape: [Int] = []
        var total = 1
        for d in dims {
            guard case .number(let x) = d, x == x.rounded(), x >= 0, x < 1e12 else {
                throw DprmError.type("\(what) must be a list of non-negative whole numbers, got \(d.description) in \(value.description)")
            }
            shape.append(Int(x))
            total = try checkedCount(total, Int(x), shape: shape, what: what)
        }
        return shape
    }

    static func checkedCount(_ total: Int, _ d: Int, shape: [Int], what: String) throws -> Int {
        let (m, overflow) = total.multipliedReportingOverflow(by: d)
        if overflow || m > maxElements {
            throw DprmError.runtime("\(what): shape \(Tensor.describe(shape)) has too many elements (limit \(maxElements))")
        }
        return m
    }

    /// A tensor from nested lists of numbers (`[[1, 2], [3, 4]]`); ragged lists are an error.
    static func nested(_ value: Value, what: String) throws -> Tensor {
        func items(_ v: Value) -> [Value]? {
            switch v {
            case .list(let l): return l.items
            case .range(let a, let b): return a < b ? (a..<b).map { .int($0) } : []
            default: return nil
            }
        }
        var shape: [Int] = []
        var probe = value
        while let xs = items(probe) {
            guard shape.count < maxRank else {
                throw DprmError.runtime("\(what): nested lists deeper than \(maxRank) levels (a tensor has at most \(maxRank) dimensions; does a list contain itself?)")
            }
            shape.append(xs.count)
            guard let first = xs.first else { break }
            probe = first
        }
        var total = 1
        for (k, d) in shape.enumerated() { total = try checkedCount(total, d, shape: Array(shape[...k]), what: what) }
        var scalars: [Float] = []
        scalars.reserveCapacity(total)
        func walk(_ v: Value, _ depth: Int) throws {
            if depth == shape.count {
                switch v {
                case .number(let x): scalars.append(Float(x))
                case .bool(let b): scalars.append(b ? 1 : 0)
                case .native(let n) where (n as? TensorValue)?.variable.value.count == 1:
                    scalars.append((n as! TensorValue).variable.value.toArray()[0])
                default:
                    throw DprmError.type("\(what): elements must be numbers, got \(v.typeName)")
                }
                return
            }
            guard let xs = items(v), xs.count == shape[depth] else {
                throw DprmError.type("\(what): ragged nested list (expected \(shape[depth]) items at depth \(depth), shape \(Tensor.describe(shape)))")
            }
            for x in xs { try walk(x, depth + 1) }
        }
        try walk(value, 0)
        return Tensor(shape: shape, scalars: scalars)
    }
}

extension Arguments {
    /// Positional `index` or keyword `name` as a Variable (tensor, number or nested list).
    public func variable(_ index: Int?, _ name: String) throws -> Variable {
        try TensorValue.variable(from: try value(index, name), what: "\(callee)() argument '\(name)'")
    }
    /// Positional `index` or keyword `name` as a Tensor (tensor, number or nested list).
    public func tensor(_ index: Int?, _ name: String) throws -> Tensor {
        try TensorValue.tensor(from: try value(index, name), what: "\(callee)() argument '\(name)'")
    }
    /// Positional `index` or keyword `name` as flat Floats.
    public func floats(_ index: Int?, _ name: String) throws -> [Float] {
        try TensorValue.floats(from: try value(index, name), what: "\(callee)() argument '\(name)'")
    }
    /// Positional `index` or keyword `name` as whole numbers.
    public func ints(_ index: Int?, _ name: String) throws -> [Int] {
        try TensorValue.ints(from: try value(index, name), what: "\(callee)() argument '\(name)'")
    }
    /// Positional `index` or keyword `name` as a shape.
    public func shape(_ index: Int?, _ name: String) throws -> [Int] {
        try TensorValue.shape(from: try value(index, name), what: "\(callee)() argument '\(name)'")
    }
    /// A list (or other iterable) of tensors, e.g. the parameters of `grad(loss, [w, b])`.
    public func tensorList(_ index: Int?, _ name: String) throws -> [TensorValue] {
        let v = try value(index, name)
        if let t = v.asTensorValue { return [t] }
        return try interpreter.iterate(v, what: "\(callee)() argument '\(name)'").enumerated().map { k, x in
            guard let t = x.asTensorValue else {
                throw DprmError.type("\(callee)() argument '\(name)' must be a list of tensors, item \(k) is \(x.typeName)")
            }
            return t
        }
    }
}
