import Tensors
import Autodiff
import NN

/// LoRA on a language-model PRM backbone (`prm_new(backbone: ..., lora_rank: r)`): adapters of
/// rank r (scale alpha / r) on the q/k/v/o/gate/up/down projections of the trainable blocks,
/// which are the top `trainableLayers` blocks when that is set and every block otherwise. With
/// adapters, only the adapters train: the adapted projections' weights, the blocks' norms, the
/// final norm and the head stay frozen (peft's default), so the trainable set is
/// `7 * r * (in + out)` scalars per block instead of the block's 3.5M (SmolLM2). The frozen
/// blocks below keep their frozen-output cache.
///
/// A checkpoint is the merged model (`W + scale * B A` for every adapted weight): a plain Hugging
/// Face folder that transformers loads, with the adapted model's scores (`languageModel()` and
/// `stateDictForSaving` merge).
extension LlamaPRMBackbone {
    /// The adapters, in block then projection order (empty without LoRA).
    public var adapters: [LoRAAdapter] { adaptedLayers().compactMap { $0.layer.adapter } }

    /// The LoRA rank of the adapters, nil without LoRA.
    public var loraRank: Int? { adapters.first?.rank }

    /// Attaches adapters of `rank` and `alpha` (see the type's extension doc) drawn from `seed`,
    /// and freezes everything else. Once per backbone: a second call is an error.
    public func attachLoRA(rank: Int, alpha: Float, seed: UInt64 = 0) throws {
        guard adapters.isEmpty else { throw PRMError.invalidOption("lora_rank: this PRM already has LoRA adapters (rank \(loraRank!))") }
        let blocks = Array(frozenLayers..<config.numHiddenLayers)
        do {
            try decoder.attachLoRA(rank: rank, alpha: alpha, blocks: blocks, seed: seed)
        } catch let error as LoRAError {
            throw PRMError.invalidOption("lora_rank: \(error.message)")
        }
        applyTrainableFlags()
    }

    /// `requiresGrad` on exactly the parameters that train (`trainableNamedParameters`).
    func applyTrainableFlags() {
        let trainable = Set(trainableNamedParameters.map { ObjectIdentifier($0.1) })
        for (_, p) in namedParameters() { p.requiresGrad = trainable.contains(ObjectIdentifier(p)) }
    }

    /// The weights to save: the state dict with every adapter merged into its base weight and
    /// no adapter entries (the plain state dict without LoRA).
    public var stateDictForSaving: [String: Tensor] { mergedStateDict() }

    /// Gives `twin` (a copy of this backbone's merged weights) the same adapters: the same
    /// rank and alpha, and A and B copied, with the merged base replaced by this backbone's base
    /// weights, so the twin trains exactly as this one would.
    func copyAdapters(to twin: LlamaPRMBackbone) throws {
        guard let first = adapters.first else { return }
        try twin.attachLoRA(rank: first.rank, alpha: first.alpha)
        let mine = Dictionary(uniqueKeysWithValues: adaptedLayers().map { ($0.name, $0.layer) })
        for (name, layer) in twin.adaptedLayers() {
            guard let source = mine[name], let from = source.adapter, let to = layer.adapter else { continue }
            layer.weight.value = source.weight.value.copy()
            to.a.value = from.a.value.copy()
            to.b.value = from.b.value.copy()
        }
    }
}
