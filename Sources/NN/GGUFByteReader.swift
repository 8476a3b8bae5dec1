/// Reads little-endian fields from a GGUF file's bytes, front to back, checking each read
/// against the end of the file first.
///
/// Release builds use -Ounchecked, which removes Swift's overflow and bounds traps, so nothing
/// here relies on them: every length is compared with the bytes that are left (`count - offset`,
/// which cannot overflow since `offset <= count` always holds) before any pointer is formed, and
/// 64-bit counts from the file are converted to Int only when they fit.
struct GGUFByteReader {
    let base: UnsafeRawPointer
    let count: Int
    let path: String
    /// The next byte to read; always `<= count`.
    private(set) var offset = 0

    init(base: UnsafeRawPointer, count: Int, path: String) {
        self.base = base
        self.count = count
        self.path = path
    }

    var remaining: Int { count - offset }

    func error(_ problem: String) -> CheckpointError { CheckpointError(path: path, problem: problem) }

    /// The next `n` bytes; `what` names the field for the error.
    mutating func take(_ n: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawPointer {
        guard n >= 0, n <= remaining else {
            throw error("truncated: \(what()) needs \(n) bytes at offset \(offset), the file has \(remaining) left")
        }
        let p = base + offset
        offset += n
        return p
    }

    mutating func fixed<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        T(littleEndian: try take(MemoryLayout<T>.size, what()).loadUnaligned(as: T.self))
    }

    mutating func u32(_ what: @autoclosure () -> String) throws -> UInt32 { try fixed(UInt32.self, what()) }
    mutating func u64(_ what: @autoclosure () -> String) throws -> UInt64 { try fixed(UInt64.self, what()) }

    /// A 64-bit count of items that each take at least `minimumSize` bytes of what follows it:
    /// more than the rest of the file can hold is an error, so no hostile count reaches an
    /// allocation or a loop.
    mutating func count(_ what: @autoclosure () -> String, minimumSize: Int) throws -> Int {
        let at = offset
        let raw = try u64(what())
        let limit = remaining / minimumSize
        guard raw <= UInt64(limit) else {
            throw error("\(what()) at offset \(at) is \(raw), more than the rest of the file can hold (\(remaining) bytes)")
        }
        return Int(raw)
    }

    /// A GGUF string: 8-byte length, then that many bytes of UTF-8 (no terminator).
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let length = try count("length of \(what())", minimumSize: 1)
        let at = offset
        let p = try take(length, what())
        guard let s = String(validating: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self) else {
            throw error("\(what()) at offset \(at) is not valid UTF-8")
        }
        return s
    }

}
