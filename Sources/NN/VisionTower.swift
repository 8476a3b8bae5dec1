import Tensors
import Autodiff
import Support

/// The vision path of an InternVL-style multimodal model, as one NN `Module`: image tiles in,
/// image-token embeddings in the language model's width out.
///
///     pixels [tiles, 3, S, S] -> patch embedding (+ positions) -> ViT (pre-norm, bidirectional)
///       -> pixel shuffle (k x k patches per token) -> mlp1 -> [tiles, tokensPerTile, outputSize]
///
/// Children: `embeddings` (`PatchEmbedding`), `encoder` (NN's `TransformerEncoder`, the same
/// blocks as the text models, without a causal mask), `mlp1` (`VisionProjector`). Every tile of
/// a batch goes through one forward (the tiles of all images of a training batch are stacked by
/// the caller), so the patch matmul and the attention are batched.
public final class VisionTower: Module {
    public let config: VisionConfig
    public let embeddings: PatchEmbedding
    public let encoder: TransformerEncoder
    public let projector: VisionProjector

    /// A freshly initialised tower; the same seed gives the same weights.
    public init(config: VisionConfig, seed: UInt64) {
        precondition((try? config.validate()) != nil, "invalid vision config: \(config)")
        self.config = config
        var rng = RandomGenerator(seed: seed)
        embeddings = PatchEmbedding(config: config, rng: &rng)
        encoder = TransformerEncoder(config: TransformerConfig(
            hiddenSize: config.hiddenSize, numHiddenLayers: config.numHiddenLayers,
            numAttentionHeads: config.numAttentionHeads, intermediateSize: config.intermediateSize,
            hiddenAct: config.hiddenAct, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
            layerNormEps: config.layerNormEps, initializerRange: config.initializerRange,
            normPlacement: .pre, isDecoder: false, positionEmbeddingType: .absolute), rng: &rng)
        let k = config.shuffleFactor
        // torch's default (uniform, 1/sqrt(fan-in)) rather than N(0, 0.02): two 0.02-scale layers
        // would make the image tokens ~100 times smaller than the text embeddings and starve the
        // ViT of gradient when everything trains from scratch (InternVL starts from pretrained weights).
        projector = VisionProjector(inputSize: config.hiddenSize * k * k, outputSize: config.outputSize,
                                    initialization: .torchDefault, rng: &rng)
        super.init()
        child("embeddings", embeddings)
        child("encoder", encoder)
        child("mlp1", projector)
    }

    /// Image-token embeddings [tiles, tokensPerTile, outputSize] of `pixels` [tiles, 3, S, S].
    public func callAsFunction(_ pixels: Tensor) -> Variable {
        let h = encoder(embeddings(pixels), mask: AttentionMask.none)
        return projector(pixelShuffle(h, factor: config.shuffleFactor))
    }

    /// An independent tower with the same config and weights.
    public func copy() throws -> VisionTower {
        let twin = VisionTower(config: config, seed: 0)
        try twin.load(stateDict: stateDict())
        if !isTraining { twin.eval() }
        return twin
    }
}
