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

    /// A freed large buffer stays mapped and is handed to the next allocation of its size (no
    /// new mapping, so no page faults); a size it does not fit unmaps it first; the kept total
    /// stays within the budget. The reused buffer is uninitialised storage like any other:
    /// `Tensor.full` writes every element.
    func testFreedLargeBuffersAreReusedWithinTheBudget() {
        RetainedBuffers.releaseAll()
        defer { RetainedBuffers.releaseAll() }
        let count = TensorStorage.hugePageMinimumBytes / 4 + 3
        let rounded = (count * 4 + TensorStorage.hugePageBytes - 1) / TensorStorage.hugePageBytes * TensorStorage.hugePageBytes
        var first: UnsafeMutablePointer<Float>?
        do {
            let t = Tensor.full([count], 1)
            first = t.storage.pointer
        }
        XCTAssertEqual(RetainedBuffers.keptBytes, rounded, "freed, kept mapped")
        do {
            let t = Tensor.full([count - 2], 3)
            XCTAssertEqual(t.storage.pointer, first, "same size class: the kept mapping again")
            XCTAssertEqual(RetainedBuffers.keptBytes, 0)
            XCTAssertEqual(t.storage.pointer[count - 3], 3)
            XCTAssertEqual(t.storage.pointer[0], 3)
        }
        XCTAssertEqual(RetainedBuffers.keptBytes, rounded)
        do {
            // Twice the size: no kept buffer fits, so the kept one is unmapped before mapping.
            let t = Tensor.full([2 * count], 2)
            XCTAssertEqual(RetainedBuffers.keptBytes, 0, "a miss unmaps what was kept")
            XCTAssertEqual(t.storage.pointer[2 * count - 1], 2)
        }
        XCTAssertGreaterThan(RetainedBuffers.keptBytes, rounded)
        // Eight buffers of 128 MB+ freed together: only what fits in the budget stays.
        do { _ = (0..<8).map { _ in Tensor(uninitializedShape: [count]) } }
        XCTAssertLessThanOrEqual(RetainedBuffers.keptBytes, RetainedBuffers.budgetBytes)
        XCTAssertGreaterThan(RetainedBuffers.keptBytes, RetainedBuffers.budgetBytes - 2 * rounded)
        RetainedBuffers.releaseAll()
        XCTAssertEqual(RetainedBuffers.keptBytes, 0)
    }
}
