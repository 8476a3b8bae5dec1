import Tensors
import Autodiff

/// The activation applied to raw instance weights (the reference's `activation_function`).
public enum WeightActivation: String, CaseIterable {
    /// Clamp to [-1, 3]; zero gradient outside (torch.clamp semantics).
    case clip = "Clip"
    case relu = "ReLU"
    /// LeakyReLU with torch's default slope 0.01; negative weights are allowed.
    case leakyRelu = "LeakyReLU"
    /// Identity.
    case none = "No"
    case sigmoid = "sigmoid"

    /// Parses a reference name (case-insensitive); the error lists the valid names.
    public init(name: String) throws {
        guard let match = WeightActivation.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
            throw BilevelError.invalidConfiguration(
                "unknown activation_function '\(name)'; choose one of \(WeightActivation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = match
    }

    /// Applies the activation (differentiably).
    public func callAsFunction(_ x: Variable) -> Variable {
        switch self {
        case .clip: return x.clamp(min: -1, max: 3)
        case .relu: return x.relu()
        case .leakyRelu: return x.leakyRelu(slope: 0.01)
        case .none: return x
        case .sigmoid: return x.sigmoid()
        }
    }
}
