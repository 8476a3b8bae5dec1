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

    /// The bytes of the mapping when `pointer` came from `posix_memalign` (large buffers: given
    /// back to `RetainedBuffers` or freed with `free`); 0 for the ordinary allocation.
    private let hugePageMappingBytes: Int

    /// Allocates `count` floats, uninitialised. Callers must write every element before reading.
    public init(uninitializedCount count: Int) {
        _ = TensorStorage.allocatorConfigured
        self.count = count
        #if canImport(Glibc)
        let bytes = count * MemoryLayout<Float>.stride
        if bytes >= TensorStorage.hugePageMinimumBytes {
            // Buffers beyond the mmap threshold are fresh mappings every time (a [tokens, vocab]
            // logits matrix: 400 MB for SmolLM2 at 8 x 256 tokens), faulted in page by page on
            // first touch. Aligned to 2 MB and marked for transparent huge pages, which the
            // kernel gives only to regions that ask when THP is in `madvise` mode (the common
            // default), one fault maps 2 MB instead of 4 KB: measured 0.25-0.3 s less CPU time
            // for that head product (1.19-1.25 s instead of 1.49-1.53 s single-threaded, the
            // bare sgemm into a reused buffer 1.16-1.20 s). Not for heap-sized buffers: marking
            // reused heap blocks made a SwiGLU block 50% slower (compaction on every fault).
            // A freed one is kept mapped for the next of its size (`RetainedBuffers`).
            let page = TensorStorage.hugePageBytes
            let rounded = (bytes + page - 1) / page * page
            if let (raw, mapped) = RetainedBuffers.take(bytes: rounded) {
                pointer = raw.bindMemory(to: Float.self, capacity: count)
                hugePageMappingBytes = mapped
                return
            }
            var raw: UnsafeMutableRawPointer?
            if posix_memalign(&raw, page, rounded) == 0, let raw {
                _ = madvise(raw, rounded, 14)   // MADV_HUGEPAGE (not exported by the Glibc module); advisory
                pointer = raw.bindMemory(to: Float.self, capacity: count)
                hugePageMappingBytes = rounded
                return
            }
        }
        #endif
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        hugePageMappingBytes = 0
    }

    /// Size of a transparent huge page on x86-64 and arm64 Linux.
    static let hugePageBytes = 2 << 20
    /// Buffers from this size up are huge-page aligned: the mmap threshold of `allocatorConfigured`.
    static let hugePageMinimumBytes = mmapThresholdBytes
    /// Blocks from this size up get their own mapping from malloc; smaller ones come from its heap.
    static let mmapThresholdBytes = 1 << 27

    /// Allocates `count` floats, all set to `value` (large fills on both cores: a gradient of
    /// a word-embedding table starts as tens of megabytes of zeros every training step).
    public convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        let p = pointer
        parallelChunks(count) { r in (p + r.lowerBound).initialize(repeating: value, count: r.count) }
    }

    deinit {
        #if canImport(Glibc)
        if hugePageMappingBytes > 0 { RetainedBuffers.give(UnsafeMutableRawPointer(pointer), bytes: hugePageMappingBytes); return }
        #endif
        pointer.deallocate()
    }

    /// Keeps tensor-sized blocks in malloc's heap instead of giving each its own mmap: a training
    /// step allocates and frees the same activation and gradient sizes every step, and with
    /// glibc's defaults each large buffer is a fresh mapping whose pages are faulted in and
    /// zeroed by the kernel on first touch, then unmapped on free (about a tenth of a MiniLM
    /// training step). Freed heap blocks are reused by the next step instead, and free memory
    /// above 1 GB at the top of the heap is still returned. (At 256 MB, a bi-level iteration on a
    /// MiniLM PRM, whose theta copies and shifts free some 400 MB at once, gave its heap top back
    /// and faulted it in again every iteration: 1.39M page faults in the benchmark run against
    /// 0.26M at 1 GB, 6% of its CPU time.) Set once, before the first buffer.
    static let allocatorConfigured: Bool = {
        #if canImport(Glibc)
        // mallopt is in <malloc.h>, which the Glibc module does not export: look it up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
            _ = mallopt(mmapThreshold, Int32(mmapThresholdBytes))
            _ = mallopt(trimThreshold, 1 << 30)
        }
        #endif
        return true
    }()
}
