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
        switch op {
        case .add: return Tensor.broadcast(AddKernel(), self, other)
        case .sub: return Tensor.broadcast(SubKernel(), self, other)
        case .mul: return Tensor.broadcast(MulKernel(), self, other)
        case .div: return Tensor.broadcast(DivKernel(), self, other)
        case .pow: return Tensor.broadcast(PowKernel(), self, other)
        case .maximum: return Tensor.broadcast(MaximumKernel(), self, other)
        case .minimum: return Tensor.broadcast(MinimumKernel(), self, other)
        case .equal: return Tensor.broadcast(EqualKernel(), self, other)
        case .notEqual: return Tensor.broadcast(NotEqualKernel(), self, other)
        case .less: return Tensor.broadcast(LessKernel(), self, other)
        case .lessEqual: return Tensor.broadcast(LessEqualKernel(), self, other)
        case .greater: return Tensor.broadcast(GreaterKernel(), self, other)
        case .greaterEqual: return Tensor.broadcast(GreaterEqualKernel(), self, other)
        }
    }

    /// The broadcasting engine, specialised per kernel. Flat loops when both sides are
    /// contiguous with the result's element order or one side is a single value; otherwise the
    /// result is walked row by row (last axis), with the inner loop chosen by the two operands'
    /// last-axis strides: 1/1 (same layout), 1/0 (a row-vector or per-row value on one side),
    /// or general strides. Rows are split across the cores; elementwise, so any split gives
    /// the same bits.
    static func broadcast<K: BinaryKernel>(_ k: K, _ a: Tensor, _ b: Tensor) -> Tensor {
        let outShape: [Int]
        do { outShape = try Tensor.broadcastShape(a.shape, b.shape) } catch { preconditionFailure("\(error)") }
        let out = Tensor(uninitializedShape: outShape)
        let n = out.count
        if n == 0 { return out }
        let d = out.storage.pointer
        let aFlat = a.count == n && a.isContiguous, bFlat = b.count == n && b.isContiguous
        if aFlat && bFlat {
            let pa = a.basePointer, pb = b.basePointer
            parallelChunks(n) { r in for i in r { d[i] = k.apply(pa[i], pb[i]) } }
            return withExtendedLifetime((a, b)) { out }
        }
        if aFlat && b.count == 1 {
            let pa = a.basePointer, s = b.storage.pointer[b.offset]
            parallelChunks(n) { r in for i in r { d[i] = k.apply(pa[i], s) } }
            return withExtendedLifetime(a) { out }
        }
        if bFlat && a.count == 1 {
            let pb = b.basePointer, s = a.storage.pointer[a.offset]
            parallelChunks(n) { r in for i in r { d[i] = k.apply(s, pb[i]) } }
            return withExtendedLifetime(b) { out }
        }
        let ea = a.expanded(to: outShape), eb = b.expanded(to: outShape)
        let r = outShape.count
        let inner = outShape[r - 1], rows = n / inner
        let sa = ea.strides[r - 1], sb = eb.strides[r - 1]
        let pa = ea.storage.pointer, pb = eb.storage.pointer
        parallelChunks(rows, minimumPerChunk: Swift.max(1, (1 << 15) / inner)) { range in
            var walker = RowWalker(shape: outShape, strides: [ea.strides, eb.strides], offsets: [ea.offset, eb.offset], firstRow: range.lowerBound)
            for row in range {
                let ra = pa + walker.positions[0], rb = pb + walker.positions[1], rd = d + row * inner
                if sa == 1 && sb == 1 {
                    for j in 0..<inner { rd[j] = k.apply(ra[j], rb[j]) }
                } else if sa == 1 && sb == 0 {
                    let y = rb[0]
                    for j in 0..<inner { rd[j] = k.apply(ra[j], y) }
                } else if sa == 0 && sb == 1 {
                    let x = ra[0]
                    for j in 0..<inner { rd[j] = k.apply(x, rb[j]) }
                } else {
                    for j in 0..<inner { rd[j] = k.apply(ra[j * sa], rb[j * sb]) }
                }
                walker.advance()
            }
        }
        return withExtendedLifetime((ea, eb)) { out }
    }

    /// `k` applied to every element; the result is contiguous. Views are copied first.
    @inline(__always)
    func unary<K: UnaryKernel>(_ k: K) -> Tensor {
        let src = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let s = src.basePointer, d = out.storage.pointer
        parallelChunks(count) { r in for i in r { d[i] = k.apply(s[i]) } }
        return withExtendedLifetime(src) { out }
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
        var walker = RowWalker(shape: shape, strides: [a.strides, b.strides], offsets: [a.offset, b.offset], firstRow: 0)
        var i = 0
        while i < n {
            var ia = walker.positions[0], ib = walker.positions[1]
            for _ in 0..<inner {
                body(i, pa[ia], pb[ib])
                ia += sa; ib += sb; i += 1
            }
            walker.advance()
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
    public static func + (a: Tensor, b: Float) -> Tensor { a.unary(ScalarRight(op: AddKernel(), value: b)) }
    public static func - (a: Tensor, b: Float) -> Tensor { a.unary(ScalarRight(op: SubKernel(), value: b)) }
    public static func * (a: Tensor, b: Float) -> Tensor { a.unary(ScalarRight(op: MulKernel(), value: b)) }
    public static func / (a: Tensor, b: Float) -> Tensor { a.unary(ScalarRight(op: DivKernel(), value: b)) }
    public static func + (a: Float, b: Tensor) -> Tensor { b.unary(ScalarLeft(op: AddKernel(), value: a)) }
    public static func - (a: Float, b: Tensor) -> Tensor { b.unary(ScalarLeft(op: SubKernel(), value: a)) }
    public static func * (a: Float, b: Tensor) -> Tensor { b.unary(ScalarLeft(op: MulKernel(), value: a)) }
    public static func / (a: Float, b: Tensor) -> Tensor { b.unary(ScalarLeft(op: DivKernel(), value: a)) }
    public static prefix func - (a: Tensor) -> Tensor { a.unary(NegKernel()) }

    // MARK: unary math (vectorised through FastMath where libm would be called per element)

    public func exp() -> Tensor { unary(ExpKernel()) }
    public func log() -> Tensor { unary(LogKernel()) }
    public func sqrt() -> Tensor { unary(SqrtKernel()) }
    public func abs() -> Tensor { unary(AbsKernel()) }
    public func tanh() -> Tensor { unary(TanhKernel()) }
    public func sigmoid() -> Tensor { unary(SigmoidKernel()) }
    public func relu() -> Tensor { unary(ReluKernel()) }
    public func leakyRelu(slope: Float = 0.01) -> Tensor { unary(ScalarRight(op: LeakyKernel(), value: slope)) }
    public func pow(_ exponent: Float) -> Tensor {
        if exponent == 2 { return unary(SquareKernel()) }
        if exponent == 1 { return unary(IdentityKernel()) }
        if exponent == 0.5 { return sqrt() }
        return unary(ScalarRight(op: PowKernel(), value: exponent))
    }
    public func clamp(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        unary(ClampKernel(low: low, high: high))
    }
    /// GELU, erf form (BERT): x * 0.5 * (1 + erf(x / sqrt 2)).
    public func gelu() -> Tensor { unary(GeluKernel()) }
    /// GELU, tanh approximation (GPT-2).
    public func geluTanh() -> Tensor { unary(GeluTanhKernel()) }
    /// The derivative of `gelu()` (erf form) at every element, for the backward pass.
    public func geluDerivative() -> Tensor { unary(GeluDerivativeKernel()) }
    /// SiLU (swish), x * sigmoid(x): the gate activation of llama-family SwiGLU feed-forwards.
    public func silu() -> Tensor { unary(SiluKernel()) }
    /// The derivative of `silu()`, sigmoid(x) * (1 + x * (1 - sigmoid(x))), for the backward pass.
    public func siluDerivative() -> Tensor { unary(SiluDerivativeKernel()) }

    /// Numerically safe logistic function.
    @inline(__always) public static func sigmoid(_ x: Float) -> Float { FastMath.sigmoid(x) }
    @inline(__always) public static func geluErf(_ x: Float) -> Float { FastMath.gelu(x) }
    @inline(__always) public static func geluTanh(_ x: Float) -> Float { FastMath.geluTanh(x) }
}
