import Tensors
import Autodiff

/// Scales gradients so their global L2 norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_`: total = ||(||g_1||, ..., ||g_k||)||_2 over the parameters
/// that have a gradient; when total > maxNorm every gradient is multiplied by
/// maxNorm / (total + 1e-6). Returns the total norm before clipping.
///
/// Gradients are scaled in place; a gradient tensor that shares storage with another one
/// (backward can hand two leaves the same tensor) or is not contiguous is copied first, so no
/// gradient is scaled twice. Sums of squares accumulate in Double.
@discardableResult
public func clipGradNorm(_ parameters: [Variable], maxNorm: Float) -> Float {
    var total: Double = 0
    for p in parameters {
        guard let g = p.grad else { continue }
        let n = g.count
        let s = g.withContiguousPointer { ptr -> Double in
            var acc: Double = 0
            for i in 0..<n { acc += Double(ptr[i]) * Double(ptr[i]) }
            return acc
        }
        // torch takes each parameter's norm in float, then the norm of the norms.
        let norm = Double(Float(s.squareRoot()))
        total += norm * norm
    }
    let totalNorm = Float(total.squareRoot())
    let coefficient = maxNorm / (totalNorm + 1e-6)
    if coefficient < 1 {
        // Unshare first (before anything is scaled), then scale each gradient once.
        var seen = Set<ObjectIdentifier>()
        for p in parameters {
            guard let g = p.grad else { continue }
            if !g.isContiguous || !seen.insert(ObjectIdentifier(g.storage)).inserted { p.grad = g.copy() }
        }
        for p in parameters {
            guard let g = p.grad else { continue }
            let n = g.count
            g.withMutablePointer { ptr in for i in 0..<n { ptr[i] *= coefficient } }
        }
    }
    return totalNorm
}
