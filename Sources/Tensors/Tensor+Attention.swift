import CBLAS
import Dispatch

// Multi-head scaled dot-product self-attention as one kernel pair (forward and backward), on the
// packed output of a stacked query/key/value projection. Each (sequence, head) pair runs its
// products through single-threaded `cblas_sgemm` on strided views of the packed buffer, with its
// softmax (and mask, and dropout) applied to the score block while it is still in cache; the pairs
// are split across the cores. Compared with the composite of views, batched matmuls, softmax and
// permutes it replaces, nothing is permuted or copied: q, k and v are read in place (leading
// dimension 3C), the context is written straight into the merged-heads layout [B, T, C], and the
// backward writes dq, dk and dv into one [B, T, 3C] buffer, which is the gradient of the packed
// projection as it stands. Each pair is computed the same way whatever the number of cores, so
// results are the same bits on every run.

extension Tensor {
    /// Self-attention of the packed projections `qkv` [B, T, 3C] (query, key and value as three
    /// column blocks of C = heads x D): for every sequence b and head h,
    /// probs = softmax(scale q k^T + mask), context = dropout(probs) v, with the heads merged
    /// back into a contiguous [B, T, C].
    ///
    /// - `mask`: an additive mask that broadcasts to [B, heads, T, T] (e.g. [1, 1, T, T] causal,
    ///   [B, 1, 1, T] padding), added in the softmax's row pass.
    /// - `dropout`: a [B, heads, T, T] multiplier (0 or 1/(1-p)) applied to the probabilities
    ///   before the product with v, or nil.
    /// - `keepProbabilities`: also return the softmax output [B, heads, T, T] (before dropout),
    ///   which `attentionBackward` needs; otherwise each core reuses one score block.
    public static func attention(packed qkv: Tensor, heads: Int, scale: Float, mask: Tensor?, dropout: Tensor?,
                                 keepProbabilities: Bool) -> (context: Tensor, probabilities: Tensor?) {
        let layout = AttentionLayout(qkv, heads: heads)
        let (b, t, c) = (layout.batch, layout.tokens, layout.width)
        let src = qkv.contiguous()
        let context = Tensor(uninitializedShape: [b, t, c])
        let probabilities = keepProbabilities ? Tensor(uninitializedShape: [b, heads, t, t]) : nil
        let drop = dropout.map { layout.checkedScoreShaped($0, "dropout") }
        let rows = layout.maskRows(mask)
        let pq = src.basePointer, pc = context.storage.pointer, pp = probabilities?.storage.pointer
        let pd = drop?.basePointer
        let block = t * t, ld = Int32(3 * c), n = Int32(t), d = Int32(layout.headWidth)
        layout.forEachPair(scratchBlocks: (keepProbabilities ? 0 : 1) + (drop == nil ? 0 : 1)) { pair, scratch in
            let (s, h) = pair.quotientAndRemainder(dividingBy: heads)
            let q = pq + s * t * 3 * c + h * layout.headWidth, k = q + c, v = q + 2 * c
            let scores = pp.map { $0 + pair * block } ?? scratch
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, scale, q, ld, k, ld, 0, scores, n)
            for i in 0..<t { softmaxRow(scores + i * t, scores + i * t, t, mask: rows?(s, h, i)) }
            var weights = UnsafePointer(scores)
            if let pd {
                let dropped = scratch + (pp == nil ? block : 0), m = pd + pair * block
                for j in 0..<block { dropped[j] = scores[j] * m[j] }
                weights = UnsafePointer(dropped)
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, 1, weights, n, v, ld, 0,
                        pc + s * t * c + h * layout.headWidth, Int32(c))
        }
        withExtendedLifetime((src, drop, mask)) {}
        return (context, probabilities)
    }

    /// The backward of `attention(packed:...)` from the output gradient `g` [B, T, C]: the
    /// gradient of `qkv`, [B, T, 3C] (dq, dk, dv as its three column blocks). `probabilities` is
    /// the softmax output the forward pass kept; `dropout` the same multiplier it applied. Per
    /// pair: dP = g v^T (times the dropout multiplier), dS = P (dP - rowsum(dP P)),
    /// dq = scale dS k, dk = scale dS^T q, dv = dropout(P)^T g.
    public static func attentionBackward(packed qkv: Tensor, heads: Int, scale: Float, probabilities: Tensor, dropout: Tensor?,
                                         outputGradient g: Tensor) -> Tensor {
        let layout = AttentionLayout(qkv, heads: heads)
        let (b, t, c) = (layout.batch, layout.tokens, layout.width)
        precondition(g.shape == [b, t, c], "attentionBackward: gradient \(describe(g.shape)) for a context of \(describe([b, t, c]))")
        let p = layout.checkedScoreShaped(probabilities, "probabilities")
        let drop = dropout.map { layout.checkedScoreShaped($0, "dropout") }
        let src = qkv.contiguous(), gs = g.contiguous()
        let out = Tensor(uninitializedShape: [b, t, 3 * c])
        let pq = src.basePointer, pg = gs.basePointer, po = out.storage.pointer, pp = p.basePointer, pd = drop?.basePointer
        let block = t * t, ld = Int32(3 * c), n = Int32(t), d = Int32(layout.headWidth)
        layout.forEachPair(scratchBlocks: drop == nil ? 1 : 2) { pair, scratch in
            let (s, h) = pair.quotientAndRemainder(dividingBy: heads)
            let offset = s * t * 3 * c + h * layout.headWidth
            let q = pq + offset, k = q + c, v = q + 2 * c
            let gc = pg + s * t * c + h * layout.headWidth
            let y = pp + pair * block, ds = scratch
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, 1, gc, Int32(c), v, ld, 0, ds, n)
            var weights = UnsafePointer(y)
            if let pd {
                let m = pd + pair * block, dropped = scratch + block
                for j in 0..<block { ds[j] *= m[j] }
                for j in 0..<block { dropped[j] = y[j] * m[j] }
                weights = UnsafePointer(dropped)
            }
            for i in 0..<t {
                let yr = y + i * t, dr = ds + i * t
                let dot = Float(Tensor.dotRun(dr, yr, t))
                for j in 0..<t { dr[j] = yr[j] * (dr[j] - dot) }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, scale, ds, n, k, ld, 0, po + offset, ld)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d, n, scale, ds, n, q, ld, 0, po + offset + c, ld)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d, n, 1, weights, n, gc, Int32(c), 0, po + offset + 2 * c, ld)
        }
        withExtendedLifetime((src, gs, p, drop)) {}
        return out
    }
}

