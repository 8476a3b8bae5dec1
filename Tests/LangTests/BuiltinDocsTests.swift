import XCTest
import Foundation
@testable import Lang

/// The builtin reference has one source: the `core` registry (Core*.swift, each builtin with its help).
/// `docs/builtins.md` and the table in `docs/language.md` are generated from it; these tests fail
/// when they are stale. Regenerate with
/// `DPRM_UPDATE_DOCS=1 DPRM_TEST_TARGETS=LangTests swift test --filter BuiltinDocsTests`.
/// (Stdlib's `BuiltinDocTests` checks that every builtin is documented and runs every example.)
final class BuiltinDocsTests: XCTestCase {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs")
    static let begin = "<!-- BEGIN builtins: generated from the core registry by Tests/LangTests/BuiltinDocsTests.swift -->\n"
    static let end = "<!-- END builtins -->\n"
    var update: Bool { ProcessInfo.processInfo.environment["DPRM_UPDATE_DOCS"] == "1" }

    var core: BuiltinRegistry { Interpreter(options: .init(searchPaths: [], output: { _ in })).registries.first { $0.module == "core" }! }

    /// Every core builtin carries its help text and example beside its implementation.
    func testEveryCoreBuiltinHasHelpAndExample() {
        XCTAssertGreaterThan(core.builtins.count, 80)
        for b in core.builtins {
            XCTAssertFalse(b.help.isEmpty, "\(b.name) has no help")
            XCTAssertFalse(b.example.isEmpty, "\(b.name) has no example")
        }
    }

    /// docs/builtins.md is the registry's reference, as generated.
    func testBuiltinsReferenceIsCurrent() throws {
        let path = Self.docs.appendingPathComponent("builtins.md")
        let want = """
        # Builtins of module `core`

        Generated from the interpreter's `core` registry (`Sources/Lang/Core*.swift`, each builtin with its
        help and example) by `Tests/LangTests/BuiltinDocsTests.swift`: do not edit by hand;
        regenerate with `DPRM_UPDATE_DOCS=1 DPRM_TEST_TARGETS=LangTests swift test --filter BuiltinDocsTests`.
        The same text is printed by `help("name")`; every example is run by `Tests/StdlibTests/BuiltinDocTests.swift`.
        Any builtin can be called as a method on its first argument (`xs.sort()`, `"a b".split()`).


        """ + core.markdownReference()
        if update { try want.write(to: path, atomically: true, encoding: .utf8) }
        let have = try String(contentsOf: path, encoding: .utf8)
        XCTAssertEqual(have, want, "docs/builtins.md is stale: regenerate it (see this test's comment)")
    }

    /// docs/language.md embeds the summary table between its BEGIN/END builtins markers.
    func testLanguageTableIsCurrent() throws {
        let path = Self.docs.appendingPathComponent("language.md")
        let text = try String(contentsOf: path, encoding: .utf8)
        guard let b = text.range(of: Self.begin), let e = text.range(of: Self.end, range: b.upperBound..<text.endIndex) else {
            return XCTFail("docs/language.md lacks the markers \(Self.begin)...\(Self.end)")
        }
        let table = core.markdownTable(link: "builtins.md")
        if update {
            try (String(text[..<b.upperBound]) + table + String(text[e.lowerBound...])).write(to: path, atomically: true, encoding: .utf8)
        } else {
            XCTAssertEqual(String(text[b.upperBound..<e.lowerBound]), table, "docs/language.md's builtin table is stale: regenerate it (see this test's comment)")
        }
    }

    /// An example line `code   # value` states what the code gives: when the comment is an
    /// expression (`# [1, 2]`, `# "a"`), it must equal the result. Prose comments are not checked.
    func testExampleResultsInCommentsHold() throws {
        var wrong: [String] = []
        for b in core.builtins {
            let interp = Interpreter(options: .init(searchPaths: [], output: { _ in }))
            var pending = ""
            for line in b.example.split(separator: "\n", omittingEmptySubsequences: false) {
                let parts = line.components(separatedBy: "  # ")
                pending += parts[0] + "\n"
                if case .incomplete = Interpreter.parseStatus(pending) { continue }
                let got = try interp.evaluate(pending, name: "example of \(b.name)")
                pending = ""
                guard parts.count == 2 else { continue }
                let comment = parts[1].trimmingCharacters(in: .whitespaces)
                guard case .complete = Interpreter.parseStatus(comment),
                      let want = try? Interpreter(options: .init(searchPaths: [], output: { _ in })).evaluate(comment) else { continue }
                if !Ops.equal(got, want) { wrong.append("\(b.name): `\(parts[0].trimmingCharacters(in: .whitespaces))` gives \(got.repr), the comment says \(comment)") }
            }
        }
        XCTAssertEqual(wrong, [], "example comments that disagree with the result")
    }
}
