import Tensors
import Autodiff

/// Layer normalisation over the last axis with affine `weight` (ones) and `bias` (zeros).
/// eps defaults to torch's 1e-5; BERT uses 1e-12 (`layer_norm_eps`).
public final class LayerNorm: Module {
    public let dimension: Int
    public let eps: Float
    public let weight: Variable
    public let bias: Variable

    public init(_ dimension: Int, eps: Float = 1e-5) {
        self.dimension = dimension
        self.eps = eps
        weight = Module.makeParameter(.ones([dimension]))
        bias = Module.makeParameter(.zeros([dimension]))
        super.init()
        parameter("weight", weight)
        parameter("bias", bias)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.last == dimension, "LayerNorm(\(dimension)): input shape \(Tensor.describe(x.shape))")
        return x.layerNorm(weight: weight, bias: bias, eps: eps)
    }
}

/// RMS normalisation over the last axis with a `weight` (ones): x / sqrt(mean(x^2) + eps) * w.
public final class RMSNorm: Module {
    public let dimension: Int
    public let eps: Float
    public let weight: Variable

    public init(_ dimension: Int, eps: Float = 1e-6) {
        self.dimension = dimension
        self.eps = eps
        weight = Module.makeParameter(.ones([dimension]))
        super.init()
        parameter("weight", weight)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.last == dimension, "RMSNorm(\(dimension)): input shape \(Tensor.describe(x.shape))")
        return x.rmsNorm(weight: weight, eps: eps)
    }
}
