import Foundation
import XCTest
import Datasets
import PRM
@testable import Experiments

/// The built-in multimodal benchmark: sizes, the four label kinds, step correctness that follows
/// the digits in the picture, seeded determinism, pictures that hold the digits.
final class DigitPictureBenchmarkTests: XCTestCase {
    func bench(seed: UInt64 = 3, dir: String) throws -> DigitPictureBenchmark {
        var c = DigitPictureBenchmark.Config(seed: seed, trainSize: 40)
        c.coldStartCount = 30
        c.metaCount = 6
        c.testQuestions = 5
        return try DigitPictureBenchmark(config: c, digits: try NoisyDigitsTests.digits(), directory: dir)
    }

    func testSplitsLabelsAndPictures() throws {
        let dir = NSTemporaryDirectory() + "dprm-mm-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let b = try bench(dir: dir)
        XCTAssertEqual(b.coldStart.count, 30)
        XCTAssertEqual(b.train.count, 40)
        XCTAssertEqual(Dictionary(grouping: b.train, by: { $0.domain! }).mapValues(\.count), ["clean": 10, "noisy": 10, "shifted": 10, "mc": 10])
        XCTAssertEqual(b.meta.count, 6)
        XCTAssertEqual(b.test.count, 5)
        XCTAssertTrue(b.test.allSatisfy { $0.candidates.count == 8 })
        // The numbers are only in the picture: the question text is the same for every instance.
        XCTAssertEqual(Set(b.test.map(\.question) + b.train.map(\.question)), [DigitPictureBenchmark.question])
        for set in b.test {
            guard case .array(let d) = set.metadata["digits"], case .number(let x) = d[0], case .number(let y) = d[1] else { return XCTFail("digits") }
            let (a, bb) = (Int(x), Int(y))
            for (k, steps) in set.candidateSteps.enumerated() {
                let read = steps.prefix(2).map { Int($0.split(separator: " ").last!.dropLast())! }
                XCTAssertEqual(set.correct[k], read == [a, bb] && set.finalAnswers[k] == String(a + bb), "\(steps)")
                XCTAssertEqual(set.correct[k], set.finalAnswers[k] == String(a + bb), "a right answer means every step is right")
            }
            // The picture: 64x32, two digits (dark ink on white).
            let image = try PNGImage.load(set.image!)
            XCTAssertEqual([image.width, image.height], [64, 32])
            XCTAssertLessThan(image.pixels.min()!, 100)
            XCTAssertEqual(image.pixels.max()!, 255)
        }
        // Exact labels in the clean domains; each label kind as defined.
        for x in b.train {
            guard case .array(let clean) = x.metadata["clean_labels"] else { return XCTFail("clean labels") }
            let exact = clean.map { v -> Float in if case .number(let n) = v { return Float(n) } else { return -1 } }
            switch x.domain! {
            case "clean": XCTAssertEqual(x.labels, exact)
            case "shifted":
                var shifted = exact
                if let e = exact.firstIndex(of: 0) { shifted[e] = 1 }
                XCTAssertEqual(x.labels, shifted)
            default: XCTAssertEqual(x.labels.count, exact.count)
            }
        }
        for x in b.coldStart {
            guard case .array(let clean) = x.metadata["clean_labels"] else { return XCTFail("clean labels") }
            XCTAssertEqual(x.labels, clean.map { v -> Float in if case .number(let n) = v { return Float(n) } else { return -1 } })
        }
        // Same seed, same data; another seed, other data.
        let again = try bench(dir: dir + "/again")
        XCTAssertEqual(again.train.map(\.steps), b.train.map(\.steps))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: again.test[0].image!)), try Data(contentsOf: URL(fileURLWithPath: b.test[0].image!)))
        XCTAssertNotEqual(try bench(seed: 4, dir: dir + "/other").train.map(\.steps), b.train.map(\.steps))
    }

    func testBadConfigurationIsAnError() throws {
        var c = DigitPictureBenchmark.Config()
        c.digits = [3]
        XCTAssertThrowsError(try DigitPictureBenchmark(config: c, digits: try NoisyDigitsTests.digits(), directory: NSTemporaryDirectory())) {
            XCTAssertTrue("\($0)".contains("digits"), "\($0)")
        }
    }
}
