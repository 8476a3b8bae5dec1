import Tensors
import Autodiff

/// How the upper level's gradient through the lower solution is approximated
/// (all approximate dL_up/dlam = direct - J^T H^-1 v; see docs/bilevel.md, "Hypergradients").
public enum HypergradientMethod: Equatable {
    /// Finite-difference -J^T v with eps = alpha / (||v|| + 1e-15) (H^-1 taken as I). DreamPRM's choice.
    case darts(alpha: Float = 0.01)
    /// Neumann series for H^-1 v with `iterations` terms and step `alpha`; K=1 gives alpha (2v - alpha Hv).
    case neumann(iterations: Int = 1, alpha: Float = 1.0)
    /// Conjugate gradient on H x = v from x0 = 0 (the correct method; Betty 0.2.1's beta update is buggy).
    case cg(iterations: Int = 1, alpha: Float = 1.0)

    /// Parses `darts`, `neumann`, `cg` (with default settings).
    public init(name: String) throws {
        switch name.lowercased() {
        case "darts": self = .darts()
        case "neumann": self = .neumann()
        case "cg": self = .cg()
        default: throw BilevelError.invalidConfiguration("unknown hypergradient method '\(name)'; choose darts, neumann or cg")
        }
    }
}

/// Computes hypergradients for one lower problem.
///
/// `lowerLoss` evaluates L_low(theta, lam) on the lower's last batch at the CURRENT parameter
/// values. Everything runs at the lower's current theta; theta is restored exactly afterwards
/// (the original tensors are put back, never recomputed as theta + eps - 2 eps + eps).
struct HypergradientSolver {
    let theta: ParameterSet
    let lambda: ParameterSet
    let lowerLoss: () -> Variable
    /// Sums tensors over the ranks when `lowerLoss` is each rank's shard of the batch (named by
    /// the second argument); the identity in one process. The probes' dL_low/dlam are linear
    /// in the loss, so only their final combination is summed; Hessian products are summed
    /// where they are made, since cg and neumann build on them.
    var sum: ([Tensor], String) throws -> [Tensor] = { t, _ in t }
    /// Step for finite-difference Hessian-vector products (neumann, cg).
    let hessianEpsilon: Float = 1e-3

    /// dL_low/dlam with theta held constant: theta is frozen, so no graph (and no backward)
    /// goes through the PRM; for an Instance Table this costs one forward pass.
    func lambdaGradient() -> [Tensor] {
        frozen(theta.parameters) {
            let loss = lowerLoss()
            return gradients(of: loss, wrt: lambda.parameters)
        }
    }

    /// dL_low/dtheta (lam held constant).
    func thetaGradient() -> [Tensor] {
        frozen(lambda.parameters) {
            gradients(of: lowerLoss(), wrt: theta.parameters)
        }
    }

    /// J^T u = d/dlam (dL_low/dtheta . u) by central differences of dL_low/dlam along u:
    /// (g(theta + r u) - g(theta - r u)) / 2r with r = scale / ||u||.
    func mixedProduct(_ u: [Tensor], radius: Float) throws -> [Tensor] {
        let base = theta.values()
        let r = radius / Float(ParameterSet.norm(u) + 1e-15)
        theta.setShifted(base, by: u, scale: r)
        let plus = lambdaGradient()
        theta.setShifted(base, by: u, scale: -r)
        let minus = lambdaGradient()
        theta.restore(base)
        return try sum(zip(plus, minus).map { ($0 - $1) * (1 / (2 * r)) }, "mixed product allreduce")
    }

    /// H u by central differences of dL_low/dtheta.
    func hessianProduct(_ u: [Tensor]) throws -> [Tensor] {
        let base = theta.values()
        let r = hessianEpsilon / Float(ParameterSet.norm(u) + 1e-15)
        theta.setShifted(base, by: u, scale: r)
        let plus = thetaGradient()
        theta.setShifted(base, by: u, scale: -r)
        let minus = thetaGradient()
        theta.restore(base)
        return try sum(zip(plus, minus).map { ($0 - $1) * (1 / (2 * r)) }, "Hessian product allreduce")
    }

    /// The hypergradient (the term added to lam's gradient) for meta-gradient `v` = dL_up/dtheta.
    func hypergradient(_ v: [Tensor], method: HypergradientMethod, trace: (String) -> Void) throws -> [Tensor] {
        switch method {
        case .darts(let alpha):
            // eps = R / (||v|| + 1e-15); hypergrad = (g- - g+) / (2 eps).
            let eps = alpha / Float(ParameterSet.norm(v) + 1e-15)
            let base = theta.values()
            theta.setShifted(base, by: v, scale: eps)
            trace("lower fwd at theta+eps*v")
            let plus = lambdaGradient()
            theta.setShifted(base, by: v, scale: -eps)
            trace("lower fwd at theta-eps*v")
            let minus = lambdaGradient()
            theta.restore(base)
            return try sum(zip(minus, plus).map { ($0 - $1) * (1 / (2 * eps)) }, "hypergradient allreduce")
        case .neumann(let iterations, let alpha):
            var current = v, total = v
            for _ in 0..<iterations {
                current = ParameterSet.axpy(current, try hessianProduct(current), scale: -alpha)
                total = zip(total, current).map { $0 + $1 }
            }
            let u = total.map { $0 * alpha }
            trace("neumann J^T u")
            return try mixedProduct(u, radius: hessianEpsilon).map { -$0 }
        case .cg(let iterations, let alpha):
            var x = v.map { Tensor.zeros($0.shape) }
            var residual = v, direction = v
            var rr = ParameterSet.dot(residual, residual)
            for _ in 0..<iterations where rr > 0 {
                let hp = try hessianProduct(direction)
                let step = Float(rr / ParameterSet.dot(direction, hp)) * alpha
                x = ParameterSet.axpy(x, direction, scale: step)
                residual = ParameterSet.axpy(residual, hp, scale: -step)
                let rrNew = ParameterSet.dot(residual, residual)
                // beta uses the NEW residual over the old one (Betty 0.2.1 uses the old residual twice).
                direction = ParameterSet.axpy(residual, direction, scale: Float(rrNew / rr))
                rr = rrNew
            }
            trace("cg J^T x")
            return try mixedProduct(x, radius: hessianEpsilon).map { -$0 }
        }
    }
}

/// Errors of the bi-level engine and the reweighting pipeline.
public enum BilevelError: Error, CustomStringConvertible {
    case invalidConfiguration(String)
    case interrupted(iteration: Int)
    case checkpoint(String)
    /// A loss or the weights became NaN or infinite (names the iteration).
    case nonFinite(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let m): return m
        case .interrupted(let i): return "interrupted at iteration \(i) (state is consistent; the run can resume from its last checkpoint)"
        case .checkpoint(let m): return m
        case .nonFinite(let m): return m
        }
    }
}
