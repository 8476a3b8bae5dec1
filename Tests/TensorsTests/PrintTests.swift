import XCTest
import Tensors

final class PrintTests: XCTestCase {
    func testSummaryHeader() {
        let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4.5, -0.25, 6])
        XCTAssertEqual(t.description, "Tensor[2x3] float32\n[[    1,     2,     3],\n [  4.5, -0.25,     6]]")
        XCTAssertTrue(Tensor.zeros([8, 128, 384]).description.hasPrefix("Tensor[8x128x384] float32\n"))
        XCTAssertEqual(Tensor(3.5).description, "Tensor[] float32\n3.5")
        XCTAssertEqual(Tensor.zeros([0, 4]).description, "Tensor[0x4] float32")
    }

    func testEllipsisBeyondSixRowsAndColumns() {
        let t = Tensor(shape: [8, 10], scalars: (0..<80).map(Float.init))
        let lines = t.description.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "Tensor[8x10] float32")
        // Every number is right-aligned to the widest number shown, so columns line up.
        XCTAssertEqual(lines[1], "[[ 0,  1,  2, ...,  7,  8,  9],")
        XCTAssertEqual(lines[3], " [20, 21, 22, ..., 27, 28, 29],")
        XCTAssertEqual(lines[4], " ...,")
        XCTAssertEqual(lines[7], " [70, 71, 72, ..., 77, 78, 79]]")
        XCTAssertEqual(lines.count, 8, "3 rows, an ellipsis, 3 rows, and the header")
        // Exactly 6 is shown in full.
        XCTAssertEqual(Tensor((0..<6).map(Float.init)).formatted(), "[0, 1, 2, 3, 4, 5]")
        XCTAssertEqual(Tensor((0..<7).map(Float.init)).formatted(), "[0, 1, 2, ..., 4, 5, 6]")
    }

    func testNumberFormats() {
        XCTAssertEqual(Tensor([0.12345, -1e-5, 1e9, .infinity, -.infinity, .nan, -0.0]).formatted(limit: 10),
                       "[0.1235, -1e-05,  1e+09,    inf,   -inf,    nan,      0]")
        XCTAssertEqual(Tensor([2.5, 100.25]).formatted(), "[   2.5, 100.25]")
    }

    func testPrintingAViewShowsItsElements() {
        let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]).transposed()
        XCTAssertEqual(t.formatted(), "[[1, 4],\n [2, 5],\n [3, 6]]")
        XCTAssertEqual(Tensor(shape: [2, 2], scalars: [1, -10, 100, 2]).formatted(), "[[  1, -10],\n [100,   2]]")
    }
}
