import XCTest
import Tensors
@testable import Autodiff
import Support

/// The fused attention primitive against the composite it replaces (views, batched matmuls,
/// softmax with the mask, the dropout product, the merge of the heads), values and gradients, and
/// its independence of the number of cores.
final class AttentionTests: XCTestCase {
    let (b, t, heads, d) = (2, 5, 3, 4)
    var c: Int { heads * d }

    /// The composite on the packed [B, T, 3C] input, as `MultiHeadAttention`'s unfused path.
    func composite(_ qkv: Variable, scale: Float, mask: Tensor?, dropout: Tensor?) -> Variable {
        func head(_ block: Int) -> Variable {
            qkv.sliced(axis: 2, start: block * c, end: (block + 1) * c).reshaped([b, t, heads, d]).permuted([0, 2, 1, 3])
        }
        let scores = (head(0) * scale).matmul(head(1).transposed())
        var probs = mask.map { scores.softmax(addingMask: $0) } ?? scores.softmax()
        if let dropout { probs = probs * Variable(dropout) }
        return probs.matmul(head(2)).permuted([0, 2, 1, 3]).reshaped([b, t, c])
    }

    func inputs(seed: UInt64) -> (qkv: Tensor, mask: Tensor, dropout: Tensor, r: Tensor) {
        var rng = RandomGenerator(seed: seed)
        let qkv = Tensor.randn([b, t, 3 * c], rng: &rng)
        // Padding of the last two keys of the second sequence plus a causal part, as [B, 1, T, T].
        let mask = Tensor(shape: [b, 1, t, t], scalars: (0..<(b * t * t)).map { i in
            let (s, q, k) = (i / (t * t), (i / t) % t, i % t)
            return k > q || (s == 1 && k >= t - 2) ? -1e9 : 0
        })
        let dropout = Tensor(shape: [b, heads, t, t], scalars: (0..<(b * heads * t * t)).map { _ in rng.uniform() < 0.8 ? 1.25 : 0 })
        return (qkv, mask, dropout, Tensor.randn([b, t, c], rng: &rng))
    }

    func testEqualsTheCompositeWithMaskAndDropout() {
        let x = inputs(seed: 3)
        for (mask, dropout) in [(nil, nil), (x.mask, nil), (x.mask, x.dropout), (nil, x.dropout)] as [(Tensor?, Tensor?)] {
            let a = Variable(x.qkv, requiresGrad: true), e = Variable(x.qkv, requiresGrad: true)
            let fused = a.attention(heads: heads, scale: 0.5, mask: mask, dropout: dropout)
            let reference = composite(e, scale: 0.5, mask: mask, dropout: dropout)
            XCTAssertEqual(fused.shape, [b, t, c])
            assertClose(fused.value, reference.value, "context, mask \(mask != nil), dropout \(dropout != nil)")
            (fused * Variable(x.r)).sum().backward()
            (reference * Variable(x.r)).sum().backward()
            assertClose(a.grad!, e.grad!, "gradient, mask \(mask != nil), dropout \(dropout != nil)")
            // Without recording, the same context (and no probabilities kept).
            let inference = noGrad { Variable(x.qkv).attention(heads: heads, scale: 0.5, mask: mask, dropout: dropout) }
            XCTAssertEqual(inference.value.toArray(), fused.value.toArray())
        }
    }

    func testSameBitsOnOneAndTwoCores() {
        let x = inputs(seed: 4)
        let saved = Parallel.workers
        defer { Parallel.workers = saved }
        var results: [[Float]] = []
        for workers in [1, 2] {
            Parallel.workers = workers
            let a = Variable(x.qkv, requiresGrad: true)
            let y = a.attention(heads: heads, scale: 0.5, mask: x.mask, dropout: x.dropout)
            (y * Variable(x.r)).sum().backward()
            results.append(y.value.toArray() + a.grad!.toArray())
        }
        // Exact: each (sequence, head) pair is computed by the same single-threaded calls whatever
        // the split of the pairs across the cores.
        XCTAssertEqual(results[0], results[1])
    }

    func testFullyMaskedRowIsUniformNotNaN() {
        let x = inputs(seed: 5)
        let mask = Tensor.full([1, 1, t, t], -1e9)
        let y = Variable(x.qkv).attention(heads: heads, scale: 1, mask: mask, dropout: nil)
        XCTAssertTrue(y.value.toArray().allSatisfy(\.isFinite))
        assertClose(y.value, composite(Variable(x.qkv), scale: 1, mask: mask, dropout: nil).value, "fully masked")
    }

    func assertClose(_ a: Tensor, _ e: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, e.shape, what, file: file, line: line)
        for (i, (x, y)) in zip(a.toArray(), e.toArray()).enumerated() where abs(x - y) > 1e-5 * max(1, abs(y)) {
            XCTFail("\(what): element \(i) is \(x), expected \(y)", file: file, line: line)
            return
        }
    }
}