/// The shapes of a packed attention call, checked once, and the per-pair work split.
struct AttentionLayout {
    let batch: Int, tokens: Int, heads: Int
    /// C, the model width (one of the three column blocks of the packed buffer).
    let width: Int
    /// D = C / heads.
    let headWidth: Int

    init(_ qkv: Tensor, heads: Int) {
        precondition(qkv.rank == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0,
                     "attention: packed projections \(Tensor.describe(qkv.shape)) are not [batch, tokens, 3 x \(heads) heads x head width]")
        batch = qkv.shape[0]
        tokens = qkv.shape[1]
        self.heads = heads
        width = qkv.shape[2] / 3
        headWidth = width / heads
    }

    /// `t` as a contiguous [B, heads, T, T] tensor (a multiplier or the kept probabilities).
    func checkedScoreShaped(_ t: Tensor, _ what: String) -> Tensor {
        precondition(t.shape == [batch, heads, tokens, tokens],
                     "attention: \(what) \(Tensor.describe(t.shape)), expected \(Tensor.describe([batch, heads, tokens, tokens]))")
        return t.contiguous()
    }

    /// A function giving the mask row added to the scores of (sequence, head, query), read through
    /// the mask's broadcast strides (a mask whose last axis is not unit-stride is copied first).
    func maskRows(_ mask: Tensor?) -> ((Int, Int, Int) -> UnsafePointer<Float>)? {
        guard let mask else { return nil }
        var m = mask.expanded(to: [batch, heads, tokens, tokens])
        if m.strides[3] != 1 && tokens > 1 { m = m.contiguous() }
        let base = UnsafePointer(m.storage.pointer + m.offset), st = m.strides
        // The view keeps the storage alive for as long as the closure (the kernel call) lives.
        return { s, h, i in withExtendedLifetime(m) { base + s * st[0] + h * st[1] + i * st[2] } }
    }

    /// Runs `body(pair, scratch)` for every (sequence, head) pair, pair = sequence x heads + head,
    /// split into one contiguous range per core with BLAS single-threaded meanwhile (the products
    /// are small: waking BLAS's threads per product costs more than it gains). `scratch` holds
    /// `scratchBlocks` score blocks of T x T floats, private to the calling core.
    func forEachPair(scratchBlocks: Int, _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let pairs = batch * heads
        if pairs == 0 || tokens == 0 { return }
        let workers = Swift.min(Parallel.workers, pairs)
        // Single-threaded BLAS even on one worker, so the products are the same calls (and bits)
        // whatever the split.
        let blasThreads = openblas_get_num_threads()
        let single = blasThreads > 1
        if single { openblas_set_num_threads(1) }
        defer { if single { openblas_set_num_threads(blasThreads) } }
        let per = (pairs + workers - 1) / workers
        let size = Swift.max(scratchBlocks * tokens * tokens, 1)
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: size)
                defer { scratch.deallocate() }
                for pair in (w * per)..<Swift.min(pairs, (w + 1) * per) { body(pair, scratch) }
            }
        }
    }
}
