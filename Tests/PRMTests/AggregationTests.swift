import Foundation
import XCTest
import Tensors
import Autodiff
import PRM

final class AggregationTests: XCTestCase {
    struct Fixtures: Decodable {
        struct AUROCCase: Decodable { let scores: [Float]; let labels: [Bool]; let auroc: Double? }
        struct AggCase: Decodable { let probs: [Float]; let values: [String: Float] }
        let auroc: [AUROCCase]
        let aggregation: [AggCase]
    }

    static let fixtures: Fixtures = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/metrics.json")
        return try! JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }()

    func testBuiltinValuesByHand() throws {
        let s: [Float] = [0.9, 0.5, 0.8]
        XCTAssertEqual(aggregate(s, .mean), 2.2 / 3, accuracy: 1e-6)
        XCTAssertEqual(aggregate(s, .min), 0.5)
        XCTAssertEqual(aggregate(s, .max), 0.9)
        XCTAssertEqual(aggregate(s, .logMean), Float((log(0.9) + log(0.5) + log(0.8)) / 3), accuracy: 1e-6)
        XCTAssertEqual(aggregate(s, .prod), 0.36, accuracy: 1e-6)
        XCTAssertEqual(aggregate(s, .last), 0.8)
        XCTAssertEqual(aggregate(s, try Aggregation(name: "log_mean")), aggregate(s, .logMean))
        // A zero score gives a finite log_mean (clamped), an empty list -infinity everywhere.
        XCTAssertEqual(aggregate([0, 1], .logMean), logf(1e-30) / 2, accuracy: 1e-3)
        for a in Aggregation.builtins { XCTAssertEqual(aggregate([], a), -.infinity, a.name) }
    }

    func testValuesAgainstNumpyFixtures() throws {
        for c in Self.fixtures.aggregation {
            for name in Aggregation.builtinNames {
                let a = try Aggregation(name: name)
                let expected = c.values[name]!
                XCTAssertEqual(aggregate(c.probs, a), expected, accuracy: 1e-5 * max(1, abs(expected)), "\(name) of \(c.probs)")
                // The differentiable version gives the same value.
                let v = aggregate(Variable(Tensor(c.probs)), a).value.item
                XCTAssertEqual(v, expected, accuracy: 1e-5 * max(1, abs(expected)), "differentiable \(name) of \(c.probs)")
            }
        }
    }

    func testUnknownNameListsValidOnes() {
        XCTAssertThrowsError(try Aggregation(name: "median")) { e in
            XCTAssertEqual("\(e)", "unknown aggregation function 'median'; valid: mean, min, max, log_mean, prod, last")
            XCTAssertEqual(e as? AggregationError, .unknown("median", valid: Aggregation.builtinNames))
        }
    }

    func testCustomAggregation() {
        let secondLowest = Aggregation.custom(name: "second_lowest", { $0.sorted().dropFirst().first ?? $0[0] })
        XCTAssertEqual(aggregate([0.9, 0.2, 0.4], secondLowest), 0.4)
        XCTAssertEqual(secondLowest.name, "second_lowest")
        XCTAssertFalse(secondLowest.isDifferentiable)
        let square = Aggregation.custom(name: "mean_sq", { s in s.map { $0 * $0 }.reduce(0, +) / Float(s.count) },
                                        probabilities: { ($0 * $0).mean() })
        XCTAssertTrue(square.isDifferentiable)
        let p = Variable(Tensor([0.5, 1.0]), requiresGrad: true)
        let y = aggregate(p, square)
        XCTAssertEqual(y.value.item, 0.625, accuracy: 1e-6)
        XCTAssertEqual(gradients(of: y, wrt: [p])[0].toArray(), [0.5, 1.0])
    }

    /// Gradients of the differentiable aggregations, by hand.
    func testDifferentiableGradients() {
        let values: [Float] = [0.5, 0.8, 0.25]
        func grad(_ a: Aggregation) -> [Float] {
            let p = Variable(Tensor(values), requiresGrad: true)
            return gradients(of: aggregate(p, a), wrt: [p])[0].toArray()
        }
        func close(_ a: [Float], _ b: [Float], _ name: String) {
            XCTAssertEqual(a.count, b.count)
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5, name) }
        }
        close(grad(.mean), [1 / 3, 1 / 3, 1 / 3], "mean")
        close(grad(.min), [0, 0, 1], "min")
        close(grad(.max), [0, 1, 0], "max")
        close(grad(.logMean), values.map { 1 / (3 * $0) }, "log_mean")
        let prod: Float = 0.5 * 0.8 * 0.25
        close(grad(.prod), values.map { prod / $0 }, "prod")
        close(grad(.last), [0, 0, 1], "last")
    }
}
