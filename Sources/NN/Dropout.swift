import Tensors
import Autodiff
import Support

/// Inverted dropout: in training, each element is zeroed with probability `p` and the rest are
/// scaled by 1/(1-p); in eval mode (or with p = 0) the identity.
///
/// The mask comes from the module's own seeded generator, so a run is a function of its seed.
/// The mask multiply is a composite op (a constant tensor times the input), needing no new rule.
public final class Dropout: Module {
    public let p: Float
    /// The generator masks are drawn from; advance or reseed it to control the masks.
    public var rng: RandomGenerator

    public init(_ p: Float, seed: UInt64 = 0) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        self.rng = RandomGenerator(seed: seed)
        super.init()
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard let mask = mask(x.shape) else { return x }
        return x * Variable(mask)
    }

    /// The multiplier the next call on an input of `shape` would apply (0 or 1/(1-p) per element,
    /// drawn in row-major order from `rng`, which it advances), or nil in eval mode or with p = 0.
    /// For fused kernels that apply dropout themselves (the attention primitive).
    public func mask(_ shape: [Int]) -> Tensor? {
        if !isTraining || p == 0 { return nil }
        let mask = Tensor(uninitializedShape: shape)
        let scale = 1 / (1 - p)
        // An element is kept when rng.uniform() < 1 - p. uniform() is (next() >> 11) / 2^53
        // exactly, so that is the integer test (next() >> 11) < ceil((1 - p) 2^53): the same
        // draws and the same mask, without a conversion per element.
        let threshold = UInt64((Double(1 - p) * 9_007_199_254_740_992.0).rounded(.up))
        var generator = rng
        mask.withMutablePointer { m in
            for i in 0..<mask.count { m[i] = generator.next() >> 11 < threshold ? scale : 0 }
        }
        rng = generator
        return mask
    }
}
