import Dispatch
import CBLAS
import Tensors
import Autodiff

/// The fused inference path of `BertModel`: the same arithmetic as the module path
/// (embeddings + LN, then per block q/k/v, attention, output + residual + LN, GELU FFN + residual
/// + LN), on flat [tokens, features] buffers reused across layers, with no graph.
///
/// - Every Linear is one `cblas_sgemm` on the weight as stored ([out, in], a transpose flag),
///   accumulating (beta = 1) onto a buffer pre-filled with the bias, or with bias + residual for
///   the two output projections, so a residual add costs no extra pass.
/// - Query, key and value are one product with the stacked [3H, H] weight (`FusedProjection`)
///   into one [tokens, 3H] buffer.
/// - The 1/sqrt(d) scale is the alpha of the score product.
/// - Attention runs per (sequence, head) on strided views of the q/k/v buffer (lda = 3 * hidden),
///   scores and probs·v through sgemm, the softmax fused with the padding mask. The pairs are
///   split across both cores with BLAS single-threaded meanwhile (these products are small).
///   With a right-padded mask (1...1 0...0), padding keys are skipped outright, which is exact:
///   their softmax weights are exp(-1e9 - max) = 0 in Float.
/// - GELU (erf) and the softmax exp are vectorised (`BertKernels`).
/// - Work split: a batch of two or more sequences is cut into two halves of whole sequences, and
///   each core runs the entire encoder on its half with single-threaded BLAS. Every op is
///   row-wise or per sequence, so the halves never wait for each other, and each core's
///   activations stay in its own cache between ops (no fork/join per op, no spinning BLAS
///   threads). One sequence alone runs with both cores inside each op instead.
extension BertModel {
    func inference(ids: [Int], batch: Int, length: Int, attentionMask: [Int]?, typeIDs: [Int]?) -> Tensor {
        let h = config.hiddenSize
        let out = Tensor(uninitializedShape: [batch, length, h])
        if batch * length == 0 { return out }
        // Built once per pass, shared by both workers (no copy while the parameters stay colocated).
        let projections = encoder.layers.map { FusedProjection(concatenating: [$0.attention.attention.query, $0.attention.attention.key,
                                                                              $0.attention.attention.value]) }
        let workers = Swift.min(Parallel.workers, batch)
        if workers <= 1 {
            encode(ids: ids[...], batch: batch, length: length, attentionMask: attentionMask?[...], typeIDs: typeIDs?[...],
                   projections: projections, into: out.storage.pointer, parallel: true)
            return out
        }
        let savedThreads = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(savedThreads) }
        let per = (batch + workers - 1) / workers
        let base = out.storage.pointer
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let first = w * per, last = Swift.min(batch, first + per)
            guard first < last else { return }
            let rows = (first * length)..<(last * length)
            encode(ids: ids[rows], batch: last - first, length: length, attentionMask: attentionMask?[rows],
                   typeIDs: typeIDs?[rows], projections: projections, into: base + first * length * h, parallel: false)
        }
        return out
    }

    /// The encoder on `batch` sequences (slices indexed from their own start index), written to `x`
    /// ([batch * length, hidden]); `projections` are the blocks' stacked q/k/v projections.
    /// `parallel`: split each op across the cores.
    private func encode(ids: ArraySlice<Int>, batch: Int, length: Int, attentionMask: ArraySlice<Int>?, typeIDs: ArraySlice<Int>?,
                        projections: [FusedProjection], into x: UnsafeMutablePointer<Float>, parallel: Bool) {
        let c = config
        let h = c.hiddenSize, inner = c.intermediateSize, heads = c.numAttentionHeads, d = h / heads
        let n = batch * length
        let ids = Array(ids), attentionMask = attentionMask.map(Array.init), typeIDs = typeIDs.map(Array.init)

        // Embeddings, then LayerNorm.
        let word = embeddings.wordEmbeddings.weight.value.contiguous()
        let pos = embeddings.positionEmbeddings.weight.value.contiguous()
        let type = embeddings.tokenTypeEmbeddings.weight.value.contiguous()
        let wp = word.basePointer, pp = pos.basePointer, tp = type.basePointer
        for r in 0..<n {
            let row = x + r * h
            let w = wp + ids[r] * h, p = pp + (r % length) * h, t = tp + (typeIDs?[r] ?? 0) * h
            for i in 0..<h { row[i] = w[i] + p[i] + t[i] }
        }
        withParameters([embeddings.layerNorm.weight.value, embeddings.layerNorm.bias.value]) { ps in
            BertKernels.layerNorm(x, rows: n, n: h, weight: ps[0], bias: ps[1], eps: c.layerNormEps, parallel: parallel)
        }

        // Keys each sequence attends to: a prefix length when the mask is right padding,
        // else an additive mask row per sequence.
        var keyCounts = [Int](repeating: length, count: batch)
        var additive: [Float]? = nil
        if let m = attentionMask {
            var prefixOnly = true
            for b in 0..<batch {
                let row = m[(b * length)..<((b + 1) * length)]
                let real = row.firstIndex(of: 0).map { $0 - b * length } ?? length
                if row.dropFirst(real).contains(where: { $0 != 0 }) { prefixOnly = false }
                keyCounts[b] = real
            }
            if !prefixOnly {
                keyCounts = [Int](repeating: length, count: batch)
                additive = m.map { $0 == 0 ? AttentionMask.maskValue : 0 }
            }
        }

        // q | k | v side by side in one buffer: row r holds q_r, k_r, v_r (leading dimension 3h).
        let qkv = Tensor(uninitializedShape: [n, 3 * h])
        let ctx = Tensor(uninitializedShape: [n, h]), a = Tensor(uninitializedShape: [n, h])
        let mid = Tensor(uninitializedShape: [n, inner])
        let qkvp = qkv.storage.pointer
        let cp = ctx.storage.pointer, ap = a.storage.pointer, mp = mid.storage.pointer

        for (index, block) in encoder.layers.enumerated() {
            let projection = projections[index]
            BertModel.linear(x, rows: n, inFeatures: h, weight: projection.weight.basePointer, bias: projection.bias?.basePointer,
                             outFeatures: 3 * h, into: qkvp, parallel: parallel)
            BertModel.attention(qkv: qkvp, into: cp, batch: batch, length: length, heads: heads,
                                headDimension: d, keyCounts: keyCounts, additive: additive, parallel: parallel)
            // a = LN(ctx Wo^T + bo + x)
            BertModel.linear(cp, rows: n, inFeatures: h, block.attention.output.dense, into: ap, residual: x, parallel: parallel)
            let ln1 = block.attention.output.layerNorm
            withParameters([ln1.weight.value, ln1.bias.value]) { ps in
                BertKernels.layerNorm(ap, rows: n, n: h, weight: ps[0], bias: ps[1], eps: ln1.eps, parallel: parallel)
            }
            // x = LN(gelu(a W1^T + b1) W2^T + b2 + a)
            BertModel.linear(ap, rows: n, inFeatures: h, block.intermediate.dense, into: mp, parallel: parallel)
            BertModel.activate(mp, count: n * inner, block.intermediate.activation, parallel: parallel)
            BertModel.linear(mp, rows: n, inFeatures: inner, block.output.dense, into: x, residual: ap, parallel: parallel)
            let ln2 = block.output.layerNorm
            withParameters([ln2.weight.value, ln2.bias.value]) { ps in
                BertKernels.layerNorm(x, rows: n, n: h, weight: ps[0], bias: ps[1], eps: ln2.eps, parallel: parallel)
            }
        }
        withExtendedLifetime((word, pos, type, qkv, ctx, a, mid, projections)) {}
    }

    /// Calls `body` with pointers to contiguous copies of `tensors`.
    private func withParameters(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>]) -> Void) {
        let cs = tensors.map { $0.contiguous() }
        withExtendedLifetime(cs) { body(cs.map { UnsafePointer($0.basePointer) }) }
    }

    /// `out = x W^T + b (+ residual)` for `x` [rows, in] and `layer` [out, in].
    static func linear(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, _ layer: Linear,
                       into out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>? = nil, parallel: Bool) {
        let w = layer.weight.value.contiguous()
        let bias = layer.bias?.value.contiguous()
        linear(x, rows: rows, inFeatures: inFeatures, weight: w.basePointer, bias: bias?.basePointer, outFeatures: layer.outFeatures,
               into: out, residual: residual, parallel: parallel)
        withExtendedLifetime((w, bias)) {}
    }

    /// `out = x W^T + b (+ residual)` for `x` [rows, in] and `weight` [outFeatures, in] (row-major, as
    /// stored: the product takes it with a transpose flag, no copy).
    static func linear(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                       outFeatures m: Int, into out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>? = nil,
                       parallel: Bool) {
        // Pre-fill with b (+ residual) so the product accumulates onto it (beta = 1): OpenBLAS
        // would otherwise make its own pass to zero the output for beta = 0.
        BertKernels.split(rows, parallel: parallel, minimumPerChunk: 256) { range in
            for r in range {
                let row = out + r * m
                if let bp = bias {
                    if let res = residual {
                        let rp = res + r * m
                        for i in 0..<m { row[i] = rp[i] + bp[i] }
                    } else {
                        row.update(from: bp, count: m)
                    }
                } else if let res = residual {
                    row.update(from: res + r * m, count: m)
                } else {
                    row.update(repeating: 0, count: m)
                }
            }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(m), Int32(inFeatures),
                    1, x, Int32(inFeatures), w, Int32(inFeatures), 1, out, Int32(m))
    }

    static func activate(_ p: UnsafeMutablePointer<Float>, count: Int, _ activation: Activation, parallel: Bool) {
        switch activation {
        case .gelu: BertKernels.gelu(p, count: count, parallel: parallel)
        default:
            // Other activations through the tensor op (rare for BERT checkpoints).
            let t = Tensor(storage: TensorStorage(uninitializedCount: count), shape: [count])
            t.storage.pointer.update(from: p, count: count)
            let y = activation(Variable(t)).value.contiguous()
            p.update(from: y.basePointer, count: count)
        }
    }

    /// Multi-head attention of q, k, v (side by side in `qkv`, [B*T, 3H]) into `ctx` [B*T, H].
    /// The 1/sqrt(d) scale is the score product's alpha.
    static func attention(qkv: UnsafePointer<Float>,
                          into ctx: UnsafeMutablePointer<Float>, batch: Int, length t: Int, heads: Int,
                          headDimension d: Int, keyCounts: [Int], additive: [Float]?, parallel: Bool) {
        let h = heads * d
        let ld = 3 * h
        let q = qkv, k = qkv + h, v = qkv + 2 * h
        let scale = 1 / Float(d).squareRoot()
        let pairs = batch * heads
        let workers = parallel ? Swift.min(Parallel.workers, pairs) : 1
        let savedThreads = openblas_get_num_threads()
        if workers > 1 { openblas_set_num_threads(1) }
        defer { if workers > 1 { openblas_set_num_threads(savedThreads) } }
        additive.withUnsafeBufferPointerOrNil { maskBase in
            let run = { (w: Int) in
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: t * t)
                defer { scores.deallocate() }
                let per = (pairs + workers - 1) / workers
                for pair in (w * per)..<Swift.min(pairs, (w + 1) * per) {
                    let b = pair / heads, head = pair % heads
                    let keys = keyCounts[b]
                    let base = b * t * ld + head * d, out = b * t * h + head * d
                    if keys == 0 {
                        // All keys are padding: every score gets the same mask value, so the
                        // module path (and torch) give uniform weights over all keys.
                        scores.update(repeating: 1 / Float(t), count: t * t)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(d), Int32(t),
                                    1, scores, Int32(t), v + base, Int32(ld), 0, ctx + out, Int32(h))
                        continue
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(keys), Int32(d),
                                scale, q + base, Int32(ld), k + base, Int32(ld), 0, scores, Int32(keys))
                    let mask = maskBase.map { $0 + b * t }
                    for r in 0..<t { BertKernels.softmaxRow(scores + r * keys, keys, mask: mask) }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(d), Int32(keys),
                                1, scores, Int32(keys), v + base, Int32(ld), 0, ctx + out, Int32(h))
                }
            }
            if workers > 1 {
                DispatchQueue.concurrentPerform(iterations: workers, execute: run)
            } else {
                run(0)
            }
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// The buffer's base address, or nil for nil.
    fileprivate func withUnsafeBufferPointerOrNil<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
