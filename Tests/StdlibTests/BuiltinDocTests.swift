import XCTest
import Foundation
import Lang
import Stdlib

/// Every builtin of every registry (core and Stdlib's) is documented, and its example runs.
final class BuiltinDocTests: XCTestCase {
    /// Stdlib's registries (tensor, data, prm, reweight, plot).
    func testStdlibBuiltinsAreDocumentedAndTheirExamplesRun() throws {
        XCTAssertTrue(Stdlib.registries().contains { $0.module == "tensor" })
        try check(Stdlib.registries())
    }

    /// The interpreter's core registry (Lang).
    func testCoreBuiltinsAreDocumentedAndTheirExamplesRun() throws {
        let probe = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        let core = probe.registries.filter { $0.module == "core" }
        XCTAssertEqual(core.count, 1, "the interpreter's core registry is missing")
        try check(core)
    }

    /// Each builtin has a summary, signature, help and example, and the example runs in a fresh
    /// interpreter (working directory: a scratch folder; shared data found through DPRM_SHARED).
    func check(_ registries: [BuiltinRegistry]) throws {
        let cwd = FileManager.default.currentDirectoryPath
        if ProcessInfo.processInfo.environment["DPRM_SHARED"] == nil {
            let shared = URL(fileURLWithPath: cwd).deletingLastPathComponent().appendingPathComponent("shared/data").path
            if FileManager.default.fileExists(atPath: shared) { setenv("DPRM_SHARED", shared, 1) }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-examples-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        FileManager.default.changeCurrentDirectoryPath(scratch.path)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        var missing: [String] = []
        for registry in registries {
            for b in registry.builtins {
                let id = "\(registry.module).\(b.name)"
                if b.summary.isEmpty { missing.append("\(id): summary") }
                if b.signature.isEmpty { missing.append("\(id): signature") }
                if b.help.isEmpty { missing.append("\(id): help") }
                for p in b.parameters ?? [] where p.doc.isEmpty || p.kind.isEmpty { missing.append("\(id): parameter \(p.name)") }
                if b.example.isEmpty { missing.append("\(id): example"); continue }
                let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
                do { _ = try interp.evaluate(b.example, name: "example of \(b.name)") } catch {
                    XCTFail("\(id): example fails:\n\(b.example)\n\(error)")
                }
            }
        }
        XCTAssertTrue(missing.isEmpty, "undocumented builtins (\(missing.count)):\n" + missing.joined(separator: "\n"))
    }

    /// Every native object type's members come from its one table, and each member has a doc line
    /// and a call form. The list of types is checked against the classes declared in Sources/Stdlib.
    func testEveryNativeMemberIsDocumented() throws {
        let tables = Stdlib.memberTables()
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Stdlib")
        var declared: [String: String] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let pattern = try NSRegularExpression(pattern: #"class (\w+): (NativeObject|TabledObject)\b"#)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                declared[String(text[Range(m.range(at: 1), in: text)!])] = String(text[Range(m.range(at: 2), in: text)!])
            }
        }
        XCTAssertGreaterThan(declared.count, 10)
        for (type, conformance) in declared {
            XCTAssertEqual(conformance, "TabledObject", "\(type) declares its members outside a MemberTable")
        }
        XCTAssertEqual(Set(tables.map(\.swiftType)), Set(declared.keys), "Stdlib.memberTables() does not list every native type")
        for table in tables {
            XCTAssertFalse(table.members.isEmpty, table.type)
            for m in table.members {
                let id = "\(table.type).\(m.name)"
                XCTAssertFalse(m.summary.isEmpty, "\(id) has no doc line")
                XCTAssertFalse(m.summary.contains("\n"), "\(id): the doc line is one line")
                if m.kind == .method {
                    XCTAssertTrue(m.signature.hasPrefix(m.name + "("), "\(id): the signature '\(m.signature)' is not a call of it")
                } else {
                    XCTAssertEqual(m.signature, m.name, id)
                }
            }
        }
        // The tables are what objects answer: every listed tensor member exists on a tensor.
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        let t = try XCTUnwrap(try interp.evaluate("tensor([1, 2])").asTensorValue)
        XCTAssertEqual(t.memberDocs.map(\.name), t.memberNames)
        for name in t.memberNames { XCTAssertNotNil(try t.member(name), name) }
    }

    /// The builtins whose signature, keyword check and defaults used to drift now declare their
    /// parameters once: `prm_new` shows `max_vocab`, `coldstart` the scheduler settings it reads,
    /// `reweight` every flag instead of "...".
    func testDeclaredParametersShowWhatTheBuiltinsRead() throws {
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        let prmNew = try XCTUnwrap(interp.builtin(named: "prm_new"))
        XCTAssertTrue(prmNew.signature.contains("max_vocab: 2000"), prmNew.signature)
        XCTAssertTrue(prmNew.helpText.contains("max_vocab: 2000  number: largest tokenizer vocabulary"), prmNew.helpText)
        let coldstart = try XCTUnwrap(interp.builtin(named: "coldstart"))
        XCTAssertTrue(coldstart.signature.hasPrefix("coldstart(prm, train, lr: 5e-5 or the preset's, iterations: 1000,"), coldstart.signature)
        XCTAssertTrue(coldstart.keywordNames.contains("scheduler_gamma"))
        let reweight = try XCTUnwrap(interp.builtin(named: "reweight"))
        XCTAssertFalse(reweight.signature.contains("..."), reweight.signature)
        XCTAssertTrue(reweight.helpText.contains("iterations: 3000  number (also iteration_num)"), reweight.helpText)
        // One message for an unknown keyword, whichever builtin.
        for call in ["prm_new(preset: \"tiny\", corpus: [], max_vocb: 10)", "load_train(\"x.json\", skip_invalid: true, lmit: 2)",
                     "instance_net(hidden: 3)", "benchmark(sed: 1)"] {
            XCTAssertThrowsError(try interp.evaluate(call)) { e in
                XCTAssertTrue((e as? DprmError)?.message.contains("got an unexpected keyword argument") == true, "\(call): \(e)")
            }
        }
        // A reference flag and its short name together are one value given twice.
        XCTAssertThrowsError(try interp.evaluate("let b = benchmark(seed: 1, train_size: 8, meta: 2, test: 2)\nlet p = prm_new(preset: \"tiny\", corpus: [b.train])\ncoldstart(p, b.train, iterations: 1, iteration_num: 2)")) { e in
            XCTAssertTrue("\(e)".contains("coldstart() got multiple values for argument 'iterations'"), "\(e)")
        }
    }
}
