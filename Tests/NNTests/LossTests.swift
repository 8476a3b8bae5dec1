import XCTest
import Tensors
import Autodiff
@testable import NN

/// Loss values and gradients against PyTorch (Fixtures/losses.json).
final class LossTests: XCTestCase {
    static let fixture = try! Fixture.json("losses.json")

    func part(_ name: String) -> [String: Any] { Self.fixture[name] as! [String: Any] }
    func ints(_ any: Any?) -> [Int] { (any as! [NSNumber]).map(\.intValue) }
    func number(_ any: Any?) -> Double { (any as! NSNumber).doubleValue }

    func testCrossEntropyWithIgnoreIndexMeansOverKeptTargets() {
        let c = part("ce")
        let logits = Variable(Fixture.tensor(c["logits"]), requiresGrad: true)
        let loss = Loss.crossEntropy(logits: logits, targets: ints(c["targets"]))
        assertClose(Double(loss.value.item), number(c["loss"]), "ce loss")
        loss.backward()
        assertClose(logits.grad!, Fixture.tensor(c["grad"]), "ce grad")
    }

    func testCrossEntropySumReduction() {
        let c = part("ce"), s = part("ce_sum")
        let logits = Variable(Fixture.tensor(c["logits"]), requiresGrad: true)
        let loss = Loss.crossEntropy(logits: logits, targets: ints(c["targets"]), reduction: .sum)
        assertClose(Double(loss.value.item), number(s["loss"]), "ce sum loss")
        loss.backward()
        assertClose(logits.grad!, Fixture.tensor(s["grad"]), "ce sum grad")
    }

    func testCrossEntropyOnThreeDimensionalLogits() {
        let c = part("ce_3d")
        let logits = Variable(Fixture.tensor(c["logits"]), requiresGrad: true)
        let loss = Loss.crossEntropy(logits: logits, targets: ints(c["targets"]))
        assertClose(Double(loss.value.item), number(c["loss"]), "ce 3d loss")
        loss.backward()
        assertClose(logits.grad!, Fixture.tensor(c["grad"]), "ce 3d grad")
    }

    func testCrossEntropyWithSoftTargets() {
        let c = part("ce_soft")
        let logits = Variable(Fixture.tensor(c["logits"]), requiresGrad: true)
        let loss = Loss.crossEntropy(logits: logits, probabilities: Fixture.tensor(c["probabilities"]))
        assertClose(Double(loss.value.item), number(c["loss"]), "soft ce loss")
        loss.backward()
        assertClose(logits.grad!, Fixture.tensor(c["grad"]), "soft ce grad")
    }

    func testCrossEntropyAllIgnoredIsNaNAsTorch() {
        let logits = Variable(Tensor.zeros([2, 3]), requiresGrad: true)
        XCTAssertTrue(Loss.crossEntropy(logits: logits, targets: [-100, -100]).value.item.isNaN)
        XCTAssertEqual(Loss.crossEntropy(logits: logits, targets: [-100, -100], reduction: .sum).value.item, 0)
    }

    func testMSE() {
        let c = part("mse")
        let x = Variable(Fixture.tensor(c["input"]), requiresGrad: true)
        let loss = Loss.mse(x, Variable(Fixture.tensor(c["target"])))
        assertClose(Double(loss.value.item), number(c["loss"]), "mse loss")
        loss.backward()
        assertClose(x.grad!, Fixture.tensor(c["grad"]), "mse grad")
    }

    func testBCEWithLogitsIsStableAndExactAtZero() {
        let c = part("bce")
        let z = Variable(Fixture.tensor(c["logits"]), requiresGrad: true)
        let loss = Loss.bceWithLogits(z, Variable(Fixture.tensor(c["target"])))
        XCTAssertTrue(loss.value.item.isFinite)
        assertClose(Double(loss.value.item), number(c["loss"]), "bce loss")
        loss.backward()
        assertClose(z.grad!, Fixture.tensor(c["grad"]), "bce grad (includes x = 0, +-30)")
    }
}
