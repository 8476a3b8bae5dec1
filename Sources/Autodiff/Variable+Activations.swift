#if canImport(Glibc)
import Glibc
#endif
import Tensors

extension Variable {
    /// softplus(x) = log(1 + exp(x)), computed stably as max(x, 0) + log1p(exp(-|x|)).
    /// Gradient sigmoid(x), exact at 0 (a composite of relu and abs would give a kink there).
    /// Used by BCE-with-logits (`softplus(x) - x*y`) and the Domain Table activation.
    public func softplus() -> Variable {
        let v = value
        let out = v.map { x in Swift.max(x, 0) + log1pf(expf(-Swift.abs(x))) }
        return Variable.result(out, [self]) { g in [g * v.sigmoid()] }
    }
}
