import Foundation
import XCTest
import Tensors

/// Every op against NumPy outputs written by `scripts/make_tensor_fixtures.py`
/// (`Fixtures/tensor_ops.json`), once with contiguous inputs and once with the same values
/// behind non-contiguous views (permuted, strided, offset), so every kernel's strided path is
/// checked too.
final class FixtureTests: XCTestCase {
    struct Case {
        let name: String
        let op: String
        let args: [String: Any]
        let inputs: [Tensor]
        let expected: [Tensor]
    }

    static let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tensor_ops.json")

    static func loadCases() throws -> [Case] {
        let data = try Data(contentsOf: fixtureURL)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        func tensor(_ json: Any) throws -> Tensor {
            let object = try XCTUnwrap(json as? [String: Any])
            let shape = try XCTUnwrap(object["shape"] as? [Int])
            let values = try XCTUnwrap(object["data"] as? [NSNumber]).map { $0.floatValue }
            return Tensor(shape: shape, scalars: values)
        }
        return try cases.map { c in
            Case(name: try XCTUnwrap(c["name"] as? String), op: try XCTUnwrap(c["op"] as? String),
                 args: c["args"] as? [String: Any] ?? [:],
                 inputs: try XCTUnwrap(c["inputs"] as? [Any]).map(tensor),
                 expected: try XCTUnwrap(c["expected"] as? [Any]).map(tensor))
        }
    }

    /// Runs one fixture op. Unknown ops fail the test (a fixture without a runner is a gap).
    static func run(_ op: String, _ x: [Tensor], _ args: [String: Any]) throws -> [Tensor] {
        func int(_ key: String) -> Int { (args[key] as? NSNumber)!.intValue }
        func float(_ key: String) -> Float { (args[key] as? NSNumber)!.floatValue }
        func optionalFloat(_ key: String) -> Float? { (args[key] as? NSNumber)?.floatValue }
        func bool(_ key: String) -> Bool { (args[key] as? Bool) ?? ((args[key] as? NSNumber)?.boolValue ?? false) }
        func ints(_ key: String) -> [Int]? { (args[key] as? [NSNumber])?.map(\.intValue) }
        let binary: [String: BinaryOp] = [
            "add": .add, "sub": .sub, "mul": .mul, "div": .div, "pow": .pow, "maximum": .maximum,
            "minimum": .minimum, "equal": .equal, "notEqual": .notEqual, "less": .less,
            "lessEqual": .lessEqual, "greater": .greater, "greaterEqual": .greaterEqual,
        ]
        if let b = binary[op] {
            // The operators and `binary` must agree; check the operator form where one exists.
            switch op {
            case "add": return [x[0] + x[1]]
            case "sub": return [x[0] - x[1]]
            case "mul": return [x[0] * x[1]]
            case "div": return [x[0] / x[1]]
            default: return [x[0].binary(b, x[1])]
            }
        }
        switch op {
        case "where": return [Tensor.select(x[0], x[1], x[2])]
        case "exp": return [x[0].exp()]
        case "log": return [x[0].log()]
        case "sqrt": return [x[0].sqrt()]
        case "powScalar": return [x[0].pow(float("exponent"))]
        case "tanh": return [x[0].tanh()]
        case "sigmoid": return [x[0].sigmoid()]
        case "relu": return [x[0].relu()]
        case "leakyRelu": return [x[0].leakyRelu(slope: float("slope"))]
        case "gelu": return [x[0].gelu()]
        case "geluTanh": return [x[0].geluTanh()]
        case "clamp": return [x[0].clamp(min: optionalFloat("min") ?? -.infinity, max: optionalFloat("max") ?? .infinity)]
        case "abs": return [x[0].abs()]
        case "neg": return [-x[0]]
        case "addScalar": return [x[0] + float("value")]
        case "mulScalar": return [x[0] * float("value")]
        case "rsubScalar": return [float("value") - x[0]]
        case "rdivScalar": return [float("value") / x[0]]
        case "sum": return [x[0].sum(axes: ints("axes"), keepDims: bool("keepDims"))]
        case "mean": return [x[0].mean(axes: ints("axes"), keepDims: bool("keepDims"))]
        case "max": return [x[0].max(axes: ints("axes"), keepDims: bool("keepDims"))]
        case "min": return [x[0].min(axes: ints("axes"), keepDims: bool("keepDims"))]
        case "var": return [x[0].variance(axes: ints("axes"), keepDims: bool("keepDims"), unbiased: bool("unbiased"))]
        case "logsumexp": return [x[0].logsumexp(axes: ints("axes"), keepDims: bool("keepDims"))]
        case "argmax": return [x[0].argmax(axis: int("axis"), keepDims: bool("keepDims"))]
        case "matmul":
            let a = bool("transA") ? x[0].transposed() : x[0]
            let b = bool("transB") ? x[1].transposed() : x[1]
            return [a.matmul(b)]
        case "softmax": return [x[0].softmax()]
        case "softmaxAxis": return [x[0].softmax(axis: int("axis"))]
        case "logSoftmax": return [x[0].logSoftmax()]
        case "layerNorm":
            let (y, inv) = x[0].layerNormalized(eps: float("eps"))
            return [y, inv]
        case "rmsNorm":
            let (y, inv) = x[0].rmsNormalized(eps: float("eps"))
            return [y, inv]
        case "gather": return [x[0].gather(axis: int("axis"), index: x[1])]
        case "indexSelect": return [x[0].indexSelect(axis: int("axis"), indices: ints("indices")!)]
        case "oneHot": return [Tensor.oneHot(ints("indices")!, classes: int("classes"))]
        case "concat": return [Tensor.concat(x, axis: int("axis"))]
        case "stack": return [Tensor.stack(x, axis: int("axis"))]
        case "split": return x[0].split(sizes: ints("sizes")!, axis: int("axis"))
        case "slice": return [x[0].sliced(axis: int("axis"), start: int("start"), end: int("end"), step: int("step"))]
        case "reshape": return [x[0].reshaped(ints("shape")!)]
        case "permute": return [x[0].permuted(ints("order")!)]
        case "transpose": return [x[0].transposed(int("a"), int("b"))]
        case "squeeze": return [x[0].squeezed(args["axis"] == nil ? nil : int("axis"))]
        case "unsqueeze": return [x[0].unsqueezed(int("axis"))]
        case "sumToShape": return [x[0].sumToShape(ints("shape")!)]
        case "linspace": return [Tensor.linspace(float("start"), float("end"), count: int("count"))]
        case "arange": return [Tensor.arange(float("start"), float("end"), step: float("step"))]
        case "eye": return [Tensor.eye(int("n"))]
        default:
            XCTFail("no runner for fixture op \(op)")
            return []
        }
    }

