import Tensors

// Elementwise primitives. Each gradient rule sits beside its forward; broadcast inputs get
// their gradient summed back to their own shape.

extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return result(a.value + b.value, [a, b]) { g in [g.sumToShape(sa), g.sumToShape(sb)] }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return result(a.value - b.value, [a, b]) { g in [g.sumToShape(sa), (-g).sumToShape(sb)] }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return result(va * vb, [a, b]) { g in
            [a.requiresGrad ? (g * vb).sumToShape(va.shape) : nil, b.requiresGrad ? (g * va).sumToShape(vb.shape) : nil]
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return result(va / vb, [a, b]) { g in
            [a.requiresGrad ? (g / vb).sumToShape(va.shape) : nil,
             b.requiresGrad ? (-(g * va) / (vb * vb)).sumToShape(vb.shape) : nil]
        }
    }

    public static prefix func - (a: Variable) -> Variable {
        result(-a.value, [a]) { g in [-g] }
    }

    public static func + (a: Variable, s: Float) -> Variable { result(a.value + s, [a]) { g in [g] } }
    public static func - (a: Variable, s: Float) -> Variable { result(a.value - s, [a]) { g in [g] } }
    public static func * (a: Variable, s: Float) -> Variable { result(a.value * s, [a]) { g in [g * s] } }
    public static func / (a: Variable, s: Float) -> Variable { result(a.value / s, [a]) { g in [g / s] } }
    public static func + (s: Float, a: Variable) -> Variable { a + s }
    public static func - (s: Float, a: Variable) -> Variable { result(s - a.value, [a]) { g in [-g] } }
    public static func * (s: Float, a: Variable) -> Variable { a * s }
    public static func / (s: Float, a: Variable) -> Variable {
        let v = a.value
        return result(s / v, [a]) { g in [g * (-s) / (v * v)] }
    }

    /// x ** p for a constant exponent.
    public func pow(_ p: Float) -> Variable {
        let v = value
        return Variable.result(v.pow(p), [self]) { g in [g * (p == 2 ? v * 2 : v.pow(p - 1) * p)] }
    }

    /// a ** b elementwise with both sides differentiable (b's gradient uses log a, defined for a > 0).
    public func pow(_ b: Variable) -> Variable {
        let (va, vb) = (value, b.value)
        let out = va.binary(.pow, vb)
        return Variable.result(out, [self, b]) { g in
            [self.requiresGrad ? (g * vb * va.binary(.pow, vb - 1)).sumToShape(va.shape) : nil,
             b.requiresGrad ? (g * out * va.log()).sumToShape(vb.shape) : nil]
        }
    }

    public func exp() -> Variable {
        let out = value.exp()
        return Variable.result(out, [self]) { g in [g * out] }
    }

    public func log() -> Variable {
        let v = value
        return Variable.result(v.log(), [self]) { g in [g / v] }
    }

    public func sqrt() -> Variable {
        let out = value.sqrt()
        return Variable.result(out, [self]) { g in [g / (out * 2)] }
    }

    public func abs() -> Variable {
        let v = value
        return Variable.result(v.abs(), [self]) { g in [g * v.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }] }
    }

    public func tanh() -> Variable {
        let out = value.tanh()
        return Variable.result(out, [self]) { g in [g * out.map { 1 - $0 * $0 }] }
    }

    public func sigmoid() -> Variable {
        let out = value.sigmoid()
        return Variable.result(out, [self]) { g in [g * out.map { $0 * (1 - $0) }] }
    }

    public func relu() -> Variable {
        let v = value
        return Variable.result(v.relu(), [self]) { g in [g * v.map { $0 > 0 ? 1 : 0 }] }
    }

    public func leakyRelu(slope: Float = 0.01) -> Variable {
        let v = value
        return Variable.result(v.leakyRelu(slope: slope), [self]) { g in [g * v.map { $0 > 0 ? 1 : slope }] }
    }

    /// GELU, erf form.
    public func gelu() -> Variable {
        let v = value
        guard GradMode.isEnabled && requiresGrad else { return Variable(v.gelu()) }
        // Recording: the derivative comes out of the forward pass (one CDF for both), so the
        // backward is one product.
        let (out, derivative) = v.geluWithDerivative()
        return Variable.result(out, [self]) { g in [g * derivative] }
    }

    /// SiLU (swish), x * sigmoid(x).
    public func silu() -> Variable {
        let v = value
        return Variable.result(v.silu(), [self]) { g in [g * v.siluDerivative()] }
    }

    /// GELU, tanh approximation.
    public func geluTanh() -> Variable {
        let v = value
        return Variable.result(v.geluTanh(), [self]) { g in
            [g * v.map { x in
                let k: Float = 0.79788456080286536
                let inner = k * (x + 0.044715 * x * x * x)
                let t = tanhf(inner)
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
            }]
        }
    }

    /// Clamps to [low, high]; the gradient is zero where the input lies outside (open interval
    /// at the bounds' outside, as torch.clamp: gradient 1 where low <= x <= high).
    public func clamp(min low: Float = -.infinity, max high: Float = .infinity) -> Variable {
        let v = value
        return Variable.result(v.clamp(min: low, max: high), [self]) { g in [g * v.map { $0 >= low && $0 <= high ? 1 : 0 }] }
    }

    /// Elementwise maximum; ties send the gradient to `self`.
    public func maximum(_ other: Variable) -> Variable {
        let (a, b) = (value, other.value)
        let mask = a.binary(.greaterEqual, b)
        return Variable.result(a.binary(.maximum, b), [self, other]) { g in
            [(g * mask).sumToShape(a.shape), (g * (1 - mask)).sumToShape(b.shape)]
        }
    }

    /// `where(condition, a, b)` with a constant condition.
    public static func select(_ condition: Tensor, _ a: Variable, _ b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return result(Tensor.select(condition, a.value, b.value), [a, b]) { g in
            let zero = Tensor.zeros([])
            return [Tensor.select(condition, g, zero).sumToShape(sa), Tensor.select(condition, zero, g).sumToShape(sb)]
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
