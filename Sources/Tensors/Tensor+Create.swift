import Support
extension Tensor {
    /// All zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }
    /// All ones.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    /// Every element `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        Tensor(storage: TensorStorage(count: count(of: shape), repeating: value), shape: shape)
    }

    /// `start, start+step, ...` below `end` (NumPy's arange).
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange step must not be zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { start + Float($0) * step })
    }

    /// `count` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Float, _ end: Float, count: Int) -> Tensor {
        if count == 1 { return Tensor([start]) }
        let step = (Double(end) - Double(start)) / Double(count - 1)
        return Tensor((0..<count).map { Float(Double(start) + Double($0) * step) })
    }

    /// The `n`x`n` identity.
    public static func eye(_ n: Int) -> Tensor {
        let t = zeros([n, n])
        for i in 0..<n { t.storage.pointer[i * n + i] = 1 }
        return t
    }

    /// Uniform samples in [low, high).
    public static func rand(_ shape: [Int], low: Float = 0, high: Float = 1, rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.storage.pointer
        let span = Double(high - low)
        for i in 0..<t.count { p[i] = Float(Double(low) + span * rng.uniform()) }
        return t
    }

    /// Normal samples with the given mean and standard deviation.
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.storage.pointer
        for i in 0..<t.count { p[i] = Float(Double(mean) + Double(std) * rng.normal()) }
        return t
    }

    /// Integers uniform in `low..<high`, stored as floats.
    public static func randint(_ shape: [Int], low: Int, high: Int, rng: inout RandomGenerator) -> Tensor {
        precondition(high > low, "randint needs high > low")
        let t = Tensor(uninitializedShape: shape)
        let p = t.storage.pointer
        for i in 0..<t.count { p[i] = Float(low + rng.int(below: high - low)) }
        return t
    }

    /// A tensor from nested arrays of numbers (`[[1, 2], [3, 4]]`). Ragged input is an error.
    public static func fromNested(_ value: Any) throws -> Tensor {
        var shape: [Int] = []
        var probe: Any = value
        while let list = probe as? [Any] {
            shape.append(list.count)
            guard let first = list.first else { break }
            probe = first
        }
        var scalars: [Float] = []
        scalars.reserveCapacity(count(of: shape))
        func walk(_ v: Any, depth: Int) throws {
            if depth == shape.count {
                switch v {
                case let x as Float: scalars.append(x)
                case let x as Double: scalars.append(Float(x))
                case let x as Int: scalars.append(Float(x))
                case let x as Bool: scalars.append(x ? 1 : 0)
                default: throw TensorError.invalidArgument("tensor elements must be numbers, got \(type(of: v))")
                }
                return
            }
            guard let list = v as? [Any], list.count == shape[depth] else {
                throw TensorError.invalidArgument("ragged nested list: expected \(shape[depth]) elements at depth \(depth)")
            }
            for item in list { try walk(item, depth: depth + 1) }
        }
        try walk(value, depth: 0)
        return Tensor(shape: shape, scalars: scalars)
    }
}

/// Errors raised by tensor operations on bad arguments (shapes, axes, indices).
public enum TensorError: Error, CustomStringConvertible {
    case shapeMismatch(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let m), .invalidArgument(let m): return m
        }
    }
}
