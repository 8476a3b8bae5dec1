import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

/// The memory-mapped file behind a file-backed `FrozenPrefixCache`: a header and an append-only
/// log of records, mapped shared and read and written in place, so the stored rows live in the
/// page cache (the kernel writes them back and can drop them under memory pressure) rather than
/// in the process's heap, and survive the process for the next run with the same model.
///
/// Layout (native little-endian; every offset a multiple of 8):
///
///     header, 64 bytes: magic "DPRMFRZ1", version, width, key, used (record bytes committed),
///                       entries, checksum of the previous six words, reserved
///     record:           token count n, checksum of (n, tokens, rows), n Int64 token ids,
///                       n * width Float32 rows, zero padding to a multiple of 8
///
/// A record is written in full before `used` in the header is advanced past it, so a process
/// killed mid-write leaves a file whose committed prefix is intact. Opening checks everything
/// (magic, version, width, key, header checksum, every record's bounds and checksum); a file
/// that fails any check is not used: it is emptied and rebuilt, and `opening` says why. Only one
/// process may have the file open (an exclusive `flock`); a second gets an error.
///
/// The file grows with `posix_fallocate` before a record is written into the mapping, so a full
/// disk is a refused store (the rows are then recomputed, as beyond the size limit), never a
/// SIGBUS on a page the file system could not back.
final class FrozenCacheFile {
    static let headerBytes = 64
    static let version: UInt64 = 1
    /// "DPRMFRZ1" read as a little-endian UInt64.
    static let magic: UInt64 = Array("DPRMFRZ1".utf8).enumerated().reduce(0) { $0 | (UInt64($1.element) << UInt64(8 * $1.offset)) }

    let path: String
    let width: Int
    /// Most record bytes the file may hold (the file is at most `headerBytes + limitBytes`).
    let limitBytes: Int
    private(set) var key: UInt64
    /// Record bytes committed.
    private(set) var used = 0
    private(set) var entryCount = 0
    private(set) var opening: FrozenPrefixCache.FileOpening = .created
    /// The last failure to grow the file (a full disk, a quota), if any.
    private(set) var lastWriteError: String?
    private let fd: Int32
    private let base: UnsafeMutableRawPointer
    private let mappedBytes: Int
    private var fileBytes: Int

    /// Bytes a record of `tokens` tokens takes in the file.
    static func recordBytes(tokens: Int, width: Int) -> Int {
        16 + 8 * tokens + (4 * tokens * width + 7) / 8 * 8
    }

    /// Opens or creates the cache file at `path` and returns it with the entries of a reused file
    /// (token sequence, byte offset of its rows, float count).
    static func open(path: String, width: Int, key: UInt64, limitBytes: Int) throws -> (FrozenCacheFile, [([Int], Int, Int)]) {
        let file = try FrozenCacheFile(path: path, width: width, key: key, limitBytes: limitBytes)
        return (file, file.load())
    }

