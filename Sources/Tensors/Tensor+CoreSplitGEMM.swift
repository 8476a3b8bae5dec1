import CBLAS
import Dispatch

extension Tensor {
    /// Row-major `C = alpha op(A) op(B) + beta C` (`cblas_sgemm`'s arguments), with large
    /// products cut into one single-threaded BLAS call per core instead of running on OpenBLAS's
    /// own threads.
    ///
    /// Why: OpenBLAS's threaded sgemm synchronises its threads several times per call, and
    /// between calls its idle threads spin (yielding) while this process's own threads run the
    /// elementwise kernels, so the 2-core CPU time of a llama pass was about 15% above the
    /// single-threaded one. Here each core computes a fixed part of C with no synchronisation
    /// until the join, and OpenBLAS's pool stays asleep. The cut is along the longer of C's two
    /// sides, at multiples of 64 rows or columns: each part packs the whole of the other operand
    /// (the smaller one) again, a few percent of the product's work. Every element of C is the
    /// same sum in the same order as in one call (BLAS blocks the shared dimension K the same way
    /// whatever the part), so the result does not depend on the cut.
    @inline(__always)
    static func sgemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int, _ n: Int, _ k: Int,
                      _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        let threads = Int(openblas_get_num_threads())
        let longer = Swift.max(m, n)
        guard threads > 1 && m * n * k >= coreSplitMinimum && longer >= 128 else {
            cblas_sgemm(CblasRowMajor, transA, transB, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        let parts = Swift.min(threads, longer / 64)
        let alongRows = m >= n
        openblas_set_num_threads(1)
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let lo = (p * longer / parts) / 64 * 64
            let hi = p == parts - 1 ? longer : ((p + 1) * longer / parts) / 64 * 64
            if hi <= lo { return }
            if alongRows {
                let pa = a + (transA == CblasNoTrans ? lo * lda : lo)
                cblas_sgemm(CblasRowMajor, transA, transB, Int32(hi - lo), Int32(n), Int32(k), alpha, pa, Int32(lda), b, Int32(ldb),
                            beta, c + lo * ldc, Int32(ldc))
            } else {
                let pb = b + (transB == CblasNoTrans ? lo : lo * ldb)
                cblas_sgemm(CblasRowMajor, transA, transB, Int32(m), Int32(hi - lo), Int32(k), alpha, a, Int32(lda), pb, Int32(ldb),
                            beta, c + lo, Int32(ldc))
            }
        }
        openblas_set_num_threads(Int32(threads))
    }

    /// Products of at least this many multiply-adds (m n k) are cut across the cores by `sgemm`.
    static let coreSplitMinimum = 1 << 20
}
