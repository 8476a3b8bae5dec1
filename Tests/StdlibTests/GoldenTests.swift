import XCTest
import Foundation
import Lang
import Stdlib

/// Runs every `Golden/*.dprm` file in a fresh `Stdlib.makeInterpreter()`, with the format of the
/// Lang golden runner: printed lines must equal the `# expect: <line>` comments in order; with
/// `# expect error: <substring>` comments the run must fail and the rendered diagnostic contain
/// each substring.
final class StdlibGoldenTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func testGoldenFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
            .filter { $0.hasSuffix(".dprm") && !$0.hasPrefix("_") }.sorted()
        XCTAssertGreaterThan(files.count, 3, "golden files missing in \(Self.folder.path)")
        for file in files {
            let path = Self.folder.appendingPathComponent(file).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var expected: [String] = [], expectedErrors: [String] = []
            for line in text.components(separatedBy: "\n") {
                guard let r = line.range(of: "# expect") else { continue }
                let rest = line[r.upperBound...]
                if rest.hasPrefix(" error: ") { expectedErrors.append(String(rest.dropFirst(8))) }
                else if rest.hasPrefix(": ") { expected.append(String(rest.dropFirst(2))) }
                else if rest.hasPrefix(":") { expected.append("") }
            }
            var out = ""
            let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { out += $0 }))
            var failure: DprmError? = nil
            do { _ = try interp.run(file: path) } catch let e as DprmError { failure = e }
            var lines = out.components(separatedBy: "\n")
            if lines.last == "" { lines.removeLast() }
            XCTAssertEqual(lines, expected, "\(file): printed output differs")
            if expectedErrors.isEmpty {
                XCTAssertNil(failure, "\(file): unexpected error:\n\(failure?.render() ?? "")")
            } else if let f = failure {
                let rendered = f.render()
                for e in expectedErrors {
                    XCTAssertTrue(rendered.contains(e), "\(file): error does not contain \"\(e)\":\n\(rendered)")
                }
            } else {
                XCTFail("\(file): expected an error containing \(expectedErrors)")
            }
        }
    }
}
