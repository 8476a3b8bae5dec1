import XCTest
import Tensors
import Autodiff
@testable import NN
import Support

/// `MultiHeadAttention`'s fused path (packed projection + attention primitive) against its
/// composite path: outputs, input and parameter gradients, the same dropout masks drawn.
final class FusedAttentionTests: XCTestCase {
    func run(_ a: MultiHeadAttention, fused: Bool, x: Tensor, r: Tensor, mask: AttentionMask, seed: UInt64)
        -> (out: [Float], input: [Float], params: [String: [Float]]) {
        a.useFusedAttention = fused
        a.dropout.rng = RandomGenerator(seed: seed)
        for (_, p) in a.namedParameters() { p.grad = nil }
        let v = Variable(x, requiresGrad: true)
        let y = a(v, mask: mask)
        (y * Variable(r)).sum().backward()
        var grads: [String: [Float]] = [:]
        for (name, p) in a.namedParameters() { grads[name] = p.grad!.toArray() }
        return (y.value.toArray(), v.grad!.toArray(), grads)
    }

    func assertClose(_ a: [Float], _ e: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, e.count, what, file: file, line: line)
        for (i, (x, y)) in zip(a, e).enumerated() where abs(x - y) > 1e-5 * max(1, abs(y)) {
            XCTFail("\(what): element \(i) is \(x), expected \(y)", file: file, line: line)
            return
        }
    }

    func testFusedPathEqualsCompositePath() throws {
        var rng = RandomGenerator(seed: 11)
        let a = MultiHeadAttention(hiddenSize: 12, heads: 3, attentionDropout: 0.3, initialization: .normal(std: 0.3), rng: &rng)
        let x = Tensor.randn([2, 6, 12], rng: &rng), r = Tensor.randn([2, 6, 12], rng: &rng)
        let padding = Tensor(shape: [2, 6], scalars: [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0])
        let masks: [AttentionMask] = [.none, .causal, AttentionMask(causal: true, padding: padding)]
        // Training (dropout drawn), then eval; with the colocated parameters, then with replaced
        // ones (a loaded state dict), which the fused path stacks per call.
        for replaced in [false, true] {
            if replaced { try a.load(stateDict: a.stateDict()) }
            XCTAssertEqual(replaced, Tensor.adjacentRows([a.query.weight.value, a.key.weight.value, a.value.weight.value]) == nil)
            for training in [true, false] {
                if training { a.train() } else { a.eval() }
                for (k, mask) in masks.enumerated() {
                    let f = run(a, fused: true, x: x, r: r, mask: mask, seed: 5)
                    let c = run(a, fused: false, x: x, r: r, mask: mask, seed: 5)
                    let what = "replaced \(replaced), training \(training), mask \(k)"
                    assertClose(f.out, c.out, "\(what): output")
                    assertClose(f.input, c.input, "\(what): input gradient")
                    for (name, g) in c.params { assertClose(f.params[name]!, g, "\(what): gradient of \(name)") }
                }
            }
        }
        // Dropout really acted: the training output differs from the eval one.
        a.train()
        let trained = run(a, fused: true, x: x, r: r, mask: .none, seed: 5).out
        a.eval()
        XCTAssertNotEqual(trained, run(a, fused: true, x: x, r: r, mask: .none, seed: 5).out)
    }

    func testProjectionsAreColocatedAndUpdatesShowInTheFusedPath() {
        var rng = RandomGenerator(seed: 12)
        let a = MultiHeadAttention(hiddenSize: 8, heads: 2, rng: &rng)
        let stacked = Tensor.adjacentRows([a.query.weight.value, a.key.weight.value, a.value.weight.value])
        XCTAssertNotNil(stacked, "query, key and value weights lie back to back in one buffer")
        let x = Variable(Tensor.randn([1, 3, 8], rng: &rng))
        let before = a(x).value.toArray()
        a.value.weight.value.withMutablePointer { $0[0] += 1 }   // as an optimiser updates in place
        a.useFusedAttention = false
        let composite = a(x).value.toArray()
        a.useFusedAttention = true
        XCTAssertNotEqual(a(x).value.toArray(), before)
        assertClose(a(x).value.toArray(), composite, "after an in-place update")
    }
}
