import XCTest
import Tensors

/// Shape checks users can trip throw messages that name the shapes involved.
final class ErrorTests: XCTestCase {
    func message(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch { return "\(error)" }
    }

    func testBroadcastShape() throws {
        XCTAssertEqual(try Tensor.broadcastShape([3, 1], [4]), [3, 4])
        XCTAssertEqual(try Tensor.broadcastShape([], [2, 3]), [2, 3])
        XCTAssertEqual(try Tensor.broadcastShape([2, 1, 4], [3, 1]), [2, 3, 4])
        XCTAssertEqual(try Tensor.broadcastShape([0, 1], [1, 5]), [0, 5])
        XCTAssertEqual(message { try Tensor.broadcastShape([3, 4], [5]) }, "cannot broadcast [3x4] with [5]")
        XCTAssertEqual(message { try Tensor.broadcastShape([2, 3], [3, 3]) }, "cannot broadcast [2x3] with [3x3]")
        XCTAssertThrowsError(try Tensor.broadcastShape([2, 3], [3, 3])) { error in
            guard case TensorError.shapeMismatch = error else { return XCTFail("wrong error kind: \(error)") }
        }
    }

    func testMatmulShape() throws {
        XCTAssertEqual(try Tensor.matmulShape([3, 4], [4, 2]), [3, 2])
        XCTAssertEqual(try Tensor.matmulShape([4], [4, 2]), [2])
        XCTAssertEqual(try Tensor.matmulShape([3, 4], [4]), [3])
        XCTAssertEqual(try Tensor.matmulShape([4], [4]), [])
        XCTAssertEqual(try Tensor.matmulShape([2, 1, 3, 4], [5, 4, 6]), [2, 5, 3, 6])
        XCTAssertEqual(try Tensor.matmulShape([4], [2, 4, 5]), [2, 5])
        XCTAssertEqual(try Tensor.matmulShape([2, 3, 4], [4]), [2, 3])
        XCTAssertEqual(message { try Tensor.matmulShape([3, 4], [5, 2]) }, "cannot matmul [3x4] by [5x2]")
        XCTAssertEqual(message { try Tensor.matmulShape([4], [3]) }, "cannot matmul [4] by [3]")
        XCTAssertEqual(message { try Tensor.matmulShape([], [3]) }, "cannot matmul [] by [3]: both need at least one dimension")
        XCTAssertEqual(message { try Tensor.matmulShape([2, 3, 4], [3, 4, 5]) }, "cannot broadcast [2] with [3]")
    }

    func testResolveReshape() throws {
        let t = Tensor.zeros([2, 3, 4])
        XCTAssertEqual(try t.resolveReshape([6, -1]), [6, 4])
        XCTAssertEqual(try t.resolveReshape([-1]), [24])
        XCTAssertEqual(message { try t.resolveReshape([5, -1]) }, "cannot reshape [2x3x4] to [5x-1]")
        XCTAssertEqual(message { try t.resolveReshape([5, 5]) }, "cannot reshape [2x3x4] (24 elements) to [5x5]")
        XCTAssertEqual(message { try t.resolveReshape([-1, -1]) }, "reshape: only one dimension may be -1")
        XCTAssertEqual(message { try t.resolveReshape([-2, -12]) }, "cannot reshape [2x3x4] (24 elements) to [-2x-12]")
    }

    func testFromNested() throws {
        XCTAssertEqual(try Tensor.fromNested([[1, 2], [3, 4]] as [Any]).shape, [2, 2])
        XCTAssertEqual(try Tensor.fromNested([[1.5, 2], [3, 4]] as [Any]).toArray(), [1.5, 2, 3, 4])
        XCTAssertEqual(try Tensor.fromNested(3.0).shape, [])
        XCTAssertEqual(message { try Tensor.fromNested([[1, 2], [3]] as [Any]) }, "ragged nested list: expected 2 elements at depth 1")
        XCTAssertEqual(message { try Tensor.fromNested(["a"] as [Any]) }, "tensor elements must be numbers, got String")
    }
}
