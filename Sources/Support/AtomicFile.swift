import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so a reader sees the old content or the new, never a torn one: a temporary file
/// in the same folder (so the rename stays on one file system), written in full, `fsync`ed,
/// then `rename`d over the target, and the folder `fsync`ed so the rename itself is durable.
/// The one atomic writer of the package (checkpoints, datasets, figures, the language's
/// `write_file`, reports).
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        try write(to: path) { temporary in
            let fd = open(temporary, O_WRONLY | O_TRUNC)
            guard fd >= 0 else { throw FileError(path: path, .write, problem: "cannot open \(temporary): \(errnoText())") }
            defer { close(fd) }
            var written = 0
            while written < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(path: path, .write, problem: "write failed: \(errnoText())")
                }
                written += n
            }
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { try write($0, to: path) }
    }

    /// Writes `text` as UTF-8 to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0), to: path) }
    }

    /// Atomic write for producers that write a file themselves (a PNG encoder, gnuplot):
    /// `produce` gets the path of an empty temporary file beside `path` and fills it; the file
    /// is then `fsync`ed and renamed over `path`. The temporary file is removed when `produce`
    /// throws or any step fails, so a failed write leaves nothing behind.
    public static func write(to path: String, _ produce: (_ temporary: String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw FileError(path: path, .write, problem: "folder '\(folder)' does not exist")
        }
        var template = Array((folder + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileError(path: path, .write, problem: "cannot create a temporary file in \(folder): \(errnoText())") }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fchmod(fd, 0o644)  // mkstemp makes 0600; written files are ordinary files
        close(fd)
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        try produce(temporary)
        let written = open(temporary, O_RDONLY)
        guard written >= 0 else { throw FileError(path: path, .write, problem: "no output was written (\(errnoText()))") }
        let synced = fsync(written) == 0
        let syncError = errnoText()
        close(written)
        guard synced else { throw FileError(path: path, .write, problem: "fsync failed: \(syncError)") }
        guard rename(temporary, path) == 0 else {
            throw FileError(path: path, .write, problem: "cannot rename \(temporary) over it: \(errnoText())")
        }
        renamed = true
        syncDirectory(folder)
    }

    /// `fsync`s a folder so renames inside it are on disk (best effort: some file systems
    /// refuse to sync a folder, and the data itself is already synced).
    public static func syncDirectory(_ folder: String) {
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// The text of the current `errno`.
    public static func errnoText() -> String { String(cString: strerror(errno)) }
}
