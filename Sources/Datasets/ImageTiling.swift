import Foundation
import Tensors

/// InternVL's dynamic tiling (`dynamic_preprocess` + `build_transform` of InternVL2.5's loader).
///
/// The grid is `columns` x `rows` tiles with `minTiles <= columns*rows <= maxTiles`
/// (`max_patch_num`), chosen by `find_closest_aspect_ratio`: candidates sorted by tile count
/// (ties: columns, then rows — InternVL's order within a count comes from a Python set, which
/// only matters for exact-tie aspect ratios with equal counts, where a closer ratio always
/// exists in practice); the first candidate with the smallest |aspect - columns/rows| wins, and
/// a later candidate with the same difference replaces it when the image area exceeds half the
/// candidate's tiled area (`area > 0.5 * size^2 * columns * rows`).
/// The image is resized to (size*columns, size*rows) with Pillow's bicubic filter (InternVL calls
/// `image.resize` whose default filter is bicubic), cut into tiles row by row, and when there is
/// more than one tile a thumbnail (the whole image resized to size x size) is appended. Pixels
/// become `(v/255 - mean) / std` with the ImageNet mean and std, in Float32 like torchvision.
public struct ImageTiling: Sendable {
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    public var tileSize: Int
    public var minTiles: Int
    public var maxTiles: Int
    public var useThumbnail: Bool

    public init(maxTiles: Int = 12, minTiles: Int = 1, tileSize: Int = 448, useThumbnail: Bool = true) {
        precondition(minTiles >= 1 && maxTiles >= minTiles, "need 1 <= minTiles <= maxTiles")
        self.maxTiles = maxTiles
        self.minTiles = minTiles
        self.tileSize = tileSize
        self.useThumbnail = useThumbnail
    }

    /// The candidate grids (columns, rows) in InternVL's order.
    public var candidateGrids: [(columns: Int, rows: Int)] {
        var grids: [(columns: Int, rows: Int)] = []
        for i in 1...maxTiles {
            for j in 1...maxTiles where i * j >= minTiles && i * j <= maxTiles { grids.append((i, j)) }
        }
        return grids.sorted { a, b in
            a.columns * a.rows != b.columns * b.rows ? a.columns * a.rows < b.columns * b.rows
                : a.columns != b.columns ? a.columns < b.columns : a.rows < b.rows
        }
    }

    /// InternVL's `find_closest_aspect_ratio` for an image of `width` x `height`.
    public func grid(width: Int, height: Int) -> (columns: Int, rows: Int) {
        let aspect = Double(width) / Double(height)
        let area = Double(width * height)
        var bestDiff = Double.infinity
        var best = (columns: 1, rows: 1)
        for g in candidateGrids {
            let diff = abs(aspect - Double(g.columns) / Double(g.rows))
            if diff < bestDiff {
                bestDiff = diff
                best = g
            } else if diff == bestDiff {
                if area > 0.5 * Double(tileSize * tileSize * g.columns * g.rows) { best = g }
            }
        }
        return best
    }

    /// The tiles (and thumbnail) as 8-bit images, in output order.
    public func tiles(of image: RGBImage) -> [RGBImage] {
        let g = grid(width: image.width, height: image.height)
        let resized = image.resizedBicubic(width: tileSize * g.columns, height: tileSize * g.rows)
        var out: [RGBImage] = []
        for i in 0..<(g.columns * g.rows) {
            out.append(resized.cropped(x: (i % g.columns) * tileSize, y: (i / g.columns) * tileSize,
                                       width: tileSize, height: tileSize))
        }
        if useThumbnail && out.count != 1 {
            out.append(image.resizedBicubic(width: tileSize, height: tileSize))
        }
        return out
    }

    /// The normalised pixel tensor, shape [tiles, 3, size, size].
    public func tensor(of image: RGBImage) -> Tensor {
        let tiles = tiles(of: image)
        let plane = tileSize * tileSize
        var scalars = [Float](repeating: 0, count: tiles.count * 3 * plane)
        for (t, tile) in tiles.enumerated() {
            for c in 0..<3 {
                let mean = ImageTiling.imagenetMean[c], std = ImageTiling.imagenetStd[c]
                let base = (t * 3 + c) * plane
                for p in 0..<plane {
                    scalars[base + p] = (Float(tile.pixels[p * 3 + c]) / 255 - mean) / std
                }
            }
        }
        return Tensor(shape: [tiles.count, 3, tileSize, tileSize], scalars: scalars)
    }
}

/// Loads the image an instance names, resolving relative paths against a base directory, and
/// tiles it. A missing file is an error naming it unless `textOnly` is set, in which case images
/// are never read and `pixels` returns nil.
public struct ImageLoader: Sendable {
    public var baseDirectory: String?
    public var textOnly: Bool
    public var tiling: ImageTiling

    public init(baseDirectory: String? = nil, textOnly: Bool = false, tiling: ImageTiling = ImageTiling()) {
        self.baseDirectory = baseDirectory
        self.textOnly = textOnly
        self.tiling = tiling
    }

    /// The path `image` refers to.
    public func resolve(_ image: String) -> String {
        if image.hasPrefix("/") || baseDirectory == nil { return image }
        return URL(fileURLWithPath: baseDirectory!).appendingPathComponent(image).standardizedFileURL.path
    }

    /// The pixel tensor [tiles, 3, size, size] for `image`, or nil when there is no image or the
    /// loader is text-only.
    public func pixels(for image: String?) throws -> Tensor? {
        guard let image, !textOnly else { return nil }
        return tiling.tensor(of: try PNGImage.load(resolve(image)))
    }
}
