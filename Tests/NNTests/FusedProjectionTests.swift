import XCTest
import Tensors
import Autodiff
@testable import NN
import Support

/// `FusedProjection` against the separate layers it stands for, and `colocate` against the values
/// it must keep.
final class FusedProjectionTests: XCTestCase {
    static func layers(bias: Bool = true) -> [Linear] {
        var rng = RandomGenerator(seed: 7)
        return [Linear(6, 4, bias: bias, rng: &rng), Linear(6, 3, bias: bias, rng: &rng), Linear(6, 5, bias: bias, rng: &rng)]
    }

    /// x W^T + b of the fused projection, split back into the layers' column ranges.
    static func apply(_ p: FusedProjection, _ x: Tensor) -> [Float] {
        var y = x.matmul(p.weight.transposed(0, 1))
        if let b = p.bias { y = y + b }
        return y.contiguous().toArray()
    }

    func testStackedProductEqualsSeparateLayers() {
        for bias in [true, false] {
            let layers = Self.layers(bias: bias)
            let x = Tensor(shape: [2, 6], scalars: (0..<12).map { Float($0) * 0.25 - 1 })
            let fused = FusedProjection(concatenating: layers)
            XCTAssertEqual(fused.weight.shape, [12, 6])
            XCTAssertEqual(fused.bias == nil, !bias)
            let y = Self.apply(fused, x)
            var column = 0
            for layer in layers {
                let expected = layer(Variable(x)).value.contiguous().toArray()
                for r in 0..<2 {
                    for c in 0..<layer.outFeatures {
                        XCTAssertEqual(y[r * 12 + column + c], expected[r * layer.outFeatures + c], accuracy: 1e-6)
                    }
                }
                column += layer.outFeatures
            }
        }
    }

    func testColocateKeepsValuesAndAvoidsCopies() {
        let layers = Self.layers()
        let before = layers.map { ($0.weight.value.toArray(), $0.bias!.value.toArray()) }
        FusedProjection.colocate(layers)
        for (layer, (w, b)) in zip(layers, before) {
            XCTAssertEqual(layer.weight.value.toArray(), w)
            XCTAssertEqual(layer.bias!.value.toArray(), b)
            XCTAssertEqual(layer.weight.value.shape, [layer.outFeatures, 6])
        }
        let fused = FusedProjection(concatenating: layers)
        XCTAssertTrue(fused.weight.storage === layers[0].weight.value.storage, "colocated weights are read in place")
        XCTAssertTrue(fused.bias!.storage === layers[0].bias!.value.storage)

        // An in-place update of a parameter (as the optimisers do) shows in the projection.
        layers[1].weight.value.withMutablePointer { $0[0] = 42 }
        XCTAssertEqual(FusedProjection(concatenating: layers).weight.toArray()[4 * 6], 42)

        // A replaced parameter is no longer adjacent: the projection copies, with the new values.
        layers[2].weight.value = Tensor(shape: [5, 6], scalars: [Float](repeating: 3, count: 30))
        let copied = FusedProjection(concatenating: layers)
        XCTAssertFalse(copied.weight.storage === layers[0].weight.value.storage)
        XCTAssertEqual(Array(copied.weight.toArray()[(7 * 6)...]), [Float](repeating: 3, count: 30))
        XCTAssertEqual(copied.weight.toArray()[4 * 6], 42)
    }
}
