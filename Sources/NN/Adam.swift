#if canImport(Glibc)
import Glibc
#endif
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif
import Tensors
import Autodiff

/// Adam and AdamW with torch's semantics (`torch.optim.Adam` / `torch.optim.AdamW`, no amsgrad):
///
///     t += 1
///     AdamW: p *= 1 - lr * weight_decay          (decoupled decay, before the update)
///     Adam:  g += weight_decay * p               (L2 penalty folded into the gradient)
///     m = m + (1 - beta1) * (g - m)              (torch's lerp)
///     v = beta2 * v + (1 - beta2) * g * g
///     p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// eps defaults to 1e-8 (torch). Hugging Face transformers' own `AdamW` class defaults to
/// eps 1e-6 and orders the computation differently (eps added to sqrt(v) before the bias
/// correction, weight decay applied after the update); `variant: .huggingFace` reproduces that
/// class exactly (pass `eps: 1e-6` for its default). State keys: `<name>.step`,
/// `<name>.exp_avg`, `<name>.exp_avg_sq`.
public final class Adam: Optimizer {
    /// Which update rule.
    public enum Variant: Sendable {
        /// `torch.optim.Adam`: weight decay as an L2 term in the gradient.
        case adam
        /// `torch.optim.AdamW`: decoupled weight decay before the update.
        case adamW
        /// `transformers.AdamW` (correct_bias=True): decoupled decay after the update, eps outside the bias correction.
        case huggingFace
    }

    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var eps: Float
    public var weightDecay: Float
    public let variant: Variant
    public let namedParameters: [(String, Variable)]
    var states: ParameterStates

    /// torch defaults: betas (0.9, 0.999), eps 1e-8; weight decay 0 (Adam) or 0.01 (AdamW, via `AdamW(...)`).
    public init(_ namedParameters: [(String, Variable)], lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                eps: Float = 1e-8, weightDecay: Float = 0, variant: Variant = .adam) {
        self.namedParameters = namedParameters
        self.learningRate = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.variant = variant
        states = ParameterStates(names: namedParameters.map(\.0), bufferNames: ["exp_avg", "exp_avg_sq"])
    }

    /// Unnamed parameters are named "0", "1", ... in the state.
    public convenience init(parameters: [Variable], lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                            eps: Float = 1e-8, weightDecay: Float = 0, variant: Variant = .adam) {
        self.init(indexNames(parameters), lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, variant: variant)
    }

    public func step() {
        let b1 = Float(beta1), b2 = Float(beta2), eps = eps, wd = weightDecay
        let oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2)
        for (i, (_, p)) in namedParameters.enumerated() {
            guard let grad = p.grad else { continue }
            p.ensureWritableValue()
            if states.buffers[i] == nil { states.buffers[i] = [Tensor.zeros(p.value.shape), Tensor.zeros(p.value.shape)] }
            states.steps[i] += 1
            let t = Double(states.steps[i])
            let bc1 = 1 - Foundation_pow(beta1, t), bc2 = 1 - Foundation_pow(beta2, t)
            let n = p.value.count
            let variant = variant
            // Scalars in Double as torch computes them in Python, then used as float multipliers.
            let stepSize = Float(learningRate / bc1)
            let bc2Sqrt = Float(bc2.squareRoot())
            let decay = Float(1 - learningRate * Double(wd))
            let hfStep = Float(learningRate * bc2.squareRoot() / bc1)
            let hfDecay = Float(-learningRate * Double(wd))
            let buffers = states.buffers[i]!
            grad.withContiguousPointer { g in
                p.value.withMutablePointer { w in
                    buffers[0].withMutablePointer { m in
                        buffers[1].withMutablePointer { v in
                            parallelChunks(n) { r in
                                // In blocks of 1024, one loop per array written (m, v, then w): each
                                // loop writes one array, so LLVM's alias checks stay few and the
                                // loops vectorise; the block stays in L1 between the loops.
                                switch variant {
                                case .adam, .adamW:
                                    let adamW = variant == .adamW
                                    // Locals, not captures: loads from the closure context could alias
                                    // the stores and would block vectorisation.
                                    let (w, m, v, g) = (w, m, v, g)
                                    let (b2, oneMinusB1, oneMinusB2, bc2Sqrt, eps, decay, stepSize, wd) =
                                        (b2, oneMinusB1, oneMinusB2, bc2Sqrt, eps, decay, stepSize, wd)
                                    let root = UnsafeMutablePointer<Float>.allocate(capacity: 1024)
                                    defer { root.deallocate() }
                                    var lo = r.lowerBound
                                    while lo < r.upperBound {
                                        let hi = Swift.min(r.upperBound, lo + 1024)
                                        if adamW {
                                            for j in lo..<hi { m[j] += oneMinusB1 * (g[j] - m[j]) }
                                            for j in lo..<hi { v[j] = v[j] * b2 + oneMinusB2 * g[j] * g[j] }
                                        } else {
                                            for j in lo..<hi { let gj = g[j] + wd * w[j]; m[j] += oneMinusB1 * (gj - m[j]) }
                                            for j in lo..<hi { let gj = g[j] + wd * w[j]; v[j] = v[j] * b2 + oneMinusB2 * gj * gj }
                                        }
                                        Adam.squareRoots(v + lo, into: root, count: hi - lo)
                                        if adamW {
                                            for j in lo..<hi {
                                                let denom = root[j - lo] / bc2Sqrt + eps
                                                w[j] = w[j] * decay - stepSize * (m[j] / denom)
                                            }
                                        } else {
                                            for j in lo..<hi {
                                                let denom = root[j - lo] / bc2Sqrt + eps
                                                w[j] -= stepSize * (m[j] / denom)
                                            }
                                        }
                                        lo = hi
                                    }
                                case .huggingFace:
                                    for j in r {
                                        let gj = g[j]
                                        m[j] = m[j] * b1 + oneMinusB1 * gj
                                        v[j] = v[j] * b2 + oneMinusB2 * gj * gj
                                        let denom = v[j].squareRoot() + eps
                                        w[j] -= hfStep * (m[j] / denom)
                                        if wd != 0 { w[j] += hfDecay * w[j] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dst[i] = sqrt(src[i]), correctly rounded. Swift's `squareRoot()` on Linux goes through
    /// libm's errno-setting `sqrtf` for negative inputs, which keeps loops from vectorising;
    /// SSE's `sqrtps` (baseline x86-64) gives the same bits four at a time.
    @inline(__always)
    static func squareRoots(_ src: UnsafeMutablePointer<Float>, into dst: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        #if arch(x86_64)
        while i + 4 <= n {
            _mm_storeu_ps(dst + i, _mm_sqrt_ps(_mm_loadu_ps(src + i)))
            i += 4
        }
        #endif
        while i < n { dst[i] = src[i].squareRoot(); i += 1 }
    }

    public func stateDict() -> [String: Tensor] { states.stateDict() }

    public func load(stateDict: [String: Tensor]) throws {
        try states.load(stateDict, shapes: namedParameters.map(\.1.value.shape))
    }
}

/// `torch.optim.AdamW`: Adam with decoupled weight decay (default 0.01, eps 1e-8).
/// Pass `variant: .huggingFace, eps: 1e-6` for transformers' AdamW class.
public func AdamW(_ namedParameters: [(String, Variable)], lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                  eps: Float = 1e-8, weightDecay: Float = 0.01, variant: Adam.Variant = .adamW) -> Adam {
    Adam(namedParameters, lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, variant: variant)
}

@inline(__always) func Foundation_pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
