import Foundation

/// The outputs of a backbone's frozen blocks per token sequence, so that a training instance
/// seen again (the next cold-start epoch, the lower level of reweighting, the darts probes, the
/// meta set) skips them: the frozen blocks never change, and causal attention with padding keys
/// masked makes a row's outputs depend only on its own tokens.
///
/// Entries are [tokens x width] Float32 rows, keyed by the exact token sequence, capped at
/// `limitBytes`. They live either in memory (one growing buffer; the limit counts the rows'
/// bytes) or in a memory-mapped file (`init(width:limitBytes:path:key:)`, `FrozenCacheFile`;
/// the limit counts the file's records, token ids and a 16-byte record header included, so the
/// file never exceeds 64 bytes + the limit). When the next entry would not fit it is not stored
/// (the rows are then recomputed on every visit: correct, just slower), and `skipped` counts it.
/// Nothing is evicted: a training set visited in a fixed order would evict every entry before
/// its next use under LRU, so keeping the first ones is what gives hits.
///
/// `key` fingerprints what the rows were computed from (`LlamaPRMBackbone.frozenFingerprint`:
/// the frozen weights, the number of frozen blocks, the settings that change a row). A file
/// written under another key is never read: it is emptied and rebuilt (`fileOpening` says so).
public final class FrozenPrefixCache {
    /// How a cache file was found when the cache was opened.
    public enum FileOpening: Equatable, Sendable {
        /// No file (or an empty one): a new cache.
        case created
        /// A file of this model and settings; its entries are reused.
        case reused(entries: Int)
        /// A file that could not be used (the reason: another model or settings, damage); emptied.
        case rebuilt(String)
    }

    /// Width of a row (the hidden size).
    public let width: Int
    /// The most bytes the stored entries may take.
    public let limitBytes: Int
    /// Fingerprint of what the rows were computed from.
    public private(set) var key: UInt64
    /// The cache file, nil for an in-memory cache.
    public var path: String? { file?.path }
    private var storage: [Float] = []
    private let file: FrozenCacheFile?
    /// Where an entry's rows are: a float index into `storage`, or a byte offset into the file.
    private var entries: [[Int]: (start: Int, count: Int)] = [:]
    /// Look-ups that found their sequence.
    public private(set) var hits = 0
    /// Look-ups that did not.
    public private(set) var misses = 0
    /// Entries not stored because the cache was full (or its file could not grow).
    public private(set) var skipped = 0

    /// An in-memory cache.
    public init(width: Int, limitBytes: Int, key: UInt64 = 0) {
        precondition(width > 0 && limitBytes >= 0, "FrozenPrefixCache: width must be positive and the limit non-negative")
        self.width = width
        self.limitBytes = limitBytes
        self.key = key
        file = nil
    }

    /// A cache in the memory-mapped file at `path`, created if missing. A file left by an earlier
    /// run with the same `key` and width is reused; any other file is emptied and rebuilt. Throws
    /// a `FileError` naming the path when it cannot be created, locked or mapped.
    public init(width: Int, limitBytes: Int, path: String, key: UInt64) throws {
        precondition(width > 0 && limitBytes >= 0, "FrozenPrefixCache: width must be positive and the limit non-negative")
        self.width = width
        self.limitBytes = limitBytes
        self.key = key
        let (file, found) = try FrozenCacheFile.open(path: path, width: width, key: key, limitBytes: limitBytes)
        self.file = file
        for (tokens, offset, count) in found { entries[tokens] = (offset, count) }
    }

    /// How the file was found (nil for an in-memory cache).
    public var fileOpening: FileOpening? { file?.opening }

    /// Why the file last refused to grow (a full disk), if it did.
    public var fileWriteError: String? { file?.lastWriteError }

    /// Sequences stored.
    public var count: Int { entries.count }
    /// Bytes the stored entries take (rows in memory; records in a file).
    public var bytes: Int { file?.used ?? storage.count * MemoryLayout<Float>.size }

    /// Bytes an entry of `tokens` tokens takes in a cache file of rows of `width`.
    public static func fileEntryBytes(tokens: Int, width: Int) -> Int { FrozenCacheFile.recordBytes(tokens: tokens, width: width) }

    /// Copies the rows of `tokens` into `destination` (tokens.count * width floats) and returns
    /// true, or returns false when the sequence is not stored.
    public func read(_ tokens: [Int], into destination: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard let e = entries[tokens] else { misses += 1; return false }
        precondition(destination.count == e.count, "FrozenPrefixCache: \(destination.count) floats asked for an entry of \(e.count)")
        hits += 1
        if let file {
            _ = destination.initialize(from: file.rows(at: e.start, count: e.count))
        } else {
            storage.withUnsafeBufferPointer { src in
                _ = destination.initialize(from: src[e.start..<(e.start + e.count)])
            }
        }
        return true
    }

    /// Stores the rows of `tokens` (tokens.count * width floats) unless they are stored already or
    /// would exceed the limit.
    public func store(_ tokens: [Int], _ rows: [Float]) {
        precondition(rows.count == tokens.count * width, "FrozenPrefixCache: \(rows.count) floats for \(tokens.count) tokens of width \(width)")
        guard entries[tokens] == nil else { return }
        if let file {
            guard let offset = file.append(tokens, rows) else { skipped += 1; return }
            entries[tokens] = (offset, rows.count)
            return
        }
        guard (storage.count + rows.count) * MemoryLayout<Float>.size <= limitBytes else { skipped += 1; return }
        entries[tokens] = (storage.count, rows.count)
        storage.append(contentsOf: rows)
    }

    /// Drops every entry (a file is emptied) and resets the counters; the key stays.
    public func removeAll() { reset(key: key) }

    /// Drops every entry, resets the counters and keys the cache to `key` (the frozen part changed).
    public func reset(key: UInt64) {
        self.key = key
        storage = []
        entries = [:]
        file?.reset(key: key)
        hits = 0
        misses = 0
        skipped = 0
    }

    /// An empty in-memory cache with the same width, limit and key (a file has one owner, so a
    /// copied backbone keeps its frozen outputs in memory).
    public func emptyCopy() -> FrozenPrefixCache { FrozenPrefixCache(width: width, limitBytes: limitBytes, key: key) }
}
