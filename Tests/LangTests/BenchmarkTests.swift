import XCTest
import Foundation
@testable import Lang

/// Timing of the two speed targets (fib(30), a 3,000,000-iteration arithmetic loop). Not a timed
/// assertion: runs only with DPRM_BENCH=1, in release (`swift test -c release ...`), and prints seconds.
final class BenchmarkTests: XCTestCase {
    static let fib = """
    fn fib(n) { if n < 2 { return n }; return fib(n - 1) + fib(n - 2) }
    fib(30)
    """
    static let loop = """
    let s = 0
    let i = 0
    while i < 3000000 {
      s = s + i * 2 % 7
      i += 1
    }
    s
    """

    func testBenchmarks() throws {
        guard ProcessInfo.processInfo.environment["DPRM_BENCH"] == "1" else { throw XCTSkip("set DPRM_BENCH=1 to run benchmarks") }
        for (name, src, expect) in [("fib(30)", Self.fib, 832040.0), ("loop 3e6", Self.loop, 8999997.0)] {
            let interp = Interpreter()
            let t0 = Date()
            let v = try interp.evaluate(src, name: name)
            let dt = Date().timeIntervalSince(t0)
            XCTAssertEqual(v.asNumber, expect)
            print("BENCH \(name): \(String(format: "%.3f", dt)) s")
        }
    }
}
