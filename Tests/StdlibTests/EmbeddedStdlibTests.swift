import XCTest
import Foundation
import Lang
@testable import Stdlib

/// The standard library is embedded in the binary at build time (the EmbedStdlib plugin).
final class EmbeddedStdlibTests: XCTestCase {
    static let stdlibFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("stdlib")

    /// Every `stdlib/*.dprm` file is embedded, byte for byte, and nothing else is.
    func testEveryModuleIsEmbeddedVerbatim() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.stdlibFolder.path).filter { $0.hasSuffix(".dprm") }
        XCTAssertEqual(Set(Stdlib.modules.keys), Set(files.map { String($0.dropLast(5)) }))
        for file in files {
            let text = try String(contentsOf: Self.stdlibFolder.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(Stdlib.modules[String(file.dropLast(5))], text, file)
        }
    }

    /// A bare name is the library module, a search-path folder overrides it, and `./name` is the
    /// file beside the importing script.
    func testBareNamesAreLibraryModulesAndPathsAreFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-embed-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("override"), withIntermediateDirectories: true)
        try "let which = \"sibling\"\n".write(to: dir.appendingPathComponent("plots.dprm"), atomically: true, encoding: .utf8)
        try "let which = \"override\"\n".write(to: dir.appendingPathComponent("override/plots.dprm"), atomically: true, encoding: .utf8)
        let script = dir.appendingPathComponent("main.dprm").path
        func run(_ source: String, searchPaths: [String] = []) throws -> String {
            try source.write(toFile: script, atomically: true, encoding: .utf8)
            var printed = ""
            let interpreter = Stdlib.makeInterpreter(options: .init(searchPaths: searchPaths, output: { printed += $0 }))
            _ = try interpreter.run(file: script)
            return printed
        }
        // stdlib/plots.dprm defines plot_run; the sibling file does not.
        XCTAssertEqual(try run("import \"plots\"\nprint(type(plot_run))\n"), "function\n")
        XCTAssertEqual(try run("import \"./plots\"\nprint(which)\n"), "sibling\n")
        XCTAssertEqual(try run("import \"plots\"\nprint(which)\n", searchPaths: [dir.appendingPathComponent("override").path]), "override\n")
        XCTAssertThrowsError(try run("import \"no_such_module\"\n")) { error in
            let text = (error as? DprmError)?.render() ?? "\(error)"
            XCTAssertTrue(text.contains("module not found"), text)
            XCTAssertTrue(text.contains("the built-in modules (dreamprm, plots)"), text)
        }
    }
}
