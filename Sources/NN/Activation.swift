import Tensors
import Autodiff
import Support

/// Pointwise activation functions by name (for MLPs and configs).
public enum Activation: Sendable, Equatable {
    case identity, relu, gelu, geluTanh, tanh, sigmoid, silu
    case leakyRelu(slope: Float)

    /// Parses a name as configs spell it: `relu`, `gelu` (erf), `gelu_new`/`gelu_tanh`, `tanh`,
    /// `sigmoid`, `silu`/`swish`, `leaky_relu` (slope 0.01), `identity`/`linear`.
    public init?(name: String) {
        switch name.lowercased() {
        case "relu": self = .relu
        case "gelu": self = .gelu
        case "gelu_new", "gelu_tanh", "gelu_pytorch_tanh": self = .geluTanh
        case "tanh": self = .tanh
        case "sigmoid": self = .sigmoid
        case "silu", "swish": self = .silu
        case "leaky_relu", "leakyrelu": self = .leakyRelu(slope: 0.01)
        case "identity", "linear", "none": self = .identity
        default: return nil
        }
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        switch self {
        case .identity: return x
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        case .geluTanh: return x.geluTanh()
        case .tanh: return x.tanh()
        case .sigmoid: return x.sigmoid()
        case .silu: return x.silu()
        case .leakyRelu(let s): return x.leakyRelu(slope: s)
        }
    }
}

/// A stack of Linear layers with `activation` between them (not after the last).
/// `sizes = [2, 10, 1]` gives Linear(2, 10), activation, Linear(10, 1), named `layers.0`, `layers.1`.
public final class MLP: Module {
    public let layers: [Linear]
    public let activation: Activation
    public let dropout: Dropout?

    public init(sizes: [Int], activation: Activation = .relu, dropout: Float = 0, bias: Bool = true,
                initialization: Initialization = .torchDefault, rng: inout RandomGenerator) {
        precondition(sizes.count >= 2, "MLP needs at least an input and an output size, got \(sizes)")
        var ls: [Linear] = []
        for i in 0..<(sizes.count - 1) {
            ls.append(Linear(sizes[i], sizes[i + 1], bias: bias, initialization: initialization, rng: &rng))
        }
        layers = ls
        self.activation = activation
        self.dropout = dropout > 0 ? Dropout(dropout, seed: rng.next()) : nil
        super.init()
        for (i, l) in layers.enumerated() { child("layers.\(i)", l) }
        if let d = self.dropout { child("dropout", d) }
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        var h = x
        for (i, l) in layers.enumerated() {
            h = l(h)
            if i < layers.count - 1 {
                h = activation(h)
                if let d = dropout { h = d(h) }
            }
        }
        return h
    }
}
