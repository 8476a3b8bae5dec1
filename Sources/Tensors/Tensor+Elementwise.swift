#if canImport(Glibc)
import Glibc
#endif

/// Binary elementwise operations with NumPy broadcasting.
public enum BinaryOp {
    case add, sub, mul, div, pow, maximum, minimum
    case equal, notEqual, less, lessEqual, greater, greaterEqual

    @inline(__always) func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .pow: return powf(a, b)
        case .maximum: return a >= b || a.isNaN ? a : b
        case .minimum: return a <= b || a.isNaN ? a : b
        case .equal: return a == b ? 1 : 0
        case .notEqual: return a != b ? 1 : 0
        case .less: return a < b ? 1 : 0
        case .lessEqual: return a <= b ? 1 : 0
        case .greater: return a > b ? 1 : 0
        case .greaterEqual: return a >= b ? 1 : 0
        }
    }
}

extension Tensor {
    /// `op` applied elementwise after broadcasting. Shapes must broadcast (see `broadcastShape`).
    public func binary(_ op: BinaryOp, _ other: Tensor) -> Tensor {
        let outShape: [Int]
        do { outShape = try Tensor.broadcastShape(shape, other.shape) } catch { preconditionFailure("\(error)") }
        let out = Tensor(uninitializedShape: outShape)
        let dst = out.storage.pointer
        let n = out.count
        if shape == other.shape && isContiguous && other.isContiguous {
            let a = basePointer, b = other.basePointer
            switch op {
            case .add: parallelChunks(n) { r in for i in r { dst[i] = a[i] + b[i] } }
            case .sub: parallelChunks(n) { r in for i in r { dst[i] = a[i] - b[i] } }
            case .mul: parallelChunks(n) { r in for i in r { dst[i] = a[i] * b[i] } }
            case .div: parallelChunks(n) { r in for i in r { dst[i] = a[i] / b[i] } }
            default: parallelChunks(n) { r in for i in r { dst[i] = op.apply(a[i], b[i]) } }
            }
            return withExtendedLifetime((self, other)) { out }
        }
        if other.count == 1 && isContiguous {
            let a = basePointer, s = other.storage.pointer[other.offset]
            switch op {
            case .add: parallelChunks(n) { r in for i in r { dst[i] = a[i] + s } }
            case .mul: parallelChunks(n) { r in for i in r { dst[i] = a[i] * s } }
            default: parallelChunks(n) { r in for i in r { dst[i] = op.apply(a[i], s) } }
            }
            return withExtendedLifetime(self) { out }
        }
        let a = expanded(to: outShape), b = other.expanded(to: outShape)
        Tensor.forEachPair(shape: outShape, a, b) { i, x, y in dst[i] = op.apply(x, y) }
        return out
    }

    /// Visits every position of `shape` in row-major order with the elements of two
    /// same-shaped strided views.
    @inline(__always)
    static func forEachPair(shape: [Int], _ a: Tensor, _ b: Tensor, _ body: (Int, Float, Float) -> Void) {
        let n = count(of: shape)
        if n == 0 { return }
        let r = shape.count
        if r == 0 { body(0, a.storage.pointer[a.offset], b.storage.pointer[b.offset]); return }
        let pa = a.storage.pointer, pb = b.storage.pointer
        let inner = shape[r - 1], sa = a.strides[r - 1], sb = b.strides[r - 1]
        var index = [Int](repeating: 0, count: r)
        var oa = a.offset, ob = b.offset
        var i = 0
        while i < n {
            var ia = oa, ib = ob
            for _ in 0..<inner {
                body(i, pa[ia], pb[ib])
                ia += sa; ib += sb; i += 1
            }
            var axis = r - 2
            while axis >= 0 {
                index[axis] += 1
                oa += a.strides[axis]; ob += b.strides[axis]
                if index[axis] < shape[axis] { break }
                oa -= a.strides[axis] * shape[axis]; ob -= b.strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// `f` applied to every element; the result is contiguous.
    @inlinable
    public func map(_ f: (Float) -> Float) -> Tensor {
        let src = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let s = src.basePointer, d = out.storage.pointer
        let n = count
        withoutActuallyEscaping(f) { f in
            parallelChunks(n) { r in for i in r { d[i] = f(s[i]) } }
        }
        return withExtendedLifetime(src) { out }
    }

    /// `where(condition, a, b)`: elements of `a` where `condition` is non-zero, else of `b`; all broadcast.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape: [Int]
        do { shape = try broadcastShape(try broadcastShape(condition.shape, a.shape), b.shape) } catch { preconditionFailure("\(error)") }
        let c = condition.expanded(to: shape).contiguous()
        let x = a.expanded(to: shape).contiguous(), y = b.expanded(to: shape).contiguous()
        let out = Tensor(uninitializedShape: shape)
        let pc = c.basePointer, px = x.basePointer, py = y.basePointer, d = out.storage.pointer
        for i in 0..<out.count { d[i] = pc[i] != 0 ? px[i] : py[i] }
        return withExtendedLifetime((c, x, y)) { out }
    }

    // MARK: operators

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(.add, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(.sub, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(.mul, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.binary(.div, b) }
    public static func + (a: Tensor, b: Float) -> Tensor { a.map { $0 + b } }
    public static func - (a: Tensor, b: Float) -> Tensor { a.map { $0 - b } }
    public static func * (a: Tensor, b: Float) -> Tensor { a.map { $0 * b } }
    public static func / (a: Tensor, b: Float) -> Tensor { a.map { $0 / b } }
    public static func + (a: Float, b: Tensor) -> Tensor { b.map { a + $0 } }
    public static func - (a: Float, b: Tensor) -> Tensor { b.map { a - $0 } }
    public static func * (a: Float, b: Tensor) -> Tensor { b.map { a * $0 } }
    public static func / (a: Float, b: Tensor) -> Tensor { b.map { a / $0 } }
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    // MARK: unary math

    public func exp() -> Tensor { map { expf($0) } }
    public func log() -> Tensor { map { logf($0) } }
    public func sqrt() -> Tensor { map { $0.squareRoot() } }
    public func abs() -> Tensor { map { Swift.abs($0) } }
    public func tanh() -> Tensor { map { tanhf($0) } }
    public func sigmoid() -> Tensor { map { Tensor.sigmoid($0) } }
    public func relu() -> Tensor { map { $0 > 0 ? $0 : 0 } }
    public func leakyRelu(slope: Float = 0.01) -> Tensor { map { $0 > 0 ? $0 : $0 * slope } }
    public func pow(_ exponent: Float) -> Tensor {
        if exponent == 2 { return map { $0 * $0 } }
        return map { powf($0, exponent) }
    }
    public func clamp(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        map { Swift.min(Swift.max($0, low), high) }
    }
    /// GELU, erf form (BERT): x * 0.5 * (1 + erf(x / sqrt 2)).
    public func gelu() -> Tensor { map { Tensor.geluErf($0) } }
    /// GELU, tanh approximation (GPT-2).
    public func geluTanh() -> Tensor { map { Tensor.geluTanh($0) } }

    /// Numerically safe logistic function.
    @inline(__always) public static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + expf(-x)) : { let e = expf(x); return e / (1 + e) }()
    }
    @inline(__always) public static func geluErf(_ x: Float) -> Float {
        0.5 * x * (1 + erff(x * 0.70710678118654752))
    }
    @inline(__always) public static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + tanhf(0.79788456080286536 * (x + 0.044715 * x * x * x)))
    }
}
