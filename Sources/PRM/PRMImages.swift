import Foundation
import Tensors
import Datasets

/// The pictures of a multimodal PRM's conversations: each image file tiled once (InternVL
/// dynamic tiling into `tiling.tileSize` tiles, `ImageTiling`) and kept, so an instance visited
/// every epoch is read and resized once. Relative paths resolve against `baseDirectory`.
/// Shared by the copies of a PRM (it holds only decoded pixels, which training never changes).
public final class PRMImages: @unchecked Sendable {
    public var tiling: ImageTiling
    public var baseDirectory: String?
    private var cache: [String: ImagePixels] = [:]
    private let lock = NSLock()

    public init(tiling: ImageTiling, baseDirectory: String? = nil) {
        self.tiling = tiling
        self.baseDirectory = baseDirectory
    }

    /// Number of images held.
    public var count: Int { lock.withLock { cache.count } }

    /// The tiles of the image at `path` (read on first use); an unreadable file is an error
    /// naming it.
    public func pixels(_ path: String) throws -> ImagePixels {
        let resolved = ImageLoader(baseDirectory: baseDirectory, tiling: tiling).resolve(path)
        if let hit = lock.withLock({ cache[resolved] }) { return hit }
        let tensor: Tensor
        do { tensor = tiling.tensor(of: try PNGImage.load(resolved)) } catch {
            throw PRMError.invalidOption("cannot read the image \(resolved): \(error)")
        }
        let pixels = ImagePixels(tensor)
        lock.withLock { cache[resolved] = pixels }
        return pixels
    }

    /// Reads every named image now, so that templating (which cannot throw) never meets an
    /// unreadable file: the first bad one is an error naming it.
    public func load(_ paths: [String?]) throws {
        for case let path? in paths { _ = try pixels(path) }
    }
}
