import Tensors
import Support

/// How a layer draws its initial weights. Every draw takes a `RandomGenerator`, so a model is a
/// function of its seed.
public enum Initialization: Sendable, Equatable {
    /// PyTorch's default for `nn.Linear`: kaiming-uniform with a = sqrt(5), which is
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, and the same bound for the bias.
    /// For `Embedding` torch's default is N(0, 1).
    case torchDefault
    /// Hugging Face BERT's `_init_weights`: weights N(0, std) (std = initializer_range, 0.02),
    /// biases zero; embeddings N(0, std) with the padding row zeroed.
    case normal(std: Float)
    /// Zeros, drawing nothing: placeholders for a model whose weights are loaded from a
    /// checkpoint right after (a 135M-parameter model would otherwise spend seconds drawing
    /// normals it throws away).
    case zeros

    /// The `initializer_range` Hugging Face BERT uses.
    public static let bert = Initialization.normal(std: 0.02)
}

extension Tensor {
    /// Uniform samples in [-bound, bound).
    static func uniform(_ shape: [Int], bound: Float, rng: inout RandomGenerator) -> Tensor {
        Tensor.rand(shape, low: -bound, high: bound, rng: &rng)
    }
}
