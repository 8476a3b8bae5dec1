import XCTest
@testable import Plotting

/// Expected counts come from NumPy 2.4: `numpy.histogram(values, bins=..., range=...)`.
final class HistogramTests: XCTestCase {
    func testEqualBinsMatchNumPy() throws {
        // np.histogram([1, 2, 2, 3, 3, 3, 4, 10], bins=3)
        //   -> counts [6, 1, 1], edges [1, 4, 7, 10] (4 opens the second bin)
        let h = try Histogram([1, 2, 2, 3, 3, 3, 4, 10], bins: 3)
        XCTAssertEqual(h.counts, [6, 1, 1])
        XCTAssertEqual(h.edges, [1, 4, 7, 10])
    }

    func testLastBinIsClosedOthersHalfOpen() throws {
        // np.histogram([0, 0.25, 0.5, 0.75, 1], bins=4) -> [1, 1, 1, 2]
        let h = try Histogram([0, 0.25, 0.5, 0.75, 1], bins: 4)
        XCTAssertEqual(h.counts, [1, 1, 1, 2])
        XCTAssertEqual(h.edges, [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(h.centers, [0.125, 0.375, 0.625, 0.875])
        XCTAssertEqual(h.widths, [0.25, 0.25, 0.25, 0.25])
    }

    func testEdgesAreLinspaceAndOneUlpCasesAgree() throws {
        // Values on edges that are not exact in binary: np.histogram([0.1, 0.2, 0.3, 0.4, 0.5,
        // 0.6, 0.7], bins=6) -> counts [1, 1, 1, 1, 1, 2],
        // edges [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
        let h = try Histogram([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], bins: 6)
        XCTAssertEqual(h.counts, [1, 1, 1, 1, 1, 2])
        XCTAssertEqual(h.edges, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
        // v = [0.1 * i for i in range(31)]; np.histogram(v, bins=10)[0] -> [3] * 9 + [4]
        let v = (0..<31).map { 0.1 * Double($0) }
        XCTAssertEqual(try Histogram(v, bins: 10).counts, [3, 3, 3, 3, 3, 3, 3, 3, 3, 4])
    }

    func testRangeDropsOutsideValues() throws {
        // np.histogram([-5, 0, 0.5, 1, 2, 7], bins=2, range=(0, 2)) -> [2, 2], edges [0, 1, 2]
        let h = try Histogram([-5, 0, 0.5, 1, 2, 7], bins: 2, range: 0...2)
        XCTAssertEqual(h.counts, [2, 2])
        XCTAssertEqual(h.edges, [0, 1, 2])
    }

    func testSingleValueWidensRange() throws {
        // np.histogram([3, 3, 3], bins=2) -> counts [0, 3], edges [2.5, 3, 3.5]
        let h = try Histogram([3, 3, 3], bins: 2)
        XCTAssertEqual(h.counts, [0, 3])
        XCTAssertEqual(h.edges, [2.5, 3, 3.5])
    }

    func testEmptyUsesUnitRange() throws {
        // np.histogram([], bins=2) -> counts [0, 0], edges [0, 0.5, 1]
        let h = try Histogram([], bins: 2)
        XCTAssertEqual(h.counts, [0, 0])
        XCTAssertEqual(h.edges, [0, 0.5, 1])
    }

    func testExplicitEdges() throws {
        // np.histogram([0, 1, 1.5, 2, 5, 9, 10, 11], bins=[0, 1, 2, 10]) -> [1, 2, 4]
        let h = try Histogram([0, 1, 1.5, 2, 5, 9, 10, 11], edges: [0, 1, 2, 10])
        XCTAssertEqual(h.counts, [1, 2, 4])
    }

    func testAgainstNumPyOnPseudoRandomData() throws {
        // values = [(i * 37 % 101) / 7.3 - 4 for i in range(500)]
        // np.histogram(values, bins=13)[0]
        let values = (0..<500).map { Double($0 * 37 % 101) / 7.3 - 4 }
        let h = try Histogram(values, bins: 13)
        XCTAssertEqual(h.counts, [40, 40, 39, 34, 40, 40, 35, 39, 39, 35, 40, 39, 40])
        XCTAssertEqual(h.counts.reduce(0, +), 500)
    }

    func testNonFiniteWithoutRangeIsAnError() {
        XCTAssertThrowsError(try Histogram([1, .nan, 2], bins: 3)) { error in
            XCTAssertTrue("\(error)".contains("value 1 is nan"), "\(error)")
        }
        XCTAssertThrowsError(try Histogram([1, 2], bins: 0))
        XCTAssertThrowsError(try Histogram([1, 2], edges: [0, 2, 1]))
    }

    func testHistBuilderAddsBars() throws {
        var figure = Figure()
        let h = try figure.hist([1, 2, 2, 3], bins: 2, label: "w")
        XCTAssertEqual(figure.series.count, 1)
        let bars = figure.series[0]
        XCTAssertEqual(bars.kind, .bars)
        XCTAssertEqual(bars.x, h.centers)
        XCTAssertEqual(bars.y, [1, 3])
        XCTAssertEqual(bars.widths, [1, 1])
        XCTAssertEqual(bars.label, "w")
    }
}
