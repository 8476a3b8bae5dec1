import XCTest
import Foundation
import Lang

/// Runs every `Golden/*.dprm` file (see `GoldenFile` for the `# expect:` format) in a fresh
/// interpreter with only the core builtins.
final class GoldenTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

    func testGoldenFiles() throws {
        let files = try GoldenFile.all(in: Self.folder)
        XCTAssertGreaterThan(files.count, 20, "golden files missing in \(Self.folder)")
        for file in files {
            let problems = file.check { Interpreter(options: .init(searchPaths: [Self.folder + "/lib"], output: $0)) }
            XCTAssertTrue(problems.isEmpty, problems.joined(separator: "\n"))
        }
    }
}
