// Fused forward/backward kernels of a llama-family block (RMSNorm with its weight, SwiGLU,
// rotary position embedding, softmax with an additive mask): each reads its inputs once and
// writes each output once, where the composites they replace made one temporary per elementary
// op (RoPE alone was a negation, a concatenation of two strided halves, two broadcast products
// and a sum). Reductions sum in a fixed order (fixed row blocks combined in block order), so
// results are the same bits on every run whatever the number of cores.

extension Tensor {
    // MARK: RMSNorm

    /// RMS normalisation over the last axis with an optional `weight` ([n]), one pass per row:
    /// out = (x * r) * w with r = 1 / sqrt(mean(x^2) + eps), the same arithmetic (and bits) as
    /// `rmsNormalized(eps:)` followed by the product with the weight. Also returns r per row
    /// ([..., 1]) for `rmsNormBackward`.
    public func rmsNorm(weight: Tensor?, eps: Float) -> (output: Tensor, inverseRMS: Tensor) {
        let n = shape.last ?? 1
        let inv = Tensor(uninitializedShape: Array(shape.dropLast()) + [1])
        let ip = inv.storage.pointer
        let src = contiguous()
        let w = weight?.contiguous()
        precondition((w?.count ?? n) == n, "rmsNorm: weight \(Tensor.describe(weight?.shape ?? [])) for rows of \(n)")
        let wp = w?.basePointer
        let out = Tensor(uninitializedShape: shape)
        let rows = n == 0 ? 0 : count / n
        let s0 = src.basePointer, d0 = out.storage.pointer
        parallelChunks(rows, minimumPerChunk: Swift.max(1, 8192 / Swift.max(n, 1))) { r in
            for row in r {
                let s = s0 + row * n, d = d0 + row * n
                let ms = Tensor.squaredDeviationRun(s, n, mean: 0) / Double(n)
                let rs = Float(1 / (ms + Double(eps)).squareRoot())
                ip[row] = rs
                if let wp { for i in 0..<n { d[i] = (s[i] * rs) * wp[i] } } else { for i in 0..<n { d[i] = s[i] * rs } }
            }
        }
        return withExtendedLifetime((src, w)) { (out, inv) }
    }

