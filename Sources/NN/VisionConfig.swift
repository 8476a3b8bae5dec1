import Foundation

/// Sizes of the vision path of a multimodal PRM (InternVL's `vision_config` plus the projector):
/// square tiles of `imageSize` pixels cut into `patchSize` patches, a ViT of `numHiddenLayers`
/// pre-norm bidirectional blocks, pixel shuffle by `downsampleRatio` (InternVL: 0.5, four
/// neighbouring patch tokens become one), and a 2-layer MLP into the language model's
/// `outputSize` (`llm_hidden_size`). Snake-case keys when encoded, like the other configs.
public struct VisionConfig: Codable, Equatable, Sendable {
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: String
    public var layerNormEps: Float
    public var initializerRange: Float
    /// Pixel shuffle keeps this fraction of the patch grid per side (InternVL: 0.5).
    public var downsampleRatio: Double
    /// Width of the language model's token embeddings (the projector's output).
    public var outputSize: Int

    public init(imageSize: Int = 32, patchSize: Int = 8, channels: Int = 3, hiddenSize: Int = 48,
                numHiddenLayers: Int = 2, numAttentionHeads: Int = 4, intermediateSize: Int = 96,
                hiddenAct: String = "gelu", layerNormEps: Float = 1e-6, initializerRange: Float = 0.02,
                downsampleRatio: Double = 0.5, outputSize: Int = 128) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.channels = channels
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps
        self.initializerRange = initializerRange
        self.downsampleRatio = downsampleRatio
        self.outputSize = outputSize
    }

    enum CodingKeys: String, CodingKey {
        case imageSize = "image_size", patchSize = "patch_size", channels = "num_channels"
        case hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps", initializerRange = "initializer_range"
        case downsampleRatio = "downsample_ratio", outputSize = "llm_hidden_size"
    }

    /// Named presets; `outputSize` is set by the PRM to its hidden size.
    /// - `tiny`: 32-pixel tiles, 8-pixel patches (16 per tile, 4 image tokens after the shuffle),
    ///   2 blocks of width 48: small enough to train with the PRM on this CPU.
    /// - `small`: 64-pixel tiles, 8-pixel patches (64 per tile, 16 image tokens), 4 blocks of width 96.
    public static func preset(_ name: String, outputSize: Int) throws -> VisionConfig {
        switch name {
        case "tiny": return VisionConfig(outputSize: outputSize)
        case "small":
            return VisionConfig(imageSize: 64, patchSize: 8, hiddenSize: 96, numHiddenLayers: 4, numAttentionHeads: 4,
                                intermediateSize: 192, outputSize: outputSize)
        default: throw VisionConfigError("unknown vision preset '\(name)' (known: tiny, small)")
        }
    }

    /// Patches along one side of a tile.
    public var patchesPerSide: Int { imageSize / patchSize }
    /// Patches of one tile.
    public var patchesPerTile: Int { patchesPerSide * patchesPerSide }
    /// Patch tokens merged per side by the pixel shuffle (2 for InternVL's 0.5).
    public var shuffleFactor: Int { Int((1 / downsampleRatio).rounded()) }
    /// Image tokens one tile becomes (InternVL's `num_image_token`).
    public var tokensPerTile: Int { patchesPerTile / (shuffleFactor * shuffleFactor) }
    /// Values of one flattened patch (channels x patch x patch).
    public var patchDimension: Int { channels * patchSize * patchSize }

    /// Products of config fields that are certainly parameters (`ConfigBounds.check` compares
    /// them with a weights file before a tower is built).
    public var parameterLowerBound: [ConfigBounds.Term] {
        let k = shuffleFactor
        return [ConfigBounds.Term("num_channels x patch_size^2 x hidden_size", [channels, patchSize, patchSize, hiddenSize]),
                ConfigBounds.Term("(image_size / patch_size)^2 x hidden_size", [patchesPerSide, patchesPerSide, hiddenSize]),
                ConfigBounds.Term("num_hidden_layers x 4 x hidden_size^2", [numHiddenLayers, 4, hiddenSize, hiddenSize]),
                ConfigBounds.Term("num_hidden_layers x 2 x hidden_size x intermediate_size", [numHiddenLayers, 2, hiddenSize, intermediateSize]),
                ConfigBounds.Term("hidden_size x k^2 x llm_hidden_size", [hiddenSize, k, k, outputSize]),
                ConfigBounds.Term("llm_hidden_size^2", [outputSize, outputSize])]
    }

    /// Checks that the sizes fit together (errors name the field).
    public func validate() throws {
        func need(_ ok: Bool, _ message: String) throws { if !ok { throw VisionConfigError(message) } }
        for (name, v) in [("image_size", imageSize), ("patch_size", patchSize), ("num_channels", channels),
                          ("hidden_size", hiddenSize), ("num_attention_heads", numAttentionHeads),
                          ("intermediate_size", intermediateSize), ("llm_hidden_size", outputSize)] {
            try need(v >= 1 && v <= 1 << 16, "vision \(name) must be in 1...65536, got \(v)")
        }
        try need(numHiddenLayers >= 0 && numHiddenLayers <= 64, "vision num_hidden_layers must be in 0...64, got \(numHiddenLayers)")
        try need(imageSize % patchSize == 0, "vision image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        try need(hiddenSize % numAttentionHeads == 0, "vision hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        try need(downsampleRatio > 0 && downsampleRatio <= 1 && abs(1 / downsampleRatio - Double(shuffleFactor)) < 1e-9,
                 "vision downsample_ratio must be 1/k for a whole k, got \(downsampleRatio)")
        try need(patchesPerSide % shuffleFactor == 0,
                 "vision: \(patchesPerSide) patches per side cannot be pixel-shuffled by \(shuffleFactor) (downsample_ratio \(downsampleRatio))")
        try need(Activation(name: hiddenAct) != nil, "vision hidden_act '\(hiddenAct)' is not known")
    }
}

/// A vision config whose sizes do not fit together.
public struct VisionConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
