import Tensors
import Autodiff
import Support

/// InternVL's `mlp1`: LayerNorm over the shuffled ViT features, Linear into the language
/// model's width, GELU, Linear. Children are named as the entries of InternVL's
/// `nn.Sequential` (`0` the norm, `1` and `3` the linears; the GELU at `2` has no weights).
public final class VisionProjector: Module {
    public let norm: LayerNorm
    public let first: Linear
    public let second: Linear

    public init(inputSize: Int, outputSize: Int, initialization: Initialization, rng: inout RandomGenerator) {
        norm = LayerNorm(inputSize)
        first = Linear(inputSize, outputSize, initialization: initialization, rng: &rng)
        second = Linear(outputSize, outputSize, initialization: initialization, rng: &rng)
        super.init()
        child("0", norm)
        child("1", first)
        child("3", second)
    }

    public func callAsFunction(_ x: Variable) -> Variable { second(first(norm(x)).gelu()) }
}
