import CPNG
import Foundation

/// An 8-bit RGB image, pixels row-major and interleaved (r, g, b).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGB image \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The value of channel `c` at (`x`, `y`).
    public subscript(x: Int, y: Int, c: Int) -> UInt8 { pixels[(y * width + x) * 3 + c] }

    /// The rectangle with top-left (`x`, `y`) and the given size (must lie inside the image).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && x + w <= width && y + h <= height, "crop outside the image")
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for row in 0..<h {
            let src = ((y + row) * width + x) * 3
            out[(row * w * 3)..<((row + 1) * w * 3)] = pixels[src..<(src + w * 3)]
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}

/// PNG decoding through libpng's simplified API (which reports errors as return values, so no
/// longjmp crosses Swift frames).
public enum PNGImage {
    /// Loads an 8-bit PNG (gray, gray+alpha, RGB, RGBA or palette) as RGB. Palette entries are
    /// expanded, gray is replicated, and alpha is dropped without compositing — as PIL's
    /// `Image.open(path).convert("RGB")` does, which is what InternVL's loader calls.
    /// (16-bit files are reduced to 8 bits by libpng and may differ from PIL by a level.)
    public static func load(_ path: String) throws -> RGBImage {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DatasetError(file: path, problem: .missingImage(path))
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let message = messageOf(&image)
            png_image_free(&image)
            throw DatasetError(file: path, problem: .badImage(message))
        }
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)  // PNG_FORMAT_RGBA
        let width = Int(image.width), height = Int(image.height)
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let ok = rgba.withUnsafeMutableBytes { buf in
            png_image_finish_read(&image, nil, buf.baseAddress, Int32(width * 4), nil)
        }
        guard ok != 0 else {
            let message = messageOf(&image)
            png_image_free(&image)
            throw DatasetError(file: path, problem: .badImage(message))
        }
        png_image_free(&image)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            rgb[p * 3] = rgba[p * 4]
            rgb[p * 3 + 1] = rgba[p * 4 + 1]
            rgb[p * 3 + 2] = rgba[p * 4 + 2]
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    private static func messageOf(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Writes an 8-bit RGB PNG (used by tests and tools).
    public static func save(_ img: RGBImage, to path: String) throws {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(img.width)
        image.height = UInt32(img.height)
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR)
        let ok = img.pixels.withUnsafeBytes { buf in
            png_image_write_to_file(&image, path, 0, buf.baseAddress, Int32(img.width * 3), nil)
        }
        if ok == 0 {
            let message = messageOf(&image)
            png_image_free(&image)
            throw DatasetError(file: path, problem: .invalid("cannot write PNG: \(message)"))
        }
    }
}
