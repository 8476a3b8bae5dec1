import XCTest
import Support

/// The atomic writer replaces a file in one step and leaves no temporary file behind, also when
/// the write fails.
final class AtomicFileTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder).sorted() }

    func testWritesAndReplacesLeavingNoTemporaryFile() throws {
        let path = folder + "/out.json"
        try AtomicFile.write("first\n", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "first\n")
        // A reader that opened the old file keeps reading the old content: the new one is a
        // different file renamed over the name, not the old one rewritten in place.
        let reader = try XCTUnwrap(FileHandle(forReadingAtPath: path))
        let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        try AtomicFile.write(Data("second, longer\n".utf8), to: path)
        let after = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        XCTAssertNotEqual(before, after, "the file was replaced, not rewritten")
        XCTAssertEqual(String(decoding: reader.readDataToEndOfFile(), as: UTF8.self), "first\n")
        reader.closeFile()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "second, longer\n")
        XCTAssertEqual(try listing(), ["out.json"], "no temporary file left")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o644)
    }

    func testFailedProducerLeavesOldFileAndNothingElse() throws {
        struct Refused: Error {}
        let path = folder + "/figure.png"
        try AtomicFile.write("old", to: path)
        XCTAssertThrowsError(try AtomicFile.write(to: path) { temporary in
            try Data("half".utf8).write(to: URL(fileURLWithPath: temporary))
            throw Refused()
        }) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
        XCTAssertEqual(try listing(), ["figure.png"])
        // A producer that writes the temporary path itself (as gnuplot does).
        try AtomicFile.write(to: path) { temporary in try Data("new".utf8).write(to: URL(fileURLWithPath: temporary)) }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new")
        XCTAssertEqual(try listing(), ["figure.png"])
    }

    func testMissingFolderIsAClearError() {
        let path = folder + "/missing/out.txt"
        XCTAssertThrowsError(try AtomicFile.write("x", to: path)) { error in
            XCTAssertEqual("\(error)", "cannot write '\(path)': folder '\(folder)/missing' does not exist")
        }
    }
}
