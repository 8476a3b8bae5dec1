import XCTest
import Foundation
@testable import Lang

/// `Interpreter.check` (`dprm check`): only bare names are resolved, by the compiler's scope
/// rules (through the shared `SyntaxWalker`), and every message is located.
final class CheckerTests: XCTestCase {
    static let lib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/lib").path

    func check(_ source: String) -> [DprmError] {
        Interpreter(options: .init(searchPaths: [Self.lib], output: { _ in })).check(source, name: "c.dprm")
    }

    func testMembersAndMethodCallsAreNotNames() {
        // `domains`, `by_domain`, `train`, `weights` and `history` are no globals: before the
        // checker resolved only bare names, each was an "undefined name".
        let source = """
        let b = {"train": {"n": 1}}
        fn summary(run) {
          let per = run.by_domain()
          [b.train.domains(), per, run.history, b.train.n]
        }
        b.weights = [1, 2]
        """
        XCTAssertEqual(check(source).map { $0.render() }, [])
    }

    func testLocalsFollowTheCompilersScopes() {
        let source = """
        fn fact(n, acc = n) { if n < 2 { acc } else { fact(n - 1, acc * n) } }
        fn counter() {
          let count = 0
          fn bump(by = 1) { count += by; count }
          bump
        }
        for i, x in [1, 2] { let y = x + i; print(y) }
        let shadow = 1
        fn f() { let shadow = shadow + 1; shadow }
        let add = fn(a, b) { a + b }
        print(fact(4), counter()(), f(), add(1, 2))
        """
        XCTAssertEqual(check(source).map { $0.render() }, [])
    }

    func testNamesOutOfScopeAreReportedOnceWithTheirPlace() {
        let source = """
        if true { let inner = 1 }
        print(inner)
        for k in [1] { print(k) }
        print(k, inner)
        fn g() { total = 1 }
        """
        let errors = check(source)
        XCTAssertEqual(errors.map { $0.headline }, [
            "c.dprm:2:7: error: undefined name 'inner'",
            "c.dprm:4:7: error: undefined name 'k'",
            "c.dprm:5:10: error: assignment to undeclared variable 'total' (declare it with 'let')",
        ])
        XCTAssertTrue(errors.allSatisfy { $0.render().contains("^") }, "each message shows its line with a caret")
    }

    func testSuggestionsIncludeLocals() {
        let errors = check("fn f(learning_rate) { learning_rat * 2 }")
        XCTAssertEqual(errors.map { $0.headline }, ["c.dprm:1:23: error: undefined name 'learning_rat'"])
        XCTAssertEqual(errors.first?.notes, ["did you mean `learning_rate`?"])
    }

    func testImportedModulesDefineGlobals() {
        // helpers.dprm (on the search path) declares `helper_twice` and `helper_loads`.
        XCTAssertEqual(check("import \"helpers\"\nprint(helper_twice(helper_loads))").map { $0.render() }, [])
        XCTAssertEqual(check("import \"helpers\"\nprint(helper_thrice(1))").map { $0.headline },
                       ["c.dprm:2:7: error: undefined name 'helper_thrice'"])
        let missing = check("import \"no_such_module\"\nprint(1)")
        XCTAssertEqual(missing.map { $0.headline }, ["c.dprm:1:1: error: import \"no_such_module\": module not found"])
    }

    /// A built-in (embedded) module is read like a file on the search path.
    func testBuiltinModulesDefineGlobals() {
        let interp = Interpreter(options: .init(searchPaths: [], builtinModules: ["tools": "# Doubles.\nfn double_it(x) { x * 2 }\nlet tools_version = 1\n"],
                                                output: { _ in }))
        XCTAssertEqual(interp.check("import \"tools\"\nprint(double_it(tools_version))", name: "c.dprm").map { $0.render() }, [])
        XCTAssertEqual(interp.check("import \"tools\"\nprint(triple_it(1))", name: "c.dprm").map { $0.headline },
                       ["c.dprm:2:7: error: undefined name 'triple_it'"])
    }

    func testSyntaxErrorsAreLocated() {
        let errors = check("let x = 1\nlet y = (x +\n")
        XCTAssertEqual(errors.count, 1)
        XCTAssertEqual(errors.first?.kind, .syntax)
        XCTAssertEqual(errors.first?.location?.file, "c.dprm")
        XCTAssertNotNil(errors.first?.location?.line)
    }

    /// The walker's capture analysis is what the compiler boxes: a closure that writes a captured
    /// local must see (and leave) the shared value.
    func testCapturedNamesMatchTheCompiler() throws {
        let interp = Interpreter(options: .init(output: { _ in }))
        let v = try interp.evaluate("fn make() { let n = 0\n let inc = fn() { n += 1 }\n inc(); inc()\n n }\nmake()")
        XCTAssertEqual(v.asNumber, 2)
        var names = Set<String>()
        var parser = try Parser(SourceFile(text: "let w = 1\nfn a(x) { let y = fn() { x + z }\n y }\nw", name: "t"))
        // Inside `a` every name is used by a nested function (`a` itself); `w` is not.
        for s in try parser.program() { s.collectCapturedNames(into: &names) }
        XCTAssertEqual(names, ["x", "y", "z"])
        names = []
        // From inside `a`, only the lambda's names are captured.
        guard case .fnDecl(let a) = try Parser(SourceFile(text: "fn a(x) { let y = fn() { x + z }\n y }", name: "t")).parsed().first!.kind else {
            return XCTFail("not a function")
        }
        for s in a.body { s.collectCapturedNames(into: &names) }
        XCTAssertEqual(names, ["x", "z"])
    }
}

private extension Parser {
    func parsed() throws -> [Stmt] { var p = self; return try p.program() }
}