    /// The backward of `rmsNorm(weight:eps:)`: with xhat = x r and gx = g w,
    /// dx = r (gx - xhat mean(gx xhat)) per row, and dW = sum over rows of g xhat (in Double over
    /// fixed blocks of rows, combined in block order).
    public static func rmsNormBackward(input x: Tensor, inverseRMS: Tensor, weight: Tensor?, outputGradient g: Tensor,
                                       needWeight: Bool) -> (input: Tensor, weight: Tensor?) {
        precondition(x.shape == g.shape, "rmsNormBackward: input \(describe(x.shape)) and gradient \(describe(g.shape)) differ")
        let n = x.shape.last ?? 1
        let xs = x.contiguous(), gs = g.contiguous(), w = weight?.contiguous(), ir = inverseRMS.contiguous()
        let rows = n == 0 ? 0 : xs.count / n
        let dx = Tensor(uninitializedShape: x.shape)
        let px = xs.basePointer, pg = gs.basePointer, pd = dx.storage.pointer, pr = ir.basePointer
        let pw = w?.basePointer
        let blockRows = 32
        let blocks = (rows + blockRows - 1) / blockRows
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: needWeight ? Swift.max(blocks * n, 1) : 1)
        defer { partial.deallocate() }
        let nf = Float(n)
        parallelChunks(blocks, minimumPerChunk: Swift.max(1, 8192 / Swift.max(n * blockRows, 1))) { range in
            let gx = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(n, 1))
            let xhat = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(n, 1))
            defer { gx.deallocate(); xhat.deallocate() }
            for block in range {
                let acc = partial + block * n
                if needWeight { acc.initialize(repeating: 0, count: n) }
                for row in (block * blockRows)..<Swift.min(rows, (block + 1) * blockRows) {
                    let s = px + row * n, gr = pg + row * n, d = pd + row * n
                    let rs = pr[row]
                    for i in 0..<n { xhat[i] = s[i] * rs }
                    if let pw { for i in 0..<n { gx[i] = gr[i] * pw[i] } } else { gx.update(from: gr, count: n) }
                    let mean = Float(Tensor.dotRun(gx, xhat, n)) / nf
                    for i in 0..<n { d[i] = rs * (gx[i] - xhat[i] * mean) }
                    if needWeight { for i in 0..<n { acc[i] += Double(gr[i] * xhat[i]) } }
                }
            }
        }
        var dw: Tensor?
        if needWeight {
            let t = Tensor(uninitializedShape: [n])
            let o = t.storage.pointer
            for i in 0..<n {
                var sum: Double = 0
                for block in 0..<blocks { sum += partial[block * n + i] }
                o[i] = Float(sum)
            }
            dw = t
        }
        withExtendedLifetime((xs, gs, w, ir)) {}
        return (dx, dw)
    }

    // MARK: SwiGLU

    /// silu(gate) * up elementwise, one pass (the SwiGLU of a llama feed-forward).
    public static func swiglu(gate: Tensor, up: Tensor) -> Tensor {
        precondition(gate.shape == up.shape, "swiglu: gate \(describe(gate.shape)) and up \(describe(up.shape)) differ")
        let gs = gate.contiguous(), us = up.contiguous()
        let out = Tensor(uninitializedShape: gate.shape)
        let pg = gs.basePointer, pu = us.basePointer, d = out.storage.pointer
        parallelChunks(out.count, minimumPerChunk: 1 << 13) { r in
            for i in r {
                let x = pg[i]
                d[i] = (x * FastMath.sigmoid(x)) * pu[i]
            }
        }
        return withExtendedLifetime((gs, us)) { out }
    }

    /// The backward of `swiglu(gate:up:)` from the output gradient `g`, one pass:
    /// d gate = g * up * silu'(gate), d up = g * silu(gate), with silu' = s (1 + x (1 - s)).
    public static func swigluBackward(gate: Tensor, up: Tensor, outputGradient g: Tensor,
                                      needGate: Bool, needUp: Bool) -> (gate: Tensor?, up: Tensor?) {
        precondition(gate.shape == up.shape && gate.shape == g.shape,
                     "swigluBackward: gate \(describe(gate.shape)), up \(describe(up.shape)) and gradient \(describe(g.shape)) differ")
        let gs = gate.contiguous(), us = up.contiguous(), os = g.contiguous()
        let dGate = needGate ? Tensor(uninitializedShape: gate.shape) : nil
        let dUp = needUp ? Tensor(uninitializedShape: gate.shape) : nil
        let pg = gs.basePointer, pu = us.basePointer, po = os.basePointer
        let dg = dGate?.storage.pointer, du = dUp?.storage.pointer
        parallelChunks(gate.count, minimumPerChunk: 1 << 13) { r in
            for i in r {
                let x = pg[i], s = FastMath.sigmoid(x), go = po[i]
                dg?[i] = go * pu[i] * (s * (1 + x * (1 - s)))
                du?[i] = go * (x * s)
            }
        }
        withExtendedLifetime((gs, us, os)) {}
        return (dGate, dUp)
    }

    /// SwiGLU of a packed gate/up projection: `x` [..., 2I] holds gate in its first I columns
    /// and up in the last I (the output of one product with the stacked [gate; up] weight), and
    /// the result [..., I] is silu(gate) * up, read in place, one pass. Same bits as
    /// `swiglu(gate:up:)` on the two halves.
    public static func swiglu(packed x: Tensor) -> Tensor {
        let width = x.shape.last ?? 0
        precondition(x.rank >= 1 && width % 2 == 0, "swiglu: packed input \(describe(x.shape)) needs an even last axis (gate | up)")
        let half = width / 2
        let src = x.contiguous()
        let out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [half])
        let rows = half == 0 ? 0 : x.count / width
        let ps = src.basePointer, d0 = out.storage.pointer
        parallelChunks(rows, minimumPerChunk: Swift.max(1, (1 << 13) / Swift.max(half, 1))) { r in
            for row in r {
                let pg = ps + row * width, pu = pg + half, d = d0 + row * half
                for i in 0..<half {
                    let x = pg[i]
                    d[i] = (x * FastMath.sigmoid(x)) * pu[i]
                }
            }
        }
        return withExtendedLifetime(src) { out }
    }

    /// The backward of `swiglu(packed:)` from the output gradient `g` [..., I]: the gradient
    /// of the packed input [..., 2I] (d gate | d up, as in `swigluBackward(gate:up:...)`), written
    /// in one pass into one buffer, so the stacked product's backward reads it as it is.
    public static func swigluBackward(packed x: Tensor, outputGradient g: Tensor) -> Tensor {
        let width = x.shape.last ?? 0, half = width / 2
        precondition(Array(g.shape.dropLast()) == Array(x.shape.dropLast()) && g.shape.last == half,
                     "swigluBackward: packed input \(describe(x.shape)) and gradient \(describe(g.shape)) do not fit")
        let xs = x.contiguous(), os = g.contiguous()
        let dx = Tensor(uninitializedShape: x.shape)
        let rows = half == 0 ? 0 : x.count / width
        let px = xs.basePointer, po = os.basePointer, pd = dx.storage.pointer
        parallelChunks(rows, minimumPerChunk: Swift.max(1, (1 << 13) / Swift.max(half, 1))) { r in
            for row in r {
                let pg = px + row * width, pu = pg + half, go = po + row * half
                let dg = pd + row * width, du = dg + half
                for i in 0..<half {
                    let v = pg[i], s = FastMath.sigmoid(v), o = go[i]
                    dg[i] = o * pu[i] * (s * (1 + v * (1 - s)))
                    du[i] = o * (v * s)
                }
            }
        }
        withExtendedLifetime((xs, os)) {}
        return dx
    }

    // MARK: rotary position embedding

    /// Rotary position embedding of `self` [..., T, D] (any strides; the usual input is the
    /// permuted [B, H, T, D] view of a projection) with tables `cos` and `sin` [T, D], as Hugging
    /// Face's `rotate_half`: out_i = (x_i c_i + r_i s_i) * scale with r = [-x2, x1] (the halves of
    /// the head), times `scale` (attention folds its 1/sqrt(D) into the queries here). One pass;
    /// the result is contiguous.
    public func rotaryEmbedding(cos c: Tensor, sin s: Tensor, scale: Float = 1) -> Tensor {
        let r = rank
        precondition(r >= 2, "rotaryEmbedding: input \(Tensor.describe(shape)) needs [..., tokens, dims]")
        let t = shape[r - 2], d = shape[r - 1]
        precondition(d % 2 == 0 && c.shape == [t, d] && s.shape == [t, d],
                     "rotaryEmbedding: input \(Tensor.describe(shape)) does not fit tables \(Tensor.describe(c.shape)), \(Tensor.describe(s.shape))")
        return Tensor.rotate(self, c, s, scale: scale, inverse: false)
    }

    /// The backward of `rotaryEmbedding(cos:sin:scale:)` (a linear map, so the gradient is its
    /// transpose applied to `g`): dx_j = (g_j c_j + q_j) * scale with q_j = g_{j+h} s_{j+h} for j
    /// in the first half and -g_{j-h} s_{j-h} in the second.
    public static func rotaryEmbeddingBackward(outputGradient g: Tensor, cos c: Tensor, sin s: Tensor, scale: Float = 1) -> Tensor {
        rotate(g, c, s, scale: scale, inverse: true)
    }

    /// The shared row loop of the rotary kernels: every row of the last axis of `x` (strided
    /// views walked in place), position = index along the second-to-last axis.
    static func rotate(_ x: Tensor, _ c: Tensor, _ s: Tensor, scale: Float, inverse: Bool) -> Tensor {
        let src = x.strides.last == 1 ? x : x.contiguous()
        let r = src.rank, t = src.shape[r - 2], d = src.shape[r - 1], h = d / 2
        let out = Tensor(uninitializedShape: src.shape)
        let rows = d == 0 ? 0 : out.count / d
        if rows == 0 { return out }
        let cs = c.contiguous(), ss = s.contiguous()
        let pc = cs.basePointer, ps = ss.basePointer, px = src.storage.pointer, po = out.storage.pointer
        parallelChunks(rows, minimumPerChunk: Swift.max(1, 8192 / Swift.max(d, 1))) { range in
            var walker = RowWalker(shape: src.shape, strides: [src.strides], offsets: [src.offset], firstRow: range.lowerBound)
            for row in range {
                let xr = px + walker.positions[0], o = po + row * d
                let cr = pc + (row % t) * d, sr = ps + (row % t) * d
                if inverse {
                    for i in 0..<h { o[i] = (xr[i] * cr[i] + xr[i + h] * sr[i + h]) * scale }
                    for i in 0..<h { o[i + h] = (xr[i + h] * cr[i + h] - xr[i] * sr[i]) * scale }
                } else {
                    for i in 0..<h { o[i] = (xr[i] * cr[i] - xr[i + h] * sr[i]) * scale }
                    for i in 0..<h { o[i + h] = (xr[i + h] * cr[i + h] + xr[i] * sr[i + h]) * scale }
                }
                walker.advance()
            }
        }
        return withExtendedLifetime((src, cs, ss)) { out }
    }

    // MARK: masked softmax

    /// softmax(self + mask) over the last axis, one pass per row instead of an add and a softmax:
    /// `mask` is any tensor that broadcasts to this shape (an additive attention mask [1|B, 1, T,
    /// S], say: read in place through its broadcast strides, never materialised).
    public func softmax(addingMask mask: Tensor) -> Tensor {
        let m = mask.expanded(to: shape)
        let n = shape.last ?? 1
        guard n > 0, count > 0, m.strides.last == 1 || n == 1 else { return (self + mask).softmax() }
        let src = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let rows = count / n
        let ps = src.basePointer, pm = m.storage.pointer, pd = out.storage.pointer
        parallelChunks(rows, minimumPerChunk: Swift.max(1, 8192 / n)) { range in
            var walker = RowWalker(shape: shape, strides: [m.strides], offsets: [m.offset], firstRow: range.lowerBound)
            for row in range {
                let s = ps + row * n, mr = pm + walker.positions[0], d = pd + row * n
                for i in 0..<n { d[i] = s[i] + mr[i] }
                var mx = Tensor.extremeRun(.max, d, n)
                if !mx.isFinite { mx = 0 }
                for i in 0..<n { d[i] = FastMath.exp(d[i] - mx) }
                let inv = Float(1 / Tensor.sumRun(d, n))
                for i in 0..<n { d[i] *= inv }
                walker.advance()
            }
        }
        return withExtendedLifetime((src, m)) { out }
    }
}
