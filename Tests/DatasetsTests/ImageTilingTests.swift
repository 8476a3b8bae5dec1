import XCTest
@testable import Datasets
import Support

/// Compares PNG decoding and InternVL tiling with values PIL + numpy computed
/// (scripts/make_image_fixtures.py; outputs in Fixtures/images).
final class ImageTilingTests: XCTestCase {
    func expected() throws -> JSONValue {
        let path = TestPaths.fixtures + "/images/expected.json"
        return try JSONValue.parse(String(contentsOfFile: path, encoding: .utf8))
    }

    func testGridChoiceMatchesInternVL() throws {
        let grids = try XCTUnwrap(try expected()["grids"]?.arrayValue)
        XCTAssertGreaterThan(grids.count, 50)
        for g in grids {
            let w = Int(g["width"]!.numberValue!), h = Int(g["height"]!.numberValue!)
            let maxNum = Int(g["max_num"]!.numberValue!)
            let want = g["grid"]!.arrayValue!.map { Int($0.numberValue!) }
            let got = ImageTiling(maxTiles: maxNum).grid(width: w, height: h)
            XCTAssertEqual([got.columns, got.rows], want, "\(w)x\(h) max_num \(maxNum)")
        }
        // The area tie-break: a square image picks the largest square grid its area justifies.
        XCTAssertEqual(ImageTiling(maxTiles: 12).grid(width: 1000, height: 1000).columns, 3)
        XCTAssertEqual(ImageTiling(maxTiles: 12).grid(width: 448, height: 448).columns, 1)
    }

    func testTilesMatchPIL() throws {
        let cases = try XCTUnwrap(try expected()["cases"]?.arrayValue)
        XCTAssertEqual(cases.count, 4)
        for c in cases {
            let file = c["file"]!.stringValue!
            let image = try PNGImage.load(TestPaths.fixtures + "/images/" + file)
            XCTAssertEqual(image.width, Int(c["width"]!.numberValue!), file)
            XCTAssertEqual(image.height, Int(c["height"]!.numberValue!), file)
            let first = c["first_pixels_rgb"]!.arrayValue!.map { $0.arrayValue!.map { UInt8($0.numberValue!) } }
            for (x, rgb) in first.enumerated() {
                XCTAssertEqual([image[x, 0, 0], image[x, 0, 1], image[x, 0, 2]], rgb, "\(file) decoded pixel (\(x), 0)")
            }
            let tiling = ImageTiling(maxTiles: Int(c["max_num"]!.numberValue!))
            let g = tiling.grid(width: image.width, height: image.height)
            XCTAssertEqual([g.columns, g.rows], c["grid"]!.arrayValue!.map { Int($0.numberValue!) }, file)
            let t = tiling.tensor(of: image)
            XCTAssertEqual(t.shape, c["shape"]!.arrayValue!.map { Int($0.numberValue!) }, file)
            let values = t.contiguous()
            let ptr = values.storage.pointer + values.offset
            let plane = 448 * 448
            let means = c["tile_channel_means"]!.arrayValue!
            for (tile, row) in means.enumerated() {
                for (ch, m) in row.arrayValue!.enumerated() {
                    var sum = 0.0
                    for p in 0..<plane { sum += Double(ptr[(tile * 3 + ch) * plane + p]) }
                    XCTAssertEqual(sum / Double(plane), m.numberValue!, accuracy: 1e-5, "\(file) tile \(tile) channel \(ch) mean")
                }
            }
            for s in c["samples"]!.arrayValue! {
                let v = s.arrayValue!.map { $0.numberValue! }
                let (ti, ch, y, x) = (Int(v[0]), Int(v[1]), Int(v[2]), Int(v[3]))
                let got = ptr[((ti * 3 + ch) * 448 + y) * 448 + x]
                XCTAssertEqual(Double(got), v[4], accuracy: 1e-5, "\(file) value at [\(ti), \(ch), \(y), \(x)]")
            }
        }
    }

    func testMissingImageIsAnErrorUnlessTextOnly() throws {
        let loader = ImageLoader(baseDirectory: "/nonexistent-dir")
        XCTAssertThrowsError(try loader.pixels(for: "img/q1.png")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("/nonexistent-dir/img/q1.png"), message)
            XCTAssertTrue(message.contains("image file not found"), message)
        }
        XCTAssertNil(try ImageLoader(baseDirectory: "/nonexistent-dir", textOnly: true).pixels(for: "img/q1.png"))
        XCTAssertNil(try loader.pixels(for: nil))
    }

    func testCorruptPNGIsAClearError() throws {
        let path = try TestPaths.write("not a png", name: "bad.png")
        XCTAssertThrowsError(try PNGImage.load(path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("cannot decode image"), "\(error)")
        }
    }

    func testSaveLoadRoundTripAndResizeIdentity() throws {
        var pixels: [UInt8] = []
        for i in 0..<(7 * 5 * 3) { pixels.append(UInt8((i * 37) % 256)) }
        let img = RGBImage(width: 7, height: 5, pixels: pixels)
        let path = try TestPaths.scratch() + "/x.png"
        try PNGImage.save(img, to: path)
        XCTAssertEqual(try PNGImage.load(path), img)
        XCTAssertEqual(img.resizedBicubic(width: 7, height: 5), img)
    }
}
