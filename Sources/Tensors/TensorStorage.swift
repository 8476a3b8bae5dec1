#if canImport(Glibc)
import Glibc
#endif

/// One reference-counted buffer of `Float`. Views (transpose, slice, reshape of contiguous data)
/// share a storage; kernels read and write through the raw pointer, never through a Swift Array.
public final class TensorStorage {
    /// The first element. Owned by this object; freed in `deinit`.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of floats allocated.
    public let count: Int

    /// Allocates `count` floats, uninitialised. Callers must write every element before reading.
    public init(uninitializedCount count: Int) {
        _ = TensorStorage.allocatorConfigured
        self.count = count
        self.pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
    }

    /// Allocates `count` floats, all set to `value` (large fills on both cores: a gradient of
    /// a word-embedding table starts as tens of megabytes of zeros every training step).
    public convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        let p = pointer
        parallelChunks(count) { r in (p + r.lowerBound).initialize(repeating: value, count: r.count) }
    }

    deinit { pointer.deallocate() }

    /// Keeps tensor-sized blocks in malloc's heap instead of giving each its own mmap: a training
    /// step allocates and frees the same activation and gradient sizes every step, and with
    /// glibc's defaults each large buffer is a fresh mapping whose pages are faulted in and
    /// zeroed by the kernel on first touch, then unmapped on free (about a tenth of a MiniLM
    /// training step). Freed heap blocks are reused by the next step instead, and free memory
    /// above 256 MB at the top of the heap is still returned. Set once, before the first buffer.
    static let allocatorConfigured: Bool = {
        #if canImport(Glibc)
        // mallopt is in <malloc.h>, which the Glibc module does not export: look it up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
            _ = mallopt(mmapThreshold, 1 << 27)
            _ = mallopt(trimThreshold, 1 << 28)
        }
        #endif
        return true
    }()
}
