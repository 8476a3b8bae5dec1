import Tensors
import Autodiff
import Support

/// y = x W^T + b with `weight` of shape [out, in] (torch's layout) and `bias` of shape [out].
///
/// One fused primitive (`Variable.linear`): the product reads W^T through a transpose flag (no
/// copy of the weight) and accumulates onto bias-filled rows in the same `cblas_sgemm`. Leading
/// dims of `x` are flattened into one GEMM.
public final class Linear: Module {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: Variable
    public let bias: Variable?
    /// The LoRA adapter trained in place of the frozen weight, if one is attached
    /// (`attachAdapter(rank:alpha:rng:)`, in LoRA.swift).
    public internal(set) var adapter: LoRAAdapter?

    /// A layer initialised with `initialization` (see `Initialization`; torch's default unless told).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true,
                initialization: Initialization = .torchDefault, rng: inout RandomGenerator) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        switch initialization {
        case .torchDefault:
            let bound = 1 / Float(inFeatures).squareRoot()
            weight = Module.makeParameter(.uniform([outFeatures, inFeatures], bound: bound, rng: &rng))
            self.bias = bias ? Module.makeParameter(.uniform([outFeatures], bound: bound, rng: &rng)) : nil
        case .normal(let std):
            weight = Module.makeParameter(.randn([outFeatures, inFeatures], std: std, rng: &rng))
            self.bias = bias ? Module.makeParameter(.zeros([outFeatures])) : nil
        case .zeros:
            weight = Module.makeParameter(.zeros([outFeatures, inFeatures]))
            self.bias = bias ? Module.makeParameter(.zeros([outFeatures])) : nil
        }
        super.init()
        parameter("weight", weight)
        if let b = self.bias { parameter("bias", b) }
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.last == inFeatures,
                     "Linear(\(inFeatures), \(outFeatures)): input shape \(Tensor.describe(x.shape)) does not end in \(inFeatures)")
        let lead = Array(x.shape.dropLast())
        let flat = x.shape.count == 2 ? x : x.reshaped([-1, inFeatures])
        var y = flat.linear(weight: weight, bias: bias)
        if let adapter { y = y + adapter.delta(flat) }
        return x.shape.count == 2 ? y : y.reshaped(lead + [outFeatures])
    }
}