    /// Same values as `t`, behind a view that is not contiguous: the data sits in a buffer with
    /// the axes reversed, every element followed by a gap, starting one element in.
    static func nonContiguous(_ t: Tensor) -> Tensor {
        let reverse = Array((0..<t.rank).reversed())
        let padded = Tensor.zeros(reverse.map { t.shape[$0] } + [2])
        padded.selecting(axis: -1, index: 1).assign(t.permuted(reverse))
        let view = padded.selecting(axis: -1, index: 1).permuted(reverse)
        precondition(view.toArray() == t.toArray() && view.shape == t.shape)
        return view
    }

    static func assertClose(_ got: Tensor, _ want: Tensor, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        guard got.shape == want.shape else {
            XCTFail("\(label): shape \(Tensor.describe(got.shape)), expected \(Tensor.describe(want.shape))", file: file, line: line)
            return
        }
        let g = got.toArray(), w = want.toArray()
        var worst: Int?
        var worstExcess: Float = 0
        for i in 0..<w.count {
            let difference = Swift.abs(g[i] - w[i]), tolerance = 1e-5 * Swift.abs(w[i]) + 1e-6
            if difference <= tolerance { continue }
            let excess = difference.isNaN ? Float.infinity : difference - tolerance
            if worst == nil || excess > worstExcess { worst = i; worstExcess = excess }
        }
        if let i = worst {
            XCTFail("\(label): element \(i) is \(g[i]), expected \(w[i])", file: file, line: line)
        }
    }

    func testEveryOpMatchesNumPy() throws {
        let cases = try Self.loadCases()
        XCTAssertGreaterThan(cases.count, 300)
        for c in cases {
            for strided in [false, true] {
                let inputs = strided ? c.inputs.map(Self.nonContiguous) : c.inputs
                let outputs = try Self.run(c.op, inputs, c.args)
                XCTAssertEqual(outputs.count, c.expected.count, "\(c.name): output count")
                for (i, (got, want)) in zip(outputs, c.expected).enumerated() {
                    Self.assertClose(got, want, "\(c.name)\(strided ? " (strided inputs)" : "") output \(i)")
                }
                // The inputs must not have been written to.
                for (given, original) in zip(inputs, c.inputs) {
                    XCTAssertEqual(given.toArray(), original.toArray(), "\(c.name): an input was modified")
                }
            }
        }
    }
}
