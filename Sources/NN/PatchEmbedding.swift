import Tensors
import Autodiff
import Support

/// A ViT's patch embedding: the `patchSize`-stride convolution of InternViT (`patch_embedding`,
/// kernel = stride = patch size) computed as one matrix product over the flattened patches, plus
/// learned position embeddings (`position_embedding`, one per patch).
///
/// `patches(_:)` lays a tile out as rows of patches in raster order (patch row by patch row, left
/// to right) and each patch as (channel, y, x), which is the order of a conv weight
/// [out, channels, patch, patch] flattened: `projection.weight` is that weight reshaped to
/// [out, channels*patch*patch], so a torch `Conv2d` checkpoint maps onto it by a reshape.
/// InternViT also prepends a class token that `extract_feature` drops again before the pixel
/// shuffle; it only reaches the image tokens through attention, so it is left out here.
public final class PatchEmbedding: Module {
    public let config: VisionConfig
    /// [hiddenSize, channels*patch*patch], the convolution as a linear map.
    public let projection: Linear
    /// [1, patchesPerTile, hiddenSize].
    public let positionEmbedding: Variable

    public init(config: VisionConfig, rng: inout RandomGenerator) {
        self.config = config
        let initialization = Initialization.normal(std: config.initializerRange)
        projection = Linear(config.patchDimension, config.hiddenSize, initialization: initialization, rng: &rng)
        positionEmbedding = Module.makeParameter(.randn([1, config.patchesPerTile, config.hiddenSize],
                                                        std: config.initializerRange, rng: &rng))
        super.init()
        child("patch_embedding", projection)
        parameter("position_embedding", positionEmbedding)
    }

    /// The patches of `pixels` [tiles, channels, size, size] as [tiles, patchesPerTile, patchDimension]
    /// (raster order of patches; (channel, y, x) inside a patch). Pixels are inputs, never
    /// trained, so this is a plain tensor gather.
    public static func patches(_ pixels: Tensor, patchSize p: Int) -> Tensor {
        precondition(pixels.shape.count == 4 && pixels.shape[2] == pixels.shape[3] && pixels.shape[2] % p == 0,
                     "patches: pixels must be [tiles, channels, size, size] with size a multiple of \(p), got \(Tensor.describe(pixels.shape))")
        let (n, c, s) = (pixels.shape[0], pixels.shape[1], pixels.shape[2])
        let side = s / p
        let src = pixels.contiguous()
        let out = Tensor.zeros([n, side * side, c * p * p])
        out.withMutablePointer { o in
            let x = src.basePointer
            var k = 0
            for t in 0..<n {
                for py in 0..<side {
                    for px in 0..<side {
                        for ch in 0..<c {
                            for ky in 0..<p {
                                let row = ((t * c + ch) * s + py * p + ky) * s + px * p
                                for kx in 0..<p { o[k] = x[row + kx]; k += 1 }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Patch tokens [tiles, patchesPerTile, hiddenSize] of `pixels` [tiles, channels, size, size].
    public func callAsFunction(_ pixels: Tensor) -> Variable {
        precondition(pixels.shape.count == 4 && Array(pixels.shape.dropFirst()) == [config.channels, config.imageSize, config.imageSize],
                     "PatchEmbedding: pixels have shape \(Tensor.describe(pixels.shape)), expected [tiles, \(config.channels), \(config.imageSize), \(config.imageSize)]")
        let flat = PatchEmbedding.patches(pixels, patchSize: config.patchSize)
        return projection(Variable(flat)) + positionEmbedding
    }
}
