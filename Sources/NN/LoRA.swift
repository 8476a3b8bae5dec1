import Tensors
import Autodiff
import Support

/// A low-rank adapter (LoRA, Hu et al. 2021, as Hugging Face `peft` builds it) on one `Linear`:
/// the layer computes `x W^T + b + scale * (x A^T) B^T` with `A` [rank, in] drawn like torch's
/// Linear default (U(-1/sqrt(in), 1/sqrt(in)), peft's kaiming-uniform with a = sqrt(5)), `B`
/// [out, rank] zeros, and `scale = alpha / rank`. At attachment the adapted layer therefore
/// computes exactly what the plain one did (the low-rank term is an exact zero).
///
/// Attaching freezes the base weight and bias (`requiresGrad` off): no graph is recorded
/// through them, no gradient is computed for them (the backward of the base product skips its
/// weight sgemm), and optimisers skip them (parameters without a gradient are never written),
/// so they stay bit-identical however long the adapter trains. Only `A` and `B` learn:
/// `rank * (in + out)` parameters instead of `in * out`.
///
/// The adapter is the layer's child `lora` (parameters `lora.A` and `lora.B`), so optimisers,
/// `zeroGrad` and `namedParameters` see it. `Module.mergedStateDict()` gives the state dict with
/// every adapter folded into its base weight (`W + scale * B A`) and no adapter entries: a plain
/// checkpoint any loader of the base architecture reads. `Linear.mergeAdapter()` folds it in
/// place and removes it.
public final class LoRAAdapter: Module {
    public let rank: Int
    public let alpha: Float
    /// [rank, in].
    public let a: Variable
    /// [out, rank].
    public let b: Variable

    /// `alpha / rank`, the factor of the low-rank term.
    public var scale: Float { alpha / Float(rank) }

    /// An adapter for a layer with `inFeatures` inputs and `outFeatures` outputs.
    public init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Float, rng: inout RandomGenerator) {
        precondition(rank > 0, "LoRA rank must be positive, got \(rank)")
        self.rank = rank
        self.alpha = alpha
        a = Module.makeParameter(.uniform([rank, inFeatures], bound: 1 / Float(inFeatures).squareRoot(), rng: &rng))
        b = Module.makeParameter(.zeros([outFeatures, rank]))
        super.init()
        parameter("A", a)
        parameter("B", b)
    }

    /// `scale * (x A^T) B^T` for `x` [n, in]: two thin products; the scale is applied to the
    /// [n, rank] intermediate, the cheapest place.
    func delta(_ x: Variable) -> Variable {
        (x.linear(weight: a, bias: nil) * scale).linear(weight: b, bias: nil)
    }

    /// `scale * B A`, [out, in]: the change the adapter makes to the base weight.
    public func weightDelta() -> Tensor {
        b.value.matmul(a.value) * scale
    }
}

/// Which projections of a llama-family block get adapters.
public enum LoRATarget: String, CaseIterable, Sendable {
    case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj"
    case gate = "gate_proj", up = "up_proj", down = "down_proj"
}

/// A request the model cannot honour (bad rank, block index or target), with the reason.
public struct LoRAError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension Linear {
    /// Attaches a fresh adapter of `rank` (see `LoRAAdapter`) and freezes the base weight and
    /// bias. A layer holds at most one adapter.
    @discardableResult
    public func attachAdapter(rank: Int, alpha: Float, rng: inout RandomGenerator) throws -> LoRAAdapter {
        guard adapter == nil else { throw LoRAError(message: "this Linear(\(inFeatures), \(outFeatures)) already has a LoRA adapter") }
        guard rank > 0 && rank <= Swift.min(inFeatures, outFeatures) else {
            throw LoRAError(message: "LoRA rank must be in 1...\(Swift.min(inFeatures, outFeatures)) for Linear(\(inFeatures), \(outFeatures)), got \(rank)")
        }
        let lora = LoRAAdapter(inFeatures: inFeatures, outFeatures: outFeatures, rank: rank, alpha: alpha, rng: &rng)
        child("lora", lora)
        adapter = lora
        weight.requiresGrad = false
        bias?.requiresGrad = false
        return lora
    }

