import Foundation

/// Where the shared real data lives (`../shared/data` on developer machines and in CI, never in a
/// user's clone). `DPRM_SHARED` overrides it and may name the shared folder or its `data` folder.
public enum SharedData {
    /// The data folder, or nil when neither `DPRM_SHARED` nor `fallback` names an existing folder.
    /// `fallback` defaults to `../shared/data` relative to the current directory.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 fallback: String? = "../shared/data") -> String? {
        func isDirectory(_ path: String) -> Bool {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
        }
        if let env = environment["DPRM_SHARED"], !env.isEmpty {
            if isDirectory(env + "/data") { return env + "/data" }
            return isDirectory(env) ? env : nil
        }
        if let fallback, isDirectory(fallback) { return URL(fileURLWithPath: fallback).standardizedFileURL.path }
        return nil
    }
}
