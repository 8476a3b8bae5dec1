import XCTest
import Support
@testable import Datasets

/// `MonteCarloNoise.corrupting`: the benchmark's Monte Carlo corruptions applied to loaded
/// step-labelled instances (what `mc_corrupt` and examples/reweight_real.dprm use).
final class MonteCarloCorruptionTests: XCTestCase {
    /// 40 instances: even ones correct (all `+`), odd ones wrong from step 1 + k % 3.
    static func instances() -> [PRMInstance] {
        (0..<40).map { k in
            let first = k % 2 == 0 ? 5 : 1 + k % 3
            return PRMInstance(id: "x\(k)", domain: "d\(k % 4)", question: "q\(k)", steps: (0..<5).map { "s\($0)" },
                               labels: (0..<5).map { $0 < first ? 1 : 0 }, metadata: ["keep": .string("k\(k)")])
        }
    }

    func testShareKindsAndMetadata() {
        let xs = Self.instances()
        let out = ArithmeticBenchmark.MonteCarloNoise().corrupting(xs, share: 0.5, seed: 3)
        XCTAssertEqual(out.map(\.id), xs.map(\.id))
        XCTAssertEqual(out.map(\.steps), xs.map(\.steps))
        var changed = 0
        for (x, y) in zip(xs, out) {
            XCTAssertEqual(y.metadata["clean_labels"], .array(x.labels.map { .number(Double($0)) }))
            XCTAssertEqual(y.metadata["keep"], x.metadata["keep"], "the record's other metadata is kept")
            guard case .string(let kind)? = y.metadata["corruption"] else { return XCTFail("no corruption kind for \(x.id)") }
            XCTAssertEqual(kind == "none", y.labels == x.labels, "\(x.id): kind \(kind)")
            if kind != "none" { changed += 1 }
            let first = x.labels.firstIndex { $0 < 0.5 }
            switch kind {
            case "none": break
            case "late":
                var expected = x.labels; expected[first!] = 1
                XCTAssertEqual(y.labels, expected, x.id)
            case "early":
                var expected = x.labels; expected[first! - 1] = 0
                XCTAssertEqual(y.labels, expected, x.id)
            case "all_positive":
                XCTAssertNotNil(first, "only a wrong solution can be labelled all + (\(x.id))")
                XCTAssertEqual(y.labels, [1, 1, 1, 1, 1], x.id)
            case "flips":
                XCTAssertTrue(zip(x.labels, y.labels).allSatisfy { $0 == $1 || $0 == 1 - $1 }, x.id)
            default: XCTFail("unknown kind \(kind)")
            }
        }
        // 20 instances are chosen; a late / early / all-+ draw on a correct solution (or an early
        // mark before step 1) leaves the labels exact, so fewer than 20 change, but some do.
        XCTAssertGreaterThan(changed, 5)
        XCTAssertLessThanOrEqual(changed, 20)
        // Deterministic in the seed; another seed chooses differently.
        XCTAssertEqual(ArithmeticBenchmark.MonteCarloNoise().corrupting(xs, share: 0.5, seed: 3), out)
        XCTAssertNotEqual(ArithmeticBenchmark.MonteCarloNoise().corrupting(xs, share: 0.5, seed: 4).map(\.labels), out.map(\.labels))
    }

    func testEveryChosenWrongSolutionChangesUnderAllPositive() {
        let xs = Self.instances()
        let allPositive = ArithmeticBenchmark.MonteCarloNoise(late: 0, early: 0, allPositive: 1, flips: 0)
        let out = allPositive.corrupting(xs, share: 1, seed: 0)
        for (x, y) in zip(xs, out) {
            let wrong = x.labels.contains(0)
            XCTAssertEqual(y.labels, Array(repeating: 1, count: 5), x.id)
            XCTAssertEqual(y.metadata["corruption"], .string(wrong ? "all_positive" : "none"), x.id)
        }
        // Share 0 (and a non-finite share) changes nothing but still records the clean labels.
        for share in [0, Double.nan] {
            let none = allPositive.corrupting(xs, share: share, seed: 0)
            XCTAssertEqual(none.map(\.labels), xs.map(\.labels))
            XCTAssertTrue(none.allSatisfy { $0.metadata["corruption"] == .string("none") && $0.metadata["clean_labels"] != nil })
        }
    }
}
