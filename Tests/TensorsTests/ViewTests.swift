import XCTest
import Tensors
import Support

/// Views share storage with their source: transposing, slicing, permuting, selecting, expanding
/// and reshaping a contiguous tensor copy nothing; `contiguous()` copies only when it must.
final class ViewTests: XCTestCase {
    let base = Tensor(shape: [3, 4], scalars: (0..<12).map(Float.init))

    func testViewsShareStorage() {
        let views: [(String, Tensor)] = [
            ("transposed", base.transposed()),
            ("permuted", base.permuted([1, 0])),
            ("sliced", base.sliced(axis: 1, start: 1, end: 3)),
            ("strided slice", base.sliced(axis: 0, start: 0, end: 3, step: 2)),
            ("selecting", base.selecting(axis: 1, index: 2)),
            ("expanded", base.unsqueezed(0).expanded(to: [5, 3, 4])),
            ("reshaped", base.reshaped([2, 6])),
            ("unsqueezed", base.unsqueezed(1)),
            ("squeezed", base.unsqueezed(0).squeezed()),
            ("split", base.split(sizes: [1, 3], axis: 1)[1]),
        ]
        for (name, view) in views {
            XCTAssertTrue(view.storage === base.storage, "\(name) copied its source")
        }
    }

    func testWritesThroughStorageShowInViews() {
        let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let column = t.transposed().selecting(axis: 0, index: 1)
        XCTAssertEqual(column.toArray(), [2, 5])
        t.storage.pointer[4] = 50
        XCTAssertEqual(column.toArray(), [2, 50], "a view reads its source's storage")
    }

    func testSliceOffsetsAndStrides() {
        let s = base.sliced(axis: 1, start: 1, end: 4, step: 2)
        XCTAssertEqual(s.shape, [3, 2])
        XCTAssertEqual(s.strides, [4, 2])
        XCTAssertEqual(s.offset, 1)
        XCTAssertEqual(s.toArray(), [1, 3, 5, 7, 9, 11])
        XCTAssertFalse(s.isContiguous)
        let rows = base.sliced(axis: 0, start: 1, end: 3)
        XCTAssertTrue(rows.isContiguous, "a row block is contiguous and needs no copy")
        XCTAssertTrue(rows.contiguous().storage === base.storage)
        XCTAssertEqual(rows.reshaped([8]).toArray(), Array(4..<12).map(Float.init))
        XCTAssertTrue(rows.reshaped([8]).storage === base.storage, "reshaping a contiguous view is a view")
    }

    func testContiguousCopiesOnlyWhenNeeded() {
        XCTAssertTrue(base.contiguous().storage === base.storage)
        let t = base.transposed()
        XCTAssertFalse(t.isContiguous)
        let c = t.contiguous()
        XCTAssertFalse(c.storage === base.storage)
        XCTAssertTrue(c.isContiguous)
        XCTAssertEqual(c.toArray(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        XCTAssertFalse(base.copy().storage === base.storage, "copy() never shares")
    }

    func testPermutedAttentionLayoutCopy() {
        // [B, T, H, D] -> [B, H, T, D], the attention head split.
        let (b, t, h, d) = (2, 5, 3, 4)
        let x = Tensor(shape: [b, t, h, d], scalars: (0..<(b * t * h * d)).map(Float.init))
        let y = x.permuted([0, 2, 1, 3]).contiguous()
        XCTAssertEqual(y.shape, [b, h, t, d])
        for bi in 0..<b { for hi in 0..<h { for ti in 0..<t { for di in 0..<d {
            XCTAssertEqual(y[element: bi, hi, ti, di], x[element: bi, ti, hi, di])
        } } } }
    }

    func testTransposedCopiesOfEveryRank() {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randn([2, 3, 40, 37], rng: &rng)
        for order in [[0, 1, 3, 2], [0, 3, 2, 1], [3, 1, 0, 2], [2, 0, 3, 1]] {
            let y = x.permuted(order)
            let c = y.contiguous()
            XCTAssertTrue(c.isContiguous)
            var expected = [Float]()
            for a in 0..<y.shape[0] { for b in 0..<y.shape[1] { for cc in 0..<y.shape[2] { for d in 0..<y.shape[3] {
                expected.append(y[element: a, b, cc, d])
            } } } }
            XCTAssertEqual(c.toArray(), expected, "permutation \(order)")
        }
        let big = Tensor.randn([300, 257], rng: &rng)
        let t = big.transposed().contiguous()
        for (i, j) in [(0, 0), (256, 299), (100, 7), (31, 32)] { XCTAssertEqual(t[element: i, j], big[element: j, i]) }
    }

    func testMatmulReadsTransposedOperandsInPlace() {
        // The result must be right for transposed and sliced operands; that no copy is made is
        // visible in speed (scripts/bench), not here.
        let a = Tensor(shape: [4, 3], scalars: (0..<12).map { Float($0) * 0.5 - 2 })
        let b = Tensor(shape: [5, 4], scalars: (0..<20).map { Float($0 % 7) - 3 })
        let got = a.transposed().matmul(b.transposed())
        let want = a.transposed().contiguous().matmul(b.transposed().contiguous())
        // Exact although the layouts differ: small multiples of 0.5, so every product and partial
        // sum is exact in float32 in whatever order BLAS adds them.
        XCTAssertEqual(got.toArray(), want.toArray())
    }

    func testMatmulOnStridedBatchViews() {
        // Per-head products on views of a [B, T, H*D] projection, as attention does them.
        let (bsz, t, h, d) = (2, 3, 2, 4)
        let qkv = Tensor(shape: [bsz, t, 3 * h * d], scalars: (0..<(bsz * t * 3 * h * d)).map { Float(($0 * 37) % 11) - 5 })
        let q = qkv.sliced(axis: 2, start: 0, end: h * d).reshaped([bsz, t, h, d]).permuted([0, 2, 1, 3])
        let k = qkv.sliced(axis: 2, start: h * d, end: 2 * h * d).reshaped([bsz, t, h, d]).permuted([0, 2, 1, 3])
        let scores = q.matmul(k.transposed())
        XCTAssertEqual(scores.shape, [bsz, h, t, t])
        for bi in 0..<bsz { for hi in 0..<h { for i in 0..<t { for j in 0..<t {
            var s: Float = 0
            for e in 0..<d { s += q[element: bi, hi, i, e] * k[element: bi, hi, j, e] }
            XCTAssertEqual(scores[element: bi, hi, i, j], s)  // exact: small integers, any summation order
        } } } }
    }

    func testMatmulOnBroadcastOperands() {
        // Stride-0 operands (an expanded row or column) are not valid BLAS layouts: copied, not misread.
        let row = Tensor([1, 2, 3]).unsqueezed(0).expanded(to: [4, 3])
        let m = Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1])
        XCTAssertEqual(row.matmul(m).toArray(), [4, 5, 4, 5, 4, 5, 4, 5])
        let column = Tensor([1, 2, 3]).unsqueezed(1).expanded(to: [3, 2])
        XCTAssertEqual(Tensor.ones([2, 3]).matmul(column).toArray(), [6, 6, 6, 6])
        XCTAssertEqual(m.transposed().matmul(column).toArray(), [4, 4, 5, 5])
    }

