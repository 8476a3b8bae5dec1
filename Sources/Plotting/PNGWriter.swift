import CPNG
import Foundation

/// Writes 8-bit RGB pixels as a PNG file through libpng's simplified API (`png_image`), which
/// reports errors in a message instead of a longjmp Swift could not survive.
enum PNGWriter {
    /// The PNG file's bytes, encoded in memory (for callers that embed the image).
    static func encode(rgb pixels: [UInt8], width: Int, height: Int) throws -> Data {
        precondition(pixels.count == width * height * 3, "pixel buffer does not match \(width)x\(height) RGB")
        func image() -> png_image {
            var image = png_image()
            image.version = png_uint_32(PNG_IMAGE_VERSION)
            image.width = png_uint_32(width)
            image.height = png_uint_32(height)
            image.format = png_uint_32(PNG_FORMAT_RGB)
            return image
        }
        // First call sizes the buffer, second fills it.
        var sizing = image()
        var size = 0
        let sized = pixels.withUnsafeBytes { buffer in
            png_image_write_to_memory(&sizing, nil, &size, 0, buffer.baseAddress, png_int_32(width * 3), nil)
        }
        png_image_free(&sizing)
        guard sized != 0, size > 0 else {
            throw PlotError.io(path: "(memory)", message: "libpng could not encode the image: \(message(sizing))")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var writing = image()
        let ok = bytes.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { buffer in
                png_image_write_to_memory(&writing, out.baseAddress, &size, 0, buffer.baseAddress, png_int_32(width * 3), nil)
            }
        }
        png_image_free(&writing)
        guard ok != 0 else {
            throw PlotError.io(path: "(memory)", message: "libpng could not encode the image: \(message(writing))")
        }
        return Data(bytes.prefix(size))
    }

    static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    static func write(rgb pixels: [UInt8], width: Int, height: Int, to path: String) throws {
        precondition(pixels.count == width * height * 3, "pixel buffer does not match \(width)x\(height) RGB")
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = png_uint_32(PNG_FORMAT_RGB)
        let ok = pixels.withUnsafeBytes { buffer in
            png_image_write_to_file(&image, path, 0, buffer.baseAddress, png_int_32(width * 3), nil)
        }
        defer { png_image_free(&image) }
        guard ok != 0 else {
            throw PlotError.io(path: path, message: "libpng could not write the image: \(message(image))")
        }
    }
}
