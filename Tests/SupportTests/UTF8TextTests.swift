import XCTest
import Foundation
import Support

/// The one rule of text readers (issue 18, item 5): a byte-order mark is skipped, invalid UTF-8
/// is an error naming the byte offset, and the JSON parser follows the same rule.
final class UTF8TextTests: XCTestCase {
    func offset(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBufferPointer(UTF8Text.firstInvalidOffset) }

    func testValidatorAgreesWithTheStandardLibrary() {
        // Well-formed: ASCII, 2/3/4-byte sequences at the edges of their ranges.
        for s in ["", "abc", "é", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}", "日本語 text"] {
            XCTAssertNil(offset(Array(s.utf8)), s)
        }
        // Ill-formed, with the offset of the first bad byte.
        XCTAssertEqual(offset([0x61, 0xFF]), 1)
        XCTAssertEqual(offset([0x61, 0x62, 0xC3]), 2, "truncated sequence")
        XCTAssertEqual(offset([0xC0, 0xAF]), 0, "overlong '/'")
        XCTAssertEqual(offset([0xE0, 0x80, 0xAF]), 0, "overlong 3-byte")
        XCTAssertEqual(offset([0xED, 0xA0, 0x80]), 0, "UTF-16 surrogate")
        XCTAssertEqual(offset([0xF4, 0x90, 0x80, 0x80]), 0, "above U+10FFFF")
        XCTAssertEqual(offset([0x41, 0xE2, 0x82, 0x41]), 1, "bad continuation")
        XCTAssertEqual(offset([0x80]), 0, "lone continuation")
        // Random byte strings: nil exactly when Swift's own validation accepts them.
        var rng = RandomGenerator(seed: 18)
        for _ in 0..<2000 {
            let bytes = (0..<Int(rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: [0x41, 0x80, 0xBF, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0x90, 0xA0, 0xFF][Int(rng.next() % 11)]) }
            XCTAssertEqual(offset(bytes) == nil, String(validating: bytes, as: UTF8.self) != nil, "\(bytes)")
        }
    }

    func testReadSkipsTheByteOrderMarkAndNamesTheOffset() throws {
        let dir = NSTemporaryDirectory() + "utf8-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data([0xEF, 0xBB, 0xBF] + Array("a,b\n".utf8)).write(to: URL(fileURLWithPath: dir + "/bom.csv"))
        XCTAssertEqual(try UTF8Text.read(path: dir + "/bom.csv"), "a,b\n")
        try Data(Array("a,b\nc,".utf8) + [0xFF, 0x0A]).write(to: URL(fileURLWithPath: dir + "/bad.csv"))
        XCTAssertThrowsError(try UTF8Text.read(path: dir + "/bad.csv")) {
            XCTAssertEqual("\($0)", "\(dir)/bad.csv: invalid UTF-8 at byte offset 6 (0xff)")
        }
        XCTAssertThrowsError(try UTF8Text.read(path: dir)) { XCTAssertTrue("\($0)".contains("is a folder"), "\($0)") }
        XCTAssertThrowsError(try UTF8Text.read(path: dir + "/none")) { XCTAssertTrue("\($0)".contains("no such file"), "\($0)") }
    }

    func testJSONParserFollowsTheSameRule() throws {
        XCTAssertEqual(try JSONValue.parse(bytes: [0xEF, 0xBB, 0xBF] + Array("[1]".utf8)), .array([.number(1)]))
        XCTAssertThrowsError(try JSONValue.parse(bytes: Array("{\"a\": \"x".utf8) + [0xC3, 0x28] + Array("\"}".utf8))) { error in
            let e = error as! JSONParseError
            XCTAssertEqual(e.offset, 8)
            XCTAssertTrue(e.message.contains("invalid UTF-8 at byte offset 8"), e.message)
        }
        // A mark anywhere but the start is not skipped (it is not whitespace in JSON).
        XCTAssertThrowsError(try JSONValue.parse(bytes: Array(" ".utf8) + [0xEF, 0xBB, 0xBF] + Array("1".utf8)))
    }
}
