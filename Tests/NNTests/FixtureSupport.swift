import Foundation
import XCTest
import Tensors

/// Reads the fixtures `scripts/make_nn_fixtures.py` writes (JSON with {"shape", "data"} tensors).
enum Fixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func tensor(_ any: Any?) -> Tensor {
        let d = any as! [String: Any]
        let shape = (d["shape"] as! [NSNumber]).map(\.intValue)
        let data = (d["data"] as! [NSNumber]).map(\.floatValue)
        return Tensor(shape: shape, scalars: data)
    }

    static func tensors(_ any: Any?) -> [String: Tensor] {
        (any as! [String: Any]).mapValues { tensor($0) }
    }
}

/// |a - b| <= atol + rtol * |b| elementwise, with the worst element in the message.
func assertClose(_ a: Tensor, _ b: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6, _ message: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    guard a.shape == b.shape else {
        XCTFail("\(message): shape \(Tensor.describe(a.shape)) vs expected \(Tensor.describe(b.shape))", file: file, line: line)
        return
    }
    let x = a.toArray(), y = b.toArray()
    var worst = -1
    var worstExcess: Float = 0
    for i in 0..<x.count {
        let excess = Swift.abs(x[i] - y[i]) - (atol + rtol * Swift.abs(y[i]))
        if excess > worstExcess || x[i].isNaN != y[i].isNaN { worstExcess = Swift.max(excess, worstExcess); worst = i }
    }
    if worst >= 0 {
        XCTFail("\(message): element \(worst) is \(x[worst]), expected \(y[worst])", file: file, line: line)
    }
}

func assertClose(_ a: Double, _ b: Double, rtol: Double = 1e-5, atol: Double = 1e-7, _ message: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(Swift.abs(a - b), atol + rtol * Swift.abs(b), "\(message): \(a) vs expected \(b)", file: file, line: line)
}
