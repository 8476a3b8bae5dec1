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
                if b.example.isEmpty { missing.append("\(id): example"); continue }
                let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
                do { _ = try interp.evaluate(b.example, name: "example of \(b.name)") } catch {
                    XCTFail("\(id): example fails:\n\(b.example)\n\(error)")
                }
            }
        }
        XCTAssertTrue(missing.isEmpty, "undocumented builtins (\(missing.count)):\n" + missing.joined(separator: "\n"))
    }

    func testTensorMembersAreDocumented() throws {
        for m in TensorValue.methods { XCTAssertFalse(m.summary.isEmpty || m.signature.isEmpty, "tensor method \(m.name)") }
        for f in TensorValue.fields { XCTAssertFalse(f.summary.isEmpty, "tensor field \(f.name)") }
        let interp = Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
        let t = try XCTUnwrap(try interp.evaluate("tensor([1, 2])").asTensorValue)
        for name in t.memberNames { XCTAssertNotNil(try t.member(name), name) }
    }
}
