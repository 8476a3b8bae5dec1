import XCTest
import Foundation

/// Inputs `scripts/fuzz` found, replayed the way it runs them: the binary under the fuzzer's
/// 4 GB address-space limit (`ulimit -v`), with a deadline.
final class FuzzRegressionTests: XCTestCase {
    /// Runs `dprm -e code` under `ulimit -v 4194304`; fails if it takes longer than `deadline`.
    func runLimited(_ code: String, deadline: Double = 60) throws -> (status: Int32, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "ulimit -v 4194304; exec \"$0\" -e \"$1\"", try dprmBinary(), code]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { p.waitUntilExit(); done.signal() }
        if done.wait(timeout: .now() + deadline) == .timedOut {
            p.terminate()
            XCTFail("\(code): still running after \(deadline) s")
        }
        return (p.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// The three language timeouts of the last fuzz run (a 2 GB string, within the default limit
    /// of a quarter of physical memory, built piece by piece: more than the fuzzer's 20 s, and in
    /// the fuzzer's 4 GB a second copy for printing could not be allocated at all). Under an
    /// address-space limit one request may take a quarter of it, so each is now a runtime error
    /// naming the request, at once.
    func testTheFuzzersLanguageTimeoutsAreErrorsUnderItsMemoryLimit() throws {
        for (code, what) in [("print(\"x\" * 2147483648)", "string repeat: 2147483648 items"),
                             ("print(pad(\"a\", 2147483648))", "width: 2147483648 items"),
                             ("print(format(1, \">2147483648\"))", "width: 2147483648 items")] {
            let r = try runLimited(code)
            XCTAssertEqual(r.status, 70, "\(code): \(r.err)")
            XCTAssertTrue(r.err.contains(what) && r.err.contains("is more than one request may allocate"), "\(code): \(r.err)")
        }
        // Within the limit a repeat is built and printed (a copy-free write).
        let r = try runLimited("let s = \"ab\" * 50000000\nprint(s)\nprint(s == \"ab\" * 50000000)")
        XCTAssertEqual(r.status, 0, r.err)
    }
}
