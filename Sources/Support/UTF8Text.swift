import Foundation

/// The one rule for reading text files (data files, JSON, CSV, the language's `read_file`): a
/// leading byte-order mark (EF BB BF) is skipped, and bytes that are not UTF-8 are an error naming
/// the byte offset of the first bad byte (never silently replaced by U+FFFD, which would change
/// ids and step texts without a word).
public enum UTF8Text {
    /// 3 when `bytes` start with the UTF-8 byte-order mark, else 0.
    public static func byteOrderMarkLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }

    /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence
    /// (overlong forms, surrogates and code points above U+10FFFF included), or nil.
    public static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the allowed range of the second byte
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F  // no UTF-16 surrogates
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F  // nothing above U+10FFFF
            default: return i
            }
            guard i + length <= n else { return i }
            guard bytes[i + 1] >= low, bytes[i + 1] <= high else { return i }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }

    /// The problem of `bytes` as text, for an error message ("invalid UTF-8 at byte offset 17
    /// (0xff)"), or nil when they are UTF-8.
    public static func problem(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        firstInvalidOffset(bytes).map { "invalid UTF-8 at byte offset \($0) (0x\(String(bytes[$0], radix: 16)))" }
    }

    /// `bytes` as a string, the byte-order mark skipped; throws `FileError` naming `path` and the offset.
    public static func decode(_ bytes: [UInt8], path: String) throws -> String {
        try bytes.withUnsafeBufferPointer { buffer in
            if let p = problem(buffer) { throw FileError(path: path, .read, problem: p) }
            let skip = byteOrderMarkLength(buffer)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[skip...]), as: UTF8.self)
        }
    }

    /// The text of the file at `path` by the rule above; a missing or unreadable file is a `FileError`.
    public static func read(path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            throw FileError(path: path, .read, problem: !exists ? "no such file" : isDirectory.boolValue ? "is a folder, not a file" : "cannot read (permission denied?)")
        }
        return try decode([UInt8](data), path: path)
    }
}
