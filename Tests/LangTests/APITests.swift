import XCTest
import Foundation
@testable import Lang

/// A small native object exercising the host-object hooks.
final class Vec: NativeObject {
    var xs: [Double]
    init(_ xs: [Double]) { self.xs = xs }
    var typeName: String { "vec" }
    var memberNames: [String] { ["size", "total"] }
    func member(_ name: String) throws -> Value? {
        switch name {
        case "size": return .int(xs.count)
        case "total": return .function(Function(name: "total") { [unowned self] _ in .number(self.xs.reduce(0, +)) })
        default: return nil
        }
    }
    func binary(_ op: BinaryOperator, _ other: Value, isRight: Bool) throws -> Value? {
        guard case .number(let k) = other else { return nil }
        switch op {
        case .add: return .native(Vec(xs.map { $0 + k }))
        case .subtract: return .native(Vec(xs.map { isRight ? k - $0 : $0 - k }))
        case .matmul: return .number(xs.reduce(0, +) * k)
        default: return nil
        }
    }
    func negate() throws -> Value? { .native(Vec(xs.map { -$0 })) }
    func index(_ items: [IndexItem]) throws -> Value {
        guard items.count == 2, case .value(.number(let i)) = items[0], case .slice(let a, let b, _) = items[1] else {
            return .number(xs[0])
        }
        return .list([.number(i), .int(a ?? -1), .int(b ?? -1)])
    }
    func makeIterator() throws -> (() throws -> Value?)? {
        var i = 0
        return { defer { i += 1 }; return i < self.xs.count ? .number(self.xs[i]) : nil }
    }
    var length: Int? { xs.count }
    var summary: String { "vec(\(xs.count))" }
}

final class APITests: XCTestCase {
    func testParseStatus() {
        func status(_ s: String) -> String {
            switch Interpreter.parseStatus(s) {
            case .complete: return "complete"
            case .incomplete: return "incomplete"
            case .error: return "error"
            }
        }
        XCTAssertEqual(status("1 + 2"), "complete")
        XCTAssertEqual(status("fn f(x) {"), "incomplete")
        XCTAssertEqual(status("print(1,"), "incomplete")
        XCTAssertEqual(status("let s = \"abc"), "incomplete")
        XCTAssertEqual(status("[1, 2"), "incomplete")
        XCTAssertEqual(status("1 +"), "incomplete")
        XCTAssertEqual(status("if x {\n  1\n}"), "complete")
        XCTAssertEqual(status("let = 3"), "error")
        XCTAssertEqual(status("(1 + ) * 2"), "error")
        XCTAssertEqual(status(")"), "error")
        if case .error(let e) = Interpreter.parseStatus("let x = 1 +* 2", name: "repl:3") {
            XCTAssertEqual(e.kind, .syntax)
            XCTAssertEqual(e.exitCode, 65)
            XCTAssertTrue(e.render().hasPrefix("repl:3:1:12: error:") || e.render().hasPrefix("repl:3:1:"), e.render())
        } else { XCTFail("expected a syntax error") }
    }

    func testNotebookCells() {
        let text = "let a = 1\n# %% Load data\nprint(a)\n\n# %% [markdown] Notes\n# Some *prose*\n#\n# %%\nlet b = 2\n"
        let cells = Notebook.cells(text)
        XCTAssertEqual(cells.map { $0.index }, [0, 1, 2, 3])
        XCTAssertEqual(cells.map { $0.kind }, [.code, .code, .markdown, .code])
        XCTAssertEqual(cells[1].title, "Load data")
        XCTAssertEqual(cells[1].firstLine, 3)
        XCTAssertEqual(cells[1].source, "print(a)\n")
        XCTAssertEqual(cells[2].title, "Notes")
        XCTAssertEqual(cells[2].source, "Some *prose*\n")
        XCTAssertNil(cells[3].title)
        XCTAssertEqual(cells[3].firstLine, 9)
        XCTAssertEqual(Notebook.cells("# %% only\nx\n").map { $0.index }, [1])
        XCTAssertEqual(Notebook.select(cells, 1...2).count, 2)
    }

    func testCellDiagnosticsNameTheCellAndFileLine() throws {
        let text = "# %% one\nlet a = 1\n# %% two\nlet b = 2\nprint(missing)\n"
        let cells = Notebook.cells(text)
        let interp = Interpreter(options: .init(output: { _ in }))
        try interp.evaluate(cell: cells[0], file: "nb.dprm")
        XCTAssertThrowsError(try interp.evaluate(cell: cells[1], file: "nb.dprm")) { e in
            let r = (e as! DprmError).render()
            XCTAssertTrue(r.hasPrefix("nb.dprm:5:7: error (cell 2): undefined name 'missing'"), r)
        }
    }

