import XCTest
import Foundation
import Lang
import Stdlib

/// Every builtin of every registry (core and Stdlib's) is documented, and its example runs.
final class BuiltinDocTests: XCTestCase {
    /// Stdlib's registries (tensor, data, prm, pretrained, reweight, bilevel, experiments, plot, distributed).
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
                for p in b.parameters where p.doc.isEmpty || p.kind.isEmpty { missing.append("\(id): parameter \(p.name)") }
                if b.example.isEmpty { missing.append("\(id): example"); continue }
                let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
                do { _ = try interp.evaluate(b.example, name: "example of \(b.name)") } catch {
                    XCTFail("\(id): example fails:\n\(b.example)\n\(error)")
                }
            }
        }
        XCTAssertTrue(missing.isEmpty, "undocumented builtins (\(missing.count)):\n" + missing.joined(separator: "\n"))
    }

    /// Every builtin of every registry the interpreter has (core and each Stdlib module) declares
    /// its parameters, and what scripts see of them comes from that one declaration: the
    /// signature, each parameter's line in the help, the keyword names completion offers, and
    /// the check of a call (one message, with a suggestion, for an unknown keyword). A builtin
    /// added without declarations, or with a parameter its help or completion does not show,
    /// fails here.
    func testEveryBuiltinsSignatureHelpCheckAndCompletionComeFromItsDeclaration() throws {
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        XCTAssertEqual(Set(interp.registries.map(\.module)), Set(["core"] + Stdlib.registries().map(\.module)))
        var count = 0
        for registry in interp.registries {
            for b in registry.builtins {
                let id = "\(registry.module).\(b.name)"
                count += 1
                XCTAssertEqual(b.signature, "\(b.name)(\(b.parameters.map(\.signatureText).joined(separator: ", ")))", id)
                for p in b.parameters {
                    XCTAssertFalse(p.doc.isEmpty || p.kind.isEmpty, "\(id): parameter \(p.name) has no doc or kind")
                    XCTAssertTrue(b.helpText.contains("\n  \(p.signatureText)  \(p.kind)"), "\(id): help does not list \(p.name)")
                }
                let named = b.parameters.filter { $0.passing == .positional || $0.passing == .keyword }
                XCTAssertEqual(b.keywordNames, named.map(\.name), id)
                // Completion offers the builtin's names when it is the one the global name calls
                // (a tensor builtin replaces the core one of the same name).
                if interp.builtin(named: b.name)?.signature == b.signature {
                    XCTAssertEqual(interp.keywordNames(ofCallee: b.name), b.keywordNames, id)
                }
                // The declared check runs before the body: an unknown keyword gets the one message
                // whichever builtin (none with pass-through keywords).
                guard !b.parameters.contains(where: { $0.passing == .variadicKeywords }) else { continue }
                let typo = (named.first { $0.name.count >= 4 }?.name).map { String($0.dropLast()) + "_" + String($0.last!) }
                var args = Arguments(callee: b.name, positional: [], keywords: [(typo ?? "zzz_unknown", .number(1))], interpreter: interp)
                XCTAssertThrowsError(try b.implementation(&args), id) { e in
                    let err = e as? DprmError
                    XCTAssertEqual(err?.message, "\(b.name)() got an unexpected keyword argument '\(typo ?? "zzz_unknown")'", id)
                    if typo != nil { XCTAssertEqual(err?.notes.first?.hasPrefix("did you mean `"), true, "\(id): \(err?.notes ?? [])") }
                }
            }
        }
        XCTAssertGreaterThan(count, 150)
    }

    /// Stdlib's modules map one-to-one onto the layer targets they expose (docs/CONTRIBUTING.md):
    /// only module `experiments`'s file imports Experiments, only the `reweight` module's files
    /// (its registry, the bilevel engine's builtins it lists, their values) import Reweight, only
    /// `plot`'s files import Plotting; `load_model` is in `prm` and `bilevel` in `reweight`.
    func testEachStdlibModuleExposesOneTarget() throws {
        XCTAssertEqual(Stdlib.registries().map(\.module), ["tensor", "data", "prm", "reweight", "experiments", "plot", "distributed"])
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Stdlib")
        var importers: [String: Set<String>] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                importers[String(line.dropFirst("import ".count)), default: []].insert(file)
            }
        }
        XCTAssertEqual(importers["Experiments"], ["ExperimentsBuiltins.swift"])
        XCTAssertEqual(importers["Reweight"], ["BilevelBuiltins.swift", "ReweightBuiltins.swift", "ReweightValues.swift"])
        XCTAssertEqual(importers["Plotting"], ["FigureValue.swift", "PlotBuiltins.swift", "PlotBuiltins+Data.swift", "PlotBuiltins+Method.swift"])
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        for (builtin, module) in [("noisy_digits", "experiments"), ("load_model", "prm"), ("prm_new", "prm"), ("bilevel", "reweight"), ("instance_table", "reweight")] {
            XCTAssertEqual(interp.registries.first { $0.builtins.contains { $0.name == builtin } }?.module, module, builtin)
        }
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
                    // Its call form, help and completion come from its declared parameters.
                    let help = m.helpText(receiver: "x")
                    for line in m.parameterLines { XCTAssertTrue(help.contains("\n  " + line), "\(id): help lacks '\(line)'") }
                    for name in m.keywordNames { XCTAssertTrue(m.signature.contains(name), "\(id): \(name) is not in '\(m.signature)'") }
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
        // Live objects' methods check their calls against their declarations before running:
        // one message for an unknown keyword, and completion offers the declared names.
        try interp.evaluate("let t = tensor([[1, 2], [3, 4]])\nlet fig = figure()\nlet m = linear(2, 1, seed: 1)\nlet opt = sgd(m, lr: 0.1)")
        for (variable, type) in [("t", "tensor"), ("fig", "figure"), ("m", "module"), ("opt", "optimizer")] {
            let docs = try XCTUnwrap(tables.first { $0.type == type }).members
            for m in docs where m.kind == .method {
                XCTAssertEqual(interp.keywordNames(ofCallee: "\(variable).\(m.name)"), m.keywordNames, "\(type).\(m.name)")
                XCTAssertThrowsError(try interp.evaluate("\(variable).\(m.name)(zzz_unknown: 1)"), "\(type).\(m.name)") { e in
                    XCTAssertTrue((e as? DprmError)?.message.hasSuffix("() got an unexpected keyword argument 'zzz_unknown'") == true, "\(type).\(m.name): \(e)")
                }
            }
        }
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