    private init(path: String, width: Int, key: UInt64, limitBytes: Int) throws {
        self.path = path
        self.width = width
        self.key = key
        self.limitBytes = limitBytes
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw FileError(path: path, .write, problem: "is a folder; the frozen-output cache needs a file path")
        }
        let fd = Glibc.open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw FileError(path: path, .write, problem: "cannot open the frozen-output cache: \(AtomicFile.errnoText())") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let why = errno == EWOULDBLOCK ? "in use by another process (or another PRM of this one); give each its own cache file" : AtomicFile.errnoText()
            close(fd)
            throw FileError(path: path, .write, problem: "cannot lock the frozen-output cache: \(why)")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let why = AtomicFile.errnoText()
            close(fd)
            throw FileError(path: path, .write, problem: "cannot stat the frozen-output cache: \(why)")
        }
        // The mapping covers the largest file the limit allows; the file itself grows as records
        // arrive, and only pages inside the file are ever touched.
        let (mapped, overflow) = Self.headerBytes.addingReportingOverflow(limitBytes)
        guard !overflow, let map = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            let why = AtomicFile.errnoText()
            close(fd)
            throw FileError(path: path, .write, problem: "cannot map \(limitBytes) bytes of frozen-output cache: \(why)")
        }
        self.fd = fd
        base = map
        mappedBytes = mapped
        fileBytes = Int(st.st_size)
    }

    deinit {
        munmap(base, mappedBytes)
        close(fd)  // releases the lock
    }

    private func word(_ offset: Int) -> UInt64 { base.load(fromByteOffset: offset, as: UInt64.self) }
    private func setWord(_ offset: Int, _ value: UInt64) { base.storeBytes(of: value, toByteOffset: offset, as: UInt64.self) }

    private func headerChecksum() -> UInt64 { Checksum64.of(UnsafeRawBufferPointer(start: base, count: 48)) }

    /// Validates an existing file and lists its records, or empties it.
    private func load() -> [([Int], Int, Int)] {
        guard fileBytes > 0 else { reset(key: key, why: nil); return [] }
        let readable = Swift.min(fileBytes, mappedBytes)
        func rebuild(_ why: String) -> [([Int], Int, Int)] { reset(key: key, why: why); return [] }
        guard readable >= Self.headerBytes else { return rebuild("shorter than its header") }
        guard word(0) == Self.magic else { return rebuild("not a dprm frozen-output cache") }
        guard word(8) == Self.version else { return rebuild("format version \(word(8)), this build writes \(Self.version)") }
        guard word(48) == headerChecksum() else { return rebuild("damaged header") }
        guard word(16) == UInt64(width) else { return rebuild("rows of width \(word(16)), this model's are \(width)") }
        guard word(24) == key else { return rebuild("built for other frozen weights or settings") }
        let committed = Int(clamping: word(32)), count = Int(clamping: word(40))
        guard committed <= fileBytes - Self.headerBytes else { return rebuild("header claims \(committed) record bytes, the file holds \(fileBytes - Self.headerBytes)") }
        var out: [([Int], Int, Int)] = []
        var offset = Self.headerBytes
        let end = Self.headerBytes + committed
        while offset < end {
            if offset + 16 > mappedBytes { break }   // written under a larger limit
            guard end - offset >= 16 else { return rebuild("record \(out.count) is truncated") }
            let n = Int(clamping: word(offset))
            guard n > 0, n <= (end - offset) / 8 else { return rebuild("record \(out.count) claims \(n) tokens") }
            let size = Self.recordBytes(tokens: n, width: width)
            guard size <= end - offset else { return rebuild("record \(out.count) overruns the committed bytes") }
            // A file written under a larger limit keeps the records that fit this one.
            if offset + size - Self.headerBytes > limitBytes { break }
            guard word(offset + 8) == recordChecksum(at: offset, tokens: n) else { return rebuild("record \(out.count) fails its checksum") }
            let tokens = (0..<n).map { Int(Int64(bitPattern: word(offset + 16 + 8 * $0))) }
            out.append((tokens, offset + 16 + 8 * n, n * width))
            offset += size
        }
        guard out.count == count || offset < end else { return rebuild("header counts \(count) records, the file holds \(out.count)") }
        used = offset - Self.headerBytes
        entryCount = out.count
        if offset < end { writeHeader() }   // records beyond this limit are dropped
        // Bytes past the committed records (a larger old limit, a write cut short) are given back.
        if fileBytes > offset, ftruncate(fd, off_t(offset)) == 0 { fileBytes = offset }
        opening = .reused(entries: out.count)
        return out
    }

    private func recordChecksum(at offset: Int, tokens n: Int) -> UInt64 {
        var c = Checksum64()
        c.add(UInt64(n))
        c.add(UnsafeRawBufferPointer(start: base + offset + 16, count: 8 * n + 4 * n * width))
        return c.value
    }

    private func writeHeader() {
        setWord(0, Self.magic)
        setWord(8, Self.version)
        setWord(16, UInt64(width))
        setWord(24, key)
        setWord(32, UInt64(used))
        setWord(40, UInt64(entryCount))
        setWord(48, headerChecksum())
        setWord(56, 0)
    }

    /// Empties the file and keys it to `key` (`why`: the reason an existing file was not used).
    func reset(key: UInt64, why: String? = nil) {
        self.key = key
        used = 0
        entryCount = 0
        if ftruncate(fd, off_t(Self.headerBytes)) == 0 {
            fileBytes = Self.headerBytes
            writeHeader()
        } else {
            lastWriteError = "cannot truncate: \(AtomicFile.errnoText())"
            fileBytes = 0
        }
        if let why { opening = .rebuilt(why) }
    }

    /// Appends the record of `tokens` and returns the byte offset of its rows, or nil when it would
    /// exceed the limit or the file cannot grow (`lastWriteError`).
    func append(_ tokens: [Int], _ rows: [Float]) -> Int? {
        let size = Self.recordBytes(tokens: tokens.count, width: width)
        guard fileBytes >= Self.headerBytes, used + size <= limitBytes else { return nil }
        let offset = Self.headerBytes + used
        if fileBytes < offset + size {
            let status = posix_fallocate(fd, off_t(fileBytes), off_t(offset + size - fileBytes))
            guard status == 0 else { lastWriteError = String(cString: strerror(status)); return nil }
            fileBytes = offset + size
        }
        setWord(offset, UInt64(tokens.count))
        for (i, t) in tokens.enumerated() { setWord(offset + 16 + 8 * i, UInt64(bitPattern: Int64(t))) }
        let rowsAt = offset + 16 + 8 * tokens.count
        rows.withUnsafeBytes { (base + rowsAt).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let padded = offset + size - (rowsAt + 4 * rows.count)
        if padded > 0 { (base + rowsAt + 4 * rows.count).initializeMemory(as: UInt8.self, repeating: 0, count: padded) }
        setWord(offset + 8, recordChecksum(at: offset, tokens: tokens.count))
        used += size
        entryCount += 1
        writeHeader()   // the commit: the record is complete before `used` covers it
        return rowsAt
    }

    /// The `count` floats at byte offset `offset`.
    func rows(at offset: Int, count: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: (base + offset).assumingMemoryBound(to: Float.self), count: count)
    }
}
