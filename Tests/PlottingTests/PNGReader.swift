import CPNG
import Foundation
import XCTest

/// A decoded PNG (8-bit RGB), read through libpng's simplified API: the tests' view of output.
struct DecodedPNG {
    let width: Int
    let height: Int
    let rgb: [UInt8]

    init(path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw PNGReadError(path: path, message: DecodedPNG.message(image))
        }
        defer { png_image_free(&image) }
        image.format = png_uint_32(PNG_FORMAT_RGB)
        let (width, height) = (Int(image.width), Int(image.height))
        var buffer = [UInt8](repeating: 0, count: width * height * 3)
        let ok = buffer.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, nil, raw.baseAddress, png_int_32(width * 3), nil)
        }
        guard ok != 0 else { throw PNGReadError(path: path, message: DecodedPNG.message(image)) }
        self.width = width
        self.height = height
        rgb = buffer
    }

    /// Decodes PNG bytes held in memory.
    init(data: Data) throws {
        let directory = NSTemporaryDirectory() + "dprm-png-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).png"
        try data.write(to: URL(fileURLWithPath: directory))
        defer { unlink(directory) }
        try self.init(path: directory)
    }

    static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Distinct colours, as 0xRRGGBB.
    var colors: Set<UInt32> {
        var set = Set<UInt32>()
        for i in stride(from: 0, to: rgb.count, by: 3) {
            set.insert(UInt32(rgb[i]) << 16 | UInt32(rgb[i + 1]) << 8 | UInt32(rgb[i + 2]))
        }
        return set
    }

    /// Pixels whose colour is exactly 0xRRGGBB.
    func count(_ color: UInt32) -> Int {
        var n = 0
        for i in stride(from: 0, to: rgb.count, by: 3)
        where (UInt32(rgb[i]) << 16 | UInt32(rgb[i + 1]) << 8 | UInt32(rgb[i + 2])) == color {
            n += 1
        }
        return n
    }

    /// Pixels close to `color` (each channel within `tolerance`): anti-aliased output blends edges.
    func countNear(_ color: UInt32, tolerance: Int = 40) -> Int {
        let (r, g, b) = (Int(color >> 16), Int((color >> 8) & 0xff), Int(color & 0xff))
        var n = 0
        for i in stride(from: 0, to: rgb.count, by: 3)
        where abs(Int(rgb[i]) - r) <= tolerance && abs(Int(rgb[i + 1]) - g) <= tolerance && abs(Int(rgb[i + 2]) - b) <= tolerance {
            n += 1
        }
        return n
    }
}

struct PNGReadError: Error, CustomStringConvertible {
    let path: String
    let message: String
    var description: String { "\(path): cannot read PNG: \(message)" }
}

/// Shared helpers: a scratch directory per test, the gnuplot the integration tests need.
enum Support {
    /// A new empty directory under the system temporary directory.
    static func scratchDirectory(_ name: String = #function) throws -> String {
        let clean = name.filter { $0.isLetter || $0.isNumber }
        let path = NSTemporaryDirectory() + "dprm-plot-\(clean)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The installed gnuplot, or a skip that says how to install it.
    static func gnuplot() throws -> Gnuplot {
        guard let gnuplot = Gnuplot.locate() else {
            throw XCTSkip("gnuplot not found on PATH (or DPRM_GNUPLOT); run scripts/setup to install gnuplot-nox")
        }
        return gnuplot
    }

    /// Folder of the committed snapshot files.
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
}

@testable import Plotting
