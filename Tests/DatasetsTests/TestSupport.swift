import Foundation
import XCTest

/// Paths the tests need: the repo root (from #filePath), the shared data folder
/// (`$DPRM_SHARED`, else `../shared/data` beside the repo), fixtures and a scratch folder.
enum TestPaths {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var shared: String {
        // DPRM_SHARED may name the shared folder (scripts/test sets it so) or its data folder.
        if let env = ProcessInfo.processInfo.environment["DPRM_SHARED"], !env.isEmpty {
            let data = env + "/data"
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: data, isDirectory: &isDir) && isDir.boolValue ? data : env
        }
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data").standardizedFileURL.path
    }

    /// The path of `relative` inside the shared data, or an XCTSkip naming it when absent.
    static func sharedFile(_ relative: String) throws -> String {
        let path = shared + "/" + relative
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("shared data not found at \(path) (set DPRM_SHARED to the data folder)")
        }
        return path
    }

    static var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }

    /// A fresh temporary folder.
    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("dprm-datasets-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    /// Writes `text` to a new file in a scratch folder and returns its path.
    static func write(_ text: String, name: String) throws -> String {
        let path = try scratch() + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
