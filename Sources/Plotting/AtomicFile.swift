import Foundation

/// Writes a file so that readers see either the old file or the complete new one: the content
/// goes to a temporary file in the same directory, which is renamed over the target at the end.
enum AtomicFile {
    /// A fresh temporary path beside `path` (same directory, so `rename` stays on one file system).
    static func temporaryPath(for path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PlotError.io(path: path, message: "directory \(directory) does not exist")
        }
        let token = UInt64.random(in: 0...UInt64.max) & 0xffff_ffff_ffff
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid())-\(String(token, radix: 16)).tmp").path
    }

    /// Runs `write` with a temporary path, then renames the result over `path`; the temporary
    /// file is removed if `write` throws or the rename fails.
    static func write(to path: String, _ write: (String) throws -> Void) throws {
        let temporary = try temporaryPath(for: path)
        do {
            try write(temporary)
            guard FileManager.default.fileExists(atPath: temporary) else {
                throw PlotError.io(path: path, message: "no output was written")
            }
            guard rename(temporary, path) == 0 else {
                throw PlotError.io(path: path, message: "cannot replace the file: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
