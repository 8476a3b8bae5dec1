import XCTest
import Foundation
import Lang
@testable import Stdlib

/// examples/multimodal.dprm end to end on a tiny setting (2 seeds, a few steps): results.json has
/// per seed the four accuracies, the step times with and without images, and the Instance Table's
/// weights per domain of the four-domain pool. (The measured run is in docs/multimodal.md.)
extension ExampleTests {
    func testMultimodalExample() throws {
        let shared = Self.repo.deletingLastPathComponent().appendingPathComponent("shared/data/digits/digits.csv.gz").path
        guard ProcessInfo.processInfo.environment["DPRM_SHARED"] != nil || FileManager.default.fileExists(atPath: shared) else {
            throw XCTSkip("UCI digits not found at \(shared) (set DPRM_SHARED to the shared folder)")
        }
        let r = try runExample("multimodal", [("seeds", .number(2)), ("candidates", .number(4)), ("timing_steps", .number(2))])
        let seeds = try XCTUnwrap(r["seeds"] as? [[String: Any]])
        XCTAssertEqual(seeds.count, 2)
        for s in seeds {
            let a = try XCTUnwrap(s["accuracies"] as? [String: Double])
            XCTAssertEqual(Set(a.keys), ["first", "with_images", "images_blanked", "instance_table"])
            for (k, v) in a { XCTAssertTrue((0...1).contains(v), "\(k) \(v)") }
            let t = try XCTUnwrap(s["seconds_per_step"] as? [String: Double])
            XCTAssertGreaterThan(t["with_images"]!, 0)
            XCTAssertGreaterThan(t["text_only"]!, 0)
            let w = try XCTUnwrap(s["weights_by_domain"] as? [String: Double])
            XCTAssertEqual(Set(w.keys), ["clean", "noisy", "shifted", "mc"])
        }
        XCTAssertEqual(seeds[1]["seed"] as? Double, 1)
    }
}
