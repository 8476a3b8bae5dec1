import XCTest
@testable import Tensors

/// Buffers past the mmap threshold are 2 MB aligned (for transparent huge pages) and freed with
/// `free`; smaller ones use the ordinary allocation. Both hold and return what is written.
final class TensorStorageTests: XCTestCase {
    func testLargeBuffersAreHugePageAlignedAndWork() {
        let count = TensorStorage.hugePageMinimumBytes / 4 + 3   // just past the threshold
        for round in 0..<2 {   // freed and allocated again
            let t = Tensor.full([count], 0.5)
            XCTAssertEqual(Int(bitPattern: t.storage.pointer) % TensorStorage.hugePageBytes, 0, "2 MB aligned")
            t.storage.pointer[count - 1] = Float(round)
            XCTAssertEqual(t.storage.pointer[0], 0.5)
            XCTAssertEqual(t.storage.pointer[count - 1], Float(round))
            XCTAssertEqual(Double(t.sum().item), 0.5 * Double(count - 1) + Double(round), accuracy: 16)
        }
        let small = Tensor.full([1000], 2)
        XCTAssertEqual(small.sum().item, 2000)
    }
}
