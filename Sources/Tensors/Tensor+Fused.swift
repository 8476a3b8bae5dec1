import CBLAS

// Fused forward/backward kernels for the hot composites of a transformer training step: each
// reads its inputs once and writes each output once, instead of one temporary per elementary op.
// Every reduction sums in a fixed order (fixed row blocks, combined in block order), so results
// are the same bits on every run whatever the number of cores.

extension Tensor {
    // MARK: Linear

    /// `x W^T + b` for `x` [n, in], `weight` [out, in] (torch's layout), `bias` [out]: the output
    /// rows are pre-filled with the bias and one `cblas_sgemm` accumulates the product onto them
    /// (beta = 1), so the bias costs no extra pass. Transposed views are read as BLAS flags.
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(rank == 2 && weight.rank == 2 && shape[1] == weight.shape[1],
                     "linear: input \(Tensor.describe(shape)) and weight \(Tensor.describe(weight.shape)) do not fit")
        let n = shape[0], k = shape[1], m = weight.shape[0]
        let out = Tensor(uninitializedShape: [n, m])
        if n == 0 || m == 0 { return out }
        let d = out.storage.pointer
        var beta: Float = 0
        if let bias {
            precondition(bias.count == m, "linear: bias \(Tensor.describe(bias.shape)) for \(m) outputs")
            let b = bias.contiguous()
            let bp = b.basePointer
            parallelChunks(n, minimumPerChunk: Swift.max(1, (1 << 15) / m)) { rows in
                for r in rows { (d + r * m).update(from: bp, count: m) }
            }
            withExtendedLifetime(b) {}
            beta = 1
        } else if k == 0 {
            d.update(repeating: 0, count: n * m)
        }
        if k == 0 { return out }
        let x = Tensor.blasLayout(self) == nil ? contiguous() : self
        let w = Tensor.blasLayout(weight) == nil ? weight.contiguous() : weight
        let lx = Tensor.blasLayout(x)!, lw = Tensor.blasLayout(w)!
        // W^T: the weight's own layout with the transpose flag flipped.
        let wTrans = lw.trans == CblasNoTrans ? CblasTrans : CblasNoTrans
        Tensor.sgemm(lx.trans, wTrans, n, m, k, 1, x.storage.pointer + x.offset, lx.ld, w.storage.pointer + w.offset, lw.ld,
                     beta, d, m)
        withExtendedLifetime((x, w)) {}
        return out
    }

    /// Gradients of `linear(weight:bias:)` from the output gradient `g` [n, out]:
    /// dx = g W (one sgemm), dW = g^T x (one sgemm straight into [out, in]), db = column sums of g.
    public static func linearBackward(input x: Tensor, weight: Tensor, outputGradient g: Tensor,
                                      needInput: Bool, needWeight: Bool, needBias: Bool)
        -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let n = x.shape[0], k = x.shape[1], m = weight.shape[0]
        let gg = blasLayout(g) == nil ? g.contiguous() : g
        let lg = blasLayout(gg)!
        let pg = gg.storage.pointer + gg.offset
        var dx: Tensor?, dw: Tensor?, db: Tensor?
        if needInput {
            let w = blasLayout(weight) == nil ? weight.contiguous() : weight
            let lw = blasLayout(w)!
            let out = Tensor(uninitializedShape: [n, k])
            if n * k > 0 {
                sgemm(lg.trans, lw.trans, n, k, m, 1, pg, lg.ld, w.storage.pointer + w.offset, lw.ld, 0, out.storage.pointer, k)
            }
            withExtendedLifetime(w) {}
            dx = out
        }
        if needWeight {
            let xx = blasLayout(x) == nil ? x.contiguous() : x
            let lx = blasLayout(xx)!
            let out = Tensor(uninitializedShape: [m, k])
            if m * k > 0 {
                if n == 0 { out.storage.pointer.update(repeating: 0, count: m * k) } else {
                    let gTrans = lg.trans == CblasNoTrans ? CblasTrans : CblasNoTrans
                    sgemm(gTrans, lx.trans, m, k, n, 1, pg, lg.ld, xx.storage.pointer + xx.offset, lx.ld, 0, out.storage.pointer, k)
                }
            }
            withExtendedLifetime(xx) {}
            dw = out
        }
        if needBias { db = gg.sum(axes: [0]) }
        withExtendedLifetime(gg) {}
        return (dx, dw, db)
    }

    // MARK: accumulation

    /// `self = self + other` for same-shaped tensors, written into this tensor's buffer when it
    /// is the only owner of a plain contiguous buffer (no other tensor or view can see the
    /// change), else into a new one. Same bits either way. Gradient accumulation uses it so a
    /// node with several consumers does not get a new buffer per contribution.
    public mutating func accumulate(_ other: Tensor) {
        precondition(shape == other.shape, "accumulate: shapes \(Tensor.describe(shape)) and \(Tensor.describe(other.shape)) differ")
        let n = count
        guard offset == 0 && storage.count == n && isContiguous && isKnownUniquelyReferenced(&storage) else {
            self = self + other
            return
        }
        let src = other.contiguous()
        let d = storage.pointer, s = src.basePointer
        parallelChunks(n) { r in for i in r { d[i] += s[i] } }
        withExtendedLifetime(src) {}
    }

    /// `self + b * s` for same-shaped tensors in one pass (no temporary for `b * s`), the same
    /// bits as the two operators: the product is rounded before the sum, as there. The
    /// hypergradient's theta + eps v over every parameter of a model uses it.
    public func addingScaled(_ b: Tensor, by s: Float) -> Tensor {
        guard shape == b.shape else { return self + b * s }
        let x = contiguous(), y = b.contiguous()
        let out = Tensor(uninitializedShape: shape)
        let px = x.basePointer, py = y.basePointer, d = out.storage.pointer
        parallelChunks(count) { r in
            for i in r {
                let scaled = py[i] * s
                d[i] = px[i] + scaled
            }
        }
        return withExtendedLifetime((x, y)) { out }
    }

    // MARK: GELU

    /// GELU (erf form) and its derivative at every element in one pass, for a forward pass that
    /// records the graph: one normal tail (CDF and density) serves both, and the backward is
    /// then a plain product. The values are the same bits as `gelu()` and `geluDerivative()`.
    public func geluWithDerivative() -> (value: Tensor, derivative: Tensor) {
        let src = contiguous()
        let out = Tensor(uninitializedShape: shape), der = Tensor(uninitializedShape: shape)
        let s = src.basePointer, d = out.storage.pointer, dd = der.storage.pointer
        parallelChunks(count, minimumPerChunk: 1 << 13) { r in
            for i in r {
                let (value, derivative) = FastMath.geluWithDerivative(s[i])
                d[i] = value
                dd[i] = derivative
            }
        }
        return withExtendedLifetime(src) { (out, der) }
    }

    /// `g * gelu'(x)` (erf form) in one pass: the backward of `gelu()`.
    public static func geluBackward(input x: Tensor, outputGradient g: Tensor) -> Tensor {
        precondition(x.shape == g.shape, "geluBackward: input \(describe(x.shape)) and gradient \(describe(g.shape)) differ")
        let xs = x.contiguous(), gs = g.contiguous()
        let out = Tensor(uninitializedShape: x.shape)
        let px = xs.basePointer, pg = gs.basePointer, d = out.storage.pointer
        parallelChunks(out.count, minimumPerChunk: 1 << 13) { r in
            for i in r { d[i] = pg[i] * FastMath.geluDerivative(px[i]) }
        }
        return withExtendedLifetime((xs, gs)) { out }
    }

    // MARK: softmax

    /// The backward of `softmax()` from its output `y` and output gradient `g`, one pass per row:
    /// dx = y * (g - sum(g * y)).
    public static func softmaxBackward(output y: Tensor, outputGradient g: Tensor) -> Tensor {
        precondition(y.shape == g.shape, "softmaxBackward: output \(describe(y.shape)) and gradient \(describe(g.shape)) differ")
        let ys = y.contiguous(), gs = g.contiguous()
        let out = Tensor(uninitializedShape: y.shape)
        let n = y.shape.last ?? 1
        let rows = n == 0 ? 0 : out.count / n
        let py = ys.basePointer, pg = gs.basePointer, d = out.storage.pointer
        parallelChunks(rows, minimumPerChunk: Swift.max(1, 8192 / Swift.max(n, 1))) { r in
            for row in r {
                let yr = py + row * n, gr = pg + row * n, dr = d + row * n
                let dot = Float(Tensor.dotRun(gr, yr, n))
                for i in 0..<n { dr[i] = yr[i] * (gr[i] - dot) }
            }
        }
        return withExtendedLifetime((ys, gs)) { out }
    }

    // MARK: layer norm

    /// Layer normalisation over the last axis with optional affine `weight` and `bias` ([n]),
    /// one pass per row: out = (x - mean) * rstd * w + b, with the same mean and variance as
    /// `layerNormalized(eps:)`. Also returns the per-row mean and 1/std ([..., 1]) for
    /// `layerNormBackward`, which recomputes the normalised values from `x` instead of keeping them.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float) -> (output: Tensor, mean: Tensor, inverseStd: Tensor) {
        let n = shape.last ?? 1
        let statShape = Array(shape.dropLast()) + [1]
        let meanT = Tensor(uninitializedShape: statShape), inv = Tensor(uninitializedShape: statShape)
        let mp = meanT.storage.pointer, ip = inv.storage.pointer
        let src = contiguous()
        let w = weight?.contiguous(), b = bias?.contiguous()
        precondition((w?.count ?? n) == n && (b?.count ?? n) == n, "layerNorm: affine parameters must have \(n) elements")
        let wp = w?.basePointer, bp = b?.basePointer
        let out = Tensor(uninitializedShape: shape)
        let rows = n == 0 ? 0 : count / n
        let s0 = src.basePointer, d0 = out.storage.pointer
        parallelChunks(rows, minimumPerChunk: Swift.max(1, 8192 / Swift.max(n, 1))) { r in
            for row in r {
                let s = s0 + row * n, d = d0 + row * n
                let mean = Tensor.sumRun(s, n) / Double(n)
                let m = Float(mean)
                let v = Tensor.squaredDeviationRun(s, n, mean: m) / Double(n) - (mean - Double(m)) * (mean - Double(m))
                let rs = Float(1 / (Swift.max(v, 0) + Double(eps)).squareRoot())
                mp[row] = m
                ip[row] = rs
                switch (wp, bp) {
                case let (wp?, bp?): for i in 0..<n { d[i] = ((s[i] - m) * rs) * wp[i] + bp[i] }
                case let (wp?, nil): for i in 0..<n { d[i] = ((s[i] - m) * rs) * wp[i] }
                case let (nil, bp?): for i in 0..<n { d[i] = ((s[i] - m) * rs) + bp[i] }
                case (nil, nil): for i in 0..<n { d[i] = (s[i] - m) * rs }
                }
            }
        }
        return withExtendedLifetime((src, w, b)) { (out, meanT, inv) }
    }

    /// The backward of `layerNorm(weight:bias:eps:)`: with xhat = (x - mean) * rstd and
    /// gx = g * w, dx = rstd / n * (n gx - sum(gx) - xhat sum(gx xhat)) per row (one pass plus
    /// two row sums); dW = sum over rows of g * xhat and db = sum over rows of g, accumulated
    /// in Double over fixed blocks of rows and combined in block order.
    public static func layerNormBackward(input x: Tensor, mean: Tensor, inverseStd: Tensor, weight: Tensor?,
                                         outputGradient g: Tensor, needWeight: Bool, needBias: Bool)
        -> (input: Tensor, weight: Tensor?, bias: Tensor?) {
        let n = x.shape.last ?? 1
        let xs = x.contiguous(), gs = g.contiguous(), w = weight?.contiguous()
        let rows = n == 0 ? 0 : xs.count / n
        let dx = Tensor(uninitializedShape: x.shape)
        let px = xs.basePointer, pg = gs.basePointer, pd = dx.storage.pointer
        let mp = mean.contiguous(), ip = inverseStd.contiguous()
        let pm = mp.basePointer, pi = ip.basePointer
        let pw = w?.basePointer
        let wantParams = needWeight || needBias
        let blockRows = 32
        let blocks = (rows + blockRows - 1) / blockRows
        // Per block: n partial sums of g * xhat, then n of g.
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: wantParams ? Swift.max(blocks * 2 * n, 1) : 1)
        defer { partial.deallocate() }
        let scratchSize = n
        let nf = Float(n)
        parallelChunks(blocks, minimumPerChunk: Swift.max(1, 8192 / Swift.max(n * blockRows, 1))) { range in
            let gx = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(scratchSize, 1))
            let xhat = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(scratchSize, 1))
            defer { gx.deallocate(); xhat.deallocate() }
            for block in range {
                let accW = partial + block * 2 * n, accB = accW + n
                if wantParams {
                    accW.initialize(repeating: 0, count: n)
                    accB.initialize(repeating: 0, count: n)
                }
                for row in (block * blockRows)..<Swift.min(rows, (block + 1) * blockRows) {
                    let s = px + row * n, gr = pg + row * n, d = pd + row * n
                    let m = pm[row], rs = pi[row]
                    for i in 0..<n { xhat[i] = (s[i] - m) * rs }
                    if let pw { for i in 0..<n { gx[i] = gr[i] * pw[i] } } else { gx.update(from: gr, count: n) }
                    let sumG = Float(Tensor.sumRun(gx, n))
                    let sumGX = Float(Tensor.dotRun(gx, xhat, n))
                    let scale = rs * (1 / nf)
                    for i in 0..<n { d[i] = scale * (gx[i] * nf - sumG - xhat[i] * sumGX) }
                    if wantParams {
                        for i in 0..<n {
                            accW[i] += Double(gr[i] * xhat[i])
                            accB[i] += Double(gr[i])
                        }
                    }
                }
            }
        }
        var dw: Tensor?, db: Tensor?
        if wantParams {
            let tw = Tensor(uninitializedShape: [n]), tb = Tensor(uninitializedShape: [n])
            let ow = tw.storage.pointer, ob = tb.storage.pointer
            for i in 0..<n {
                var sw: Double = 0, sb: Double = 0
                for block in 0..<blocks { sw += partial[block * 2 * n + i]; sb += partial[block * 2 * n + n + i] }
                ow[i] = Float(sw)
                ob[i] = Float(sb)
            }
            if needWeight { dw = tw }
            if needBias { db = tb }
        }
        withExtendedLifetime((xs, gs, w, mp, ip)) {}
        return (dx, dw, db)
    }
}