    /// Folds the adapter into the base weight (`W += scale * B A`, a new buffer: views of the old
    /// weight keep the base values), removes it, and makes the weight and bias trainable again.
    public func mergeAdapter() {
        guard let lora = adapter else { return }
        weight.value = weight.value + lora.weightDelta()
        removeChild("lora")
        adapter = nil
        weight.requiresGrad = true
        bias?.requiresGrad = true
    }
}

extension Module {
    /// Every `Linear` below this module that carries an adapter, with its dotted name.
    public func adaptedLayers() -> [(name: String, layer: Linear)] {
        namedModules().compactMap { name, m in
            guard let l = m as? Linear, l.adapter != nil else { return nil }
            return (name, l)
        }
    }

    /// The state dict with every adapter merged into its base weight (`W + scale * B A`) and no
    /// adapter entries: what the model would hold after `mergeAdapter()` on every layer, without
    /// changing the model (training can go on). Equal to `stateDict()` when there are no adapters.
    public func mergedStateDict() -> [String: Tensor] {
        var state = stateDict()
        for (name, layer) in adaptedLayers() {
            let prefix = name.isEmpty ? "" : name + "."
            state[prefix + "weight"] = layer.weight.value + layer.adapter!.weightDelta()
            state[prefix + "lora.A"] = nil
            state[prefix + "lora.B"] = nil
        }
        return state
    }

    /// The parameters of every adapter below this module, with their names.
    public func adapterParameters() -> [(String, Variable)] {
        namedParameters().filter { name, _ in name.hasSuffix("lora.A") || name.hasSuffix("lora.B") }
    }
}

extension LlamaDecoder {
    /// Attaches LoRA adapters of `rank` (scale `alpha / rank`) to the `targets` projections of
    /// the blocks `blocks` (default: every block), freezing their base weights. Everything else
    /// (embeddings, norms, other blocks, the head) is left as it was: freeze it separately when
    /// only the adapters should train (`adapterParameters()` lists them for an optimiser).
    /// Adapters are drawn from `seed`, block by block in target order. Nothing is attached when
    /// an error is thrown.
    @discardableResult
    public func attachLoRA(rank: Int, alpha: Float, blocks: [Int]? = nil,
                           targets: [LoRATarget] = LoRATarget.allCases, seed: UInt64 = 0) throws -> [LoRAAdapter] {
        let chosen = blocks ?? Array(0..<config.numHiddenLayers)
        for i in chosen where i < 0 || i >= config.numHiddenLayers {
            throw LoRAError(message: "LoRA: block \(i) out of range 0..<\(config.numHiddenLayers)")
        }
        guard !targets.isEmpty else { throw LoRAError(message: "LoRA: no target projections given") }
        // The rank cannot exceed the narrower side of any adapted projection.
        let limit = targets.map { t in layers.map { Swift.min($0.projection(t).inFeatures, $0.projection(t).outFeatures) }.min() ?? 0 }.min()!
        guard rank > 0 && rank <= limit else {
            throw LoRAError(message: "LoRA rank must be in 1...\(limit) for the projections \(targets.map(\.rawValue).joined(separator: ", ")) of this model, got \(rank)")
        }
        for i in chosen {
            for target in targets where layers[i].projection(target).adapter != nil {
                throw LoRAError(message: "LoRA: block \(i) \(target.rawValue) already has an adapter")
            }
        }
        var rng = RandomGenerator(seed: seed)
        var out: [LoRAAdapter] = []
        for i in chosen {
            for target in targets {
                out.append(try layers[i].projection(target).attachAdapter(rank: rank, alpha: alpha, rng: &rng))
            }
        }
        return out
    }
}

extension LlamaModel {
    /// `LlamaDecoder.attachLoRA` on this model's decoder.
    @discardableResult
    public func attachLoRA(rank: Int, alpha: Float, blocks: [Int]? = nil,
                           targets: [LoRATarget] = LoRATarget.allCases, seed: UInt64 = 0) throws -> [LoRAAdapter] {
        try model.attachLoRA(rank: rank, alpha: alpha, blocks: blocks, targets: targets, seed: seed)
    }
}

extension LlamaBlock {
    /// The projection `target` of this block.
    public func projection(_ target: LoRATarget) -> Linear {
        switch target {
        case .q: return selfAttention.qProj
        case .k: return selfAttention.kProj
        case .v: return selfAttention.vProj
        case .o: return selfAttention.oProj
        case .gate: return mlp.gateProj
        case .up: return mlp.upProj
        case .down: return mlp.downProj
        }
    }
}
