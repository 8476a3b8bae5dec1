#if canImport(Glibc)
import Glibc

/// Freed buffers past the mmap threshold (`TensorStorage.hugePageMinimumBytes`, 128 MB), kept
/// mapped for the next allocation of about the same size instead of being unmapped.
///
/// Why: on a VM with free page reporting (this project's machines boot with
/// `page_reporting.page_reporting_order=11`), memory the guest frees is handed back to the host
/// about a second later, and touching it again costs a fault on the host as well: re-faulting a
/// 400 MB buffer freed a second or more before took 0.4-1.0 s of CPU time, against 0.05 s when
/// it was freed just before (measured 2026-12-04). The logits of a SmolLM2 pass at 8 x 256
/// tokens are such a buffer, allocated and freed once per pass; reusing the previous pass's
/// mapping removes those faults altogether.
///
/// Policy: a freed buffer is kept while the kept total stays within `budgetBytes` (the oldest
/// go first); an allocation takes a kept buffer of its rounded size, or one at most a quarter
/// larger. On a miss every kept buffer is unmapped before the new one is mapped, so retention
/// never stacks a kept buffer on top of a new large one: the peak resident memory of a program
/// grows only by buffers it no longer uses while its other (heap) memory grows.
/// `releaseAll()` unmaps them (a caller about to measure or hand back memory).
public enum RetainedBuffers {
    /// The most memory kept mapped for reuse (1 GiB).
    public static let budgetBytes = 1 << 30

    private nonisolated(unsafe) static var kept: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []
    /// Buffers are freed on whichever thread drops the last reference.
    private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    /// The bytes currently kept mapped.
    public static var keptBytes: Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return kept.reduce(0) { $0 + $1.bytes }
    }

    /// A kept mapping of `bytes` to `bytes + bytes / 4` bytes (the smallest such), with its size;
    /// nil after unmapping every kept buffer when none fits.
    static func take(bytes: Int) -> (UnsafeMutableRawPointer, Int)? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        var best: Int?
        for (i, k) in kept.enumerated() where k.bytes >= bytes && k.bytes - bytes <= bytes / 4 {
            if best.map({ k.bytes < kept[$0].bytes }) ?? true { best = i }
        }
        if let best { return kept.remove(at: best) }
        for k in kept { free(k.pointer) }
        kept.removeAll()
        return nil
    }

    /// Keeps the freed mapping `pointer` of `bytes` bytes for reuse, or unmaps it.
    static func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes <= budgetBytes else { free(pointer); return }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        kept.append((pointer, bytes))
        var total = kept.reduce(0) { $0 + $1.bytes }
        while total > budgetBytes {
            let oldest = kept.removeFirst()
            free(oldest.pointer)
            total -= oldest.bytes
        }
    }

    /// Unmaps every kept buffer.
    public static func releaseAll() {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        for k in kept { free(k.pointer) }
        kept.removeAll()
    }
}
#endif
