import XCTest
import Support

/// The read-only file mapping under the safetensors and GGUF readers.
final class MappedFileTests: XCTestCase {
    func testMapsTheBytesEmptyFilesAndMissingOnes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-mapped-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes: [UInt8] = (0..<5000).map { UInt8($0 % 251) }
        try AtomicFile.write(Data(bytes), to: folder + "/data.bin")
        let file = try MappedFile(path: folder + "/data.bin")
        XCTAssertEqual(file.count, 5000)
        XCTAssertEqual(Array(file.bytes), bytes)
        XCTAssertEqual(file.base.load(fromByteOffset: 300, as: UInt8.self), UInt8(300 % 251))
        try AtomicFile.write("", to: folder + "/empty")
        XCTAssertEqual(try MappedFile(path: folder + "/empty").count, 0)
        XCTAssertThrowsError(try MappedFile(path: folder + "/missing")) { error in
            XCTAssertEqual("\(error)", "\(folder)/missing: cannot open: No such file or directory")
        }
    }
}