    func testAssignWritesIntoAView() {
        let t = Tensor.zeros([3, 4])
        t.sliced(axis: 1, start: 1, end: 3).assign(Tensor([7, 8]))
        XCTAssertEqual(t.toArray(), [0, 7, 8, 0, 0, 7, 8, 0, 0, 7, 8, 0])
    }

    func testEmptyTensors() {
        let e = Tensor(shape: [0, 3], scalars: [])
        XCTAssertEqual(e.toArray(), [])
        XCTAssertEqual((e + Tensor([1, 2, 3])).shape, [0, 3])
        XCTAssertEqual(e.sum(axes: [0]).toArray(), [0, 0, 0])
        XCTAssertEqual(e.exp().shape, [0, 3])
        XCTAssertEqual(Tensor.zeros([2, 0]).matmul(Tensor.zeros([0, 3])).toArray(), [0, 0, 0, 0, 0, 0])
    }
}

final class IndexTests: XCTestCase {
    func testScatterAddIsTheAdjointOfGather() {
        var rng = RandomGenerator(seed: 11)
        let x = Tensor.randn([3, 4, 5], rng: &rng)
        let index = Tensor.randint([2, 3, 4], low: 0, high: 3, rng: &rng)
        let g = Tensor.randn([2, 3, 4], rng: &rng)
        // <gather(x), g> == <x, scatterAdd(g)>
        let lhs = (x.gather(axis: 0, index: index) * g).sum().item
        let rhs = (x * Tensor.scatterAdd(shape: [3, 4, 5], axis: 0, index: index, source: g)).sum().item
        XCTAssertEqual(lhs, rhs, accuracy: 1e-4)
        let index2 = Tensor.randint([3, 2, 2], low: 0, high: 4, rng: &rng)
        let g2 = Tensor.randn([3, 2, 2], rng: &rng)
        XCTAssertEqual((x.gather(axis: 1, index: index2) * g2).sum().item,
                       (x * Tensor.scatterAdd(shape: [3, 4, 5], axis: 1, index: index2, source: g2)).sum().item, accuracy: 1e-4)
    }

    func testIndexAddAccumulatesRepeats() {
        let g = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Tensor.indexAdd(shape: [4, 2], axis: 0, indices: [1, 3, 1], source: g).toArray(), [0, 0, 6, 8, 0, 0, 3, 4])
    }

    func testOneHot() {
        XCTAssertEqual(Tensor.oneHot([2, 0], classes: 3).toArray(), [0, 0, 1, 1, 0, 0])
    }
}
