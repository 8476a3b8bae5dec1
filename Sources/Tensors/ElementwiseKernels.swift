#if canImport(Glibc)
import Glibc
#endif

// Elementwise kernels as small value types: the engines in Tensor+Elementwise.swift are generic
// over them, so each op gets its own specialised, vectorisable loop (no closure call per element).

/// A two-input elementwise function.
protocol BinaryKernel {
    func apply(_ a: Float, _ b: Float) -> Float
}

/// A one-input elementwise function.
protocol UnaryKernel {
    func apply(_ x: Float) -> Float
}

struct AddKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a + b } }
struct SubKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a - b } }
struct MulKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a * b } }
struct DivKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a / b } }
struct PowKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { powf(a, b) } }
struct MaximumKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a >= b || a.isNaN ? a : b } }
struct MinimumKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a <= b || a.isNaN ? a : b } }
struct EqualKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }
struct NotEqualKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a != b ? 1 : 0 } }
struct LessKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 } }
struct LessEqualKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 } }
struct GreaterKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 } }
struct GreaterEqualKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 } }
/// x for x > 0, else slope * x (the slope is the second argument).
struct LeakyKernel: BinaryKernel { @inline(__always) func apply(_ a: Float, _ b: Float) -> Float { a > 0 ? a : a * b } }

/// `op(x, value)`.
struct ScalarRight<Op: BinaryKernel>: UnaryKernel {
    let op: Op
    let value: Float
    @inline(__always) func apply(_ x: Float) -> Float { op.apply(x, value) }
}

/// `op(value, x)`.
struct ScalarLeft<Op: BinaryKernel>: UnaryKernel {
    let op: Op
    let value: Float
    @inline(__always) func apply(_ x: Float) -> Float { op.apply(value, x) }
}

struct ClampKernel: UnaryKernel {
    let low: Float, high: Float
    @inline(__always) func apply(_ x: Float) -> Float {
        let above = x < low ? low : x
        return above > high ? high : above
    }
}

struct NegKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { -x } }
struct ExpKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { FastMath.exp(x) } }
struct LogKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { logf(x) } }
struct SqrtKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { x.squareRoot() } }
struct AbsKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { Swift.abs(x) } }
struct TanhKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { FastMath.tanh(x) } }
struct SigmoidKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { FastMath.sigmoid(x) } }
struct ReluKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { x > 0 ? x : 0 } }
struct SquareKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { x * x } }
struct IdentityKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { x } }
struct GeluKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { FastMath.gelu(x) } }
struct GeluTanhKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { FastMath.geluTanh(x) } }
struct GeluDerivativeKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { FastMath.geluDerivative(x) } }
struct SiluKernel: UnaryKernel { @inline(__always) func apply(_ x: Float) -> Float { x * FastMath.sigmoid(x) } }
struct SiluDerivativeKernel: UnaryKernel {
    @inline(__always) func apply(_ x: Float) -> Float { let s = FastMath.sigmoid(x); return s * (1 + x * (1 - s)) }
}

/// Walks the rows (all axes but the last) of a shape in row-major order, tracking the storage
/// position of the row start in each of several strided views.
struct RowWalker {
    let shape: [Int]
    let strides: [[Int]]
    var index: [Int]
    var positions: [Int]

    /// Starts at row number `firstRow`.
    init(shape: [Int], strides: [[Int]], offsets: [Int], firstRow: Int) {
        self.shape = shape
        self.strides = strides
        index = [Int](repeating: 0, count: Swift.max(shape.count - 1, 0))
        positions = offsets
        var rest = firstRow
        for axis in stride(from: shape.count - 2, through: 0, by: -1) {
            let i = rest % shape[axis]
            rest /= shape[axis]
            index[axis] = i
            for v in 0..<positions.count { positions[v] += i * strides[v][axis] }
        }
    }

    @inline(__always) mutating func advance() {
        var axis = shape.count - 2
        while axis >= 0 {
            index[axis] += 1
            for v in 0..<positions.count { positions[v] += strides[v][axis] }
            if index[axis] < shape[axis] { return }
            for v in 0..<positions.count { positions[v] -= strides[v][axis] * shape[axis] }
            index[axis] = 0
            axis -= 1
        }
    }
}
