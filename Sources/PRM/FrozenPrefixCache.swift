import Foundation

/// The outputs of a backbone's frozen blocks per token sequence, so that a training instance
/// seen again (the next cold-start epoch, the lower level of reweighting, the darts probes, the
/// meta set) skips them: the frozen blocks never change, and causal attention with padding keys
/// masked makes a row's outputs depend only on its own tokens.
///
/// Entries are [tokens x width] Float32 rows, keyed by the exact token sequence, in one growing
/// buffer capped at `limitBytes`. When the next entry would not fit it is not stored (the rows
/// are then recomputed on every visit: correct, just slower), and `skipped` counts it. Nothing is
/// evicted: a training set visited in a fixed order would evict every entry before its next use
/// under LRU, so keeping the first ones is what gives hits.
public final class FrozenPrefixCache {
    /// Width of a row (the hidden size).
    public let width: Int
    /// The most bytes the stored rows may take.
    public let limitBytes: Int
    private var storage: [Float] = []
    private var entries: [[Int]: (start: Int, count: Int)] = [:]
    /// Look-ups that found their sequence.
    public private(set) var hits = 0
    /// Look-ups that did not.
    public private(set) var misses = 0
    /// Entries not stored because the cache was full.
    public private(set) var skipped = 0

    public init(width: Int, limitBytes: Int) {
        precondition(width > 0 && limitBytes >= 0, "FrozenPrefixCache: width must be positive and the limit non-negative")
        self.width = width
        self.limitBytes = limitBytes
    }

    /// Sequences stored.
    public var count: Int { entries.count }
    /// Bytes the stored rows take.
    public var bytes: Int { storage.count * MemoryLayout<Float>.size }

    /// Copies the rows of `tokens` into `destination` (tokens.count * width floats) and returns
    /// true, or returns false when the sequence is not stored.
    public func read(_ tokens: [Int], into destination: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard let e = entries[tokens] else { misses += 1; return false }
        precondition(destination.count == e.count, "FrozenPrefixCache: \(destination.count) floats asked for an entry of \(e.count)")
        hits += 1
        storage.withUnsafeBufferPointer { src in
            _ = destination.initialize(from: src[e.start..<(e.start + e.count)])
        }
        return true
    }

    /// Stores the rows of `tokens` (tokens.count * width floats) unless they are stored already or
    /// would exceed the limit.
    public func store(_ tokens: [Int], _ rows: [Float]) {
        precondition(rows.count == tokens.count * width, "FrozenPrefixCache: \(rows.count) floats for \(tokens.count) tokens of width \(width)")
        guard entries[tokens] == nil else { return }
        guard (storage.count + rows.count) * MemoryLayout<Float>.size <= limitBytes else { skipped += 1; return }
        entries[tokens] = (storage.count, rows.count)
        storage.append(contentsOf: rows)
    }

    /// Drops every entry and resets the counters.
    public func removeAll() {
        storage = []
        entries = [:]
        hits = 0
        misses = 0
        skipped = 0
    }

    /// An empty cache with the same width and limit.
    public func emptyCopy() -> FrozenPrefixCache { FrozenPrefixCache(width: width, limitBytes: limitBytes) }
}
