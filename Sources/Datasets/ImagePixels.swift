import Tensors

/// The normalised tiles of one image (`ImageTiling.tensor`: [tiles, channels, size, size],
/// row-major) as a value type, so a templated conversation can carry its picture.
public struct ImagePixels: Sendable, Equatable {
    public var tiles: Int
    public var channels: Int
    public var size: Int
    public var scalars: [Float]

    public init(tiles: Int, channels: Int = 3, size: Int, scalars: [Float]) {
        precondition(tiles >= 1 && scalars.count == tiles * channels * size * size,
                     "ImagePixels: \(scalars.count) values for \(tiles) tiles of \(channels)x\(size)x\(size)")
        self.tiles = tiles
        self.channels = channels
        self.size = size
        self.scalars = scalars
    }

    /// From a [tiles, channels, size, size] tensor.
    public init(_ tensor: Tensor) {
        precondition(tensor.shape.count == 4 && tensor.shape[2] == tensor.shape[3],
                     "ImagePixels: expected [tiles, channels, size, size], got \(Tensor.describe(tensor.shape))")
        self.init(tiles: tensor.shape[0], channels: tensor.shape[1], size: tensor.shape[2], scalars: tensor.contiguous().toArray())
    }

    /// The same tile count with every pixel at the normalised value 0 (the ImageNet mean colour):
    /// the picture with its content removed, for the "images blanked" control.
    public var blanked: ImagePixels {
        ImagePixels(tiles: tiles, channels: channels, size: size, scalars: [Float](repeating: 0, count: scalars.count))
    }

    public var tensor: Tensor { Tensor(shape: [tiles, channels, size, size], scalars: scalars) }
}
