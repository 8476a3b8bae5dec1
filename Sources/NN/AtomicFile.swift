import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so a reader sees the old content or the new, never a torn one:
/// a temporary file in the same folder, written in full, `fsync`ed, then `rename`d over the
/// target, and the folder `fsync`ed so the rename itself is durable.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var template = Array((folder + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CheckpointError(path: path, problem: "cannot create a temporary file in \(folder): \(errnoText())") }
        let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var ok = false
        defer { if !ok { close(fd); unlink(tmp) } }
        var written = 0
        while written < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError(path: path, problem: "write failed: \(errnoText())")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw CheckpointError(path: path, problem: "fsync failed: \(errnoText())") }
        fchmod(fd, 0o644)
        close(fd)
        ok = true
        guard rename(tmp, path) == 0 else {
            let e = errnoText()
            unlink(tmp)
            throw CheckpointError(path: path, problem: "rename from \(tmp) failed: \(e)")
        }
        syncDirectory(folder)
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { try write($0, to: path) }
    }

    /// fsyncs a folder so renames inside it are on disk.
    static func syncDirectory(_ folder: String) {
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
