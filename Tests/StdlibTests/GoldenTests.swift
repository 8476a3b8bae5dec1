import XCTest
import Foundation
import Lang
import Stdlib

/// Runs every `Golden/*.dprm` file (see `GoldenFile` for the `# expect:` format) in a fresh
/// interpreter with every registry (`Stdlib.makeInterpreter()`).
final class StdlibGoldenTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

    func testGoldenFiles() throws {
        let files = try GoldenFile.all(in: Self.folder)
        XCTAssertGreaterThan(files.count, 3, "golden files missing in \(Self.folder)")
        for file in files {
            let problems = file.check { Stdlib.makeInterpreter(options: .init(searchPaths: [], output: $0)) }
            XCTAssertTrue(problems.isEmpty, problems.joined(separator: "\n"))
        }
    }
}
