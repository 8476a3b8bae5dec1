import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Splits `0..<count` into a fixed number of contiguous chunks and runs them on both cores.
/// The split depends only on `count`, so a reduction that combines chunk results in chunk
/// order gives the same bits on every run.
@inlinable
public func parallelChunks(_ count: Int, minimumPerChunk: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let chunks = min(Parallel.workers, max(1, count / minimumPerChunk))
    if chunks <= 1 {
        body(0..<count)
        return
    }
    let size = (count + chunks - 1) / chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let start = c * size
        let end = min(count, start + size)
        if start < end { body(start..<end) }
    }
}

/// Worker count for elementwise kernels (the machine has 2 cores).
public enum Parallel {
    /// Number of chunks large kernels are split into. Fixed so results are reproducible.
    /// `DPRM_THREADS=1` makes it 1: an MPI rank per core then keeps to its core (the speed
    /// comparisons of docs/distributed.md set it with OPENBLAS_NUM_THREADS).
    public static var workers: Int = {
        if let text = getenv("DPRM_THREADS"), let n = Int(String(cString: text)), n >= 1 { return n }
        return 2
    }()
}
