import Tensors
import Autodiff

/// Operations over a list of parameters taken as one flat vector (the hypergradient methods
/// work on theta as a whole: norms, dot products, theta + eps * v).
public struct ParameterSet {
    /// The parameters, in a fixed order.
    public let parameters: [Variable]

    public init(_ parameters: [Variable]) { self.parameters = parameters }

    /// The current values. Tensors are values sharing storage, so this costs no copy as long as
    /// nobody writes into the parameters in place before `restore`.
    public func values() -> [Tensor] { parameters.map(\.value) }

    /// Deep copies of the current values (for rollback, where optimizer steps intervene).
    public func copies() -> [Tensor] { parameters.map { $0.value.copy() } }

    /// Sets the parameter values.
    public func restore(_ values: [Tensor]) {
        for (p, v) in zip(parameters, values) { p.value = v }
    }

    /// Sets every parameter to `base + scale * direction` (new tensors; `base` stays intact).
    public func setShifted(_ base: [Tensor], by direction: [Tensor], scale: Float) {
        for (i, p) in parameters.enumerated() { p.value = base[i] + direction[i] * scale }
    }

    /// Accumulated gradients, zeros where a parameter has none.
    public func grads() -> [Tensor] { parameters.map { $0.grad ?? Tensor.zeros($0.value.shape) } }

    /// Clears every `.grad`.
    public func zeroGrad() { for p in parameters { p.grad = nil } }

    /// Adds `gradients` into the parameters' `.grad`.
    public func accumulate(_ gradients: [Tensor]) {
        for (p, g) in zip(parameters, gradients) { p.grad = p.grad.map { $0 + g } ?? g }
    }

    /// True when every element of `t` is finite (no NaN, no infinity).
    public static func isFinite(_ t: Tensor) -> Bool {
        let c = t.contiguous()
        let p = c.basePointer
        var ok = true
        for i in 0..<c.count where !p[i].isFinite { ok = false; break }
        withExtendedLifetime(c) {}
        return ok
    }

    /// Global L2 norm of a list of tensors, accumulated in Double.
    public static func norm(_ tensors: [Tensor]) -> Double { dot(tensors, tensors).squareRoot() }

    /// Sum of elementwise products over the whole list, accumulated in Double.
    public static func dot(_ a: [Tensor], _ b: [Tensor]) -> Double {
        var total: Double = 0
        for (x, y) in zip(a, b) {
            let cx = x.contiguous(), cy = y.contiguous()
            let px = cx.basePointer, py = cy.basePointer
            for i in 0..<cx.count { total += Double(px[i]) * Double(py[i]) }
            withExtendedLifetime((cx, cy)) {}
        }
        return total
    }

    /// `a + scale * b`, elementwise over the list.
    public static func axpy(_ a: [Tensor], _ b: [Tensor], scale: Float) -> [Tensor] {
        zip(a, b).map { $0 + $1 * scale }
    }

    /// Clips the accumulated gradients to global L2 norm `maxNorm`, as torch's
    /// `clip_grad_norm_` (scale max_norm / (total + 1e-6) when total > max_norm).
    /// Returns the total norm before clipping.
    @discardableResult
    public func clipGradients(maxNorm: Float) -> Double {
        let total = ParameterSet.norm(parameters.compactMap(\.grad))
        let coefficient = Double(maxNorm) / (total + 1e-6)
        if coefficient < 1 {
            for p in parameters { p.grad = p.grad.map { $0 * Float(coefficient) } }
        }
        return total
    }
}