    func testGlobalsPersistAndCall() throws {
        var out = ""
        let interp = Interpreter(options: .init(output: { out += $0 }))
        try interp.evaluate("let x = 2", name: "repl:1")
        try interp.evaluate("fn scale(v, by = 3) { v * by * x }", name: "repl:2")
        XCTAssertEqual(try interp.evaluate("x + 1", name: "repl:3").asNumber, 3)
        let f = interp.global("scale")!
        XCTAssertEqual(try interp.call(f, [.number(5)]).asNumber, 30)
        XCTAssertEqual(try interp.call(f, [.number(5)], [("by", .number(1))]).asNumber, 10)
        interp.setGlobal("args", .list([.string("a")]))
        try interp.evaluate("print(args[0], len(args))")
        XCTAssertEqual(out, "a 1\n")
        XCTAssertEqual(interp.globals.map { $0.name }, ["args", "scale", "x"])
        XCTAssertTrue(interp.completions(prefix: "sca").contains("scale"))
        XCTAssertTrue(interp.completions(prefix: "pri").contains("print"))
        XCTAssertTrue(interp.completions(prefix: "up", context: .string("s")).contains("upper"))
        interp.reset()
        XCTAssertNil(interp.global("x"))
        XCTAssertNotNil(interp.global("print"))
    }

    func testRegisteredBuiltinsAndNatives() throws {
        var out = ""
        let interp = Interpreter(options: .init(output: { out += $0 }))
        interp.register(BuiltinRegistry(module: "vec", builtins: [
            Builtin("vec", parameters: [.positional("items", "list", "the numbers"), .keyword("scale", "number", default: 1, "multiplies each")],
                    "A vector.", help: "Makes a vec.", example: "vec([1, 2])") { a in
                let s = try a.number(nil, "scale")
                return .native(Vec(try a.sequence(0, "items").map { ($0.asNumber ?? 0) * s }))
            },
        ]))
        try interp.evaluate("""
        let v = vec([1, 2, 3], scale: 2)
        print(v, v.size, v.total(), len(v))
        print((v + 1).total(), (10 - v).total(), v @ 2, (-v).total())
        print(v[0, 1:3])
        let s = 0
        for x in v { s += x }
        print(s, type(v))
        """)
        XCTAssertEqual(out, "vec(3) 3 12 3\n15 18 24 -12\n[0, 1, 3]\n12 vec\n")
        XCTAssertThrowsError(try interp.evaluate("vec([1], scal: 2)")) { e in
            XCTAssertTrue((e as! DprmError).render().contains("did you mean `scale`?"))
        }
        XCTAssertThrowsError(try interp.evaluate("v.totl")) { e in
            XCTAssertTrue((e as! DprmError).render().contains("vec has no member 'totl'"))
            XCTAssertTrue((e as! DprmError).render().contains("did you mean `total`?"))
        }
        XCTAssertTrue(interp.help("vec")!.contains("Makes a vec."))
    }

    func testInterruptStopsLoop() throws {
        let interp = Interpreter(options: .init(output: { _ in }))
        let t = Thread { Thread.sleep(forTimeInterval: 0.2); interp.requestInterrupt() }
        t.start()
        XCTAssertThrowsError(try interp.evaluate("let i = 0\nwhile true { i += 1 }", name: "repl:1")) { e in
            XCTAssertEqual((e as! DprmError).kind, .interrupt)
            XCTAssertTrue((e as! DprmError).render().contains("interrupted"))
        }
        // State is intact and the flag is cleared.
        XCTAssertGreaterThan(try interp.evaluate("i").asNumber ?? 0, 0)
        XCTAssertNoThrow(try interp.checkInterrupt())
    }

    func testCheckReportsUndefinedNames() {
        let interp = Interpreter()
        let errs = interp.check("let alpha = 1\nfn f() { alpah + beta_undefined }\nprint(alpha)", name: "c.dprm")
        XCTAssertEqual(errs.map { $0.message }, ["undefined name 'alpah'", "undefined name 'beta_undefined'"])
        XCTAssertTrue(errs[0].render().contains("did you mean `alpha`?"))
        XCTAssertEqual(errs[0].location?.line, 2)
        XCTAssertTrue(interp.check("let x = (", name: "c.dprm").first?.kind == .syntax)
        XCTAssertNil(interp.global("alpha"))
    }

    func testValueDescriptions() {
        XCTAssertEqual(Value.number(3).description, "3")
        XCTAssertEqual(Value.number(0.5).description, "0.5")
        XCTAssertEqual(Value.list([.string("a"), .nil, .bool(true)]).description, "[\"a\", nil, true]")
        XCTAssertEqual(Value.string("a").repr, "\"a\"")
        XCTAssertEqual(Value.range(0, 3).typeName, "range")
        XCTAssertFalse(Value.list([]).isTruthy)
        XCTAssertEqual(try formatValue(.number(3.14159), spec: ".2f"), "3.14")
    }
}
