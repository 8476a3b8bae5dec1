import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Tensors
import Support

/// A checkpoint directory: `model.safetensors` + `config.json` (+ extra files the caller names,
/// e.g. `optimizer.safetensors`, `trainer_state.json`).
///
/// Atomic as a whole: everything is written into a fresh temporary folder beside the target
/// (`.<name>.tmp-XXXXXX`), each file fsynced; then an existing target is renamed aside
/// (`.<name>.old-XXXXXX`), the temporary folder is renamed to the target, the parent is fsynced
/// and the old folder removed. A reader therefore sees the old checkpoint or the new one,
/// complete. If the process dies between the two renames the target is briefly absent and the
/// previous checkpoint survives as the `.old-` folder (rename it back by hand). A target that is
/// a file, or a folder holding files but neither `model.safetensors` nor `config.json`, is
/// refused: the save would delete what it holds.
public enum Checkpoint {
    public static let weightsFile = "model.safetensors"
    public static let configFile = "config.json"

    /// Writes `tensors` (as `dtype`), `config` (JSON bytes) and `extraFiles` (name -> bytes).
    public static func save(directory: String, tensors: [String: Tensor], dtype: SafetensorsDType = .F32,
                            config: Data, metadata: [String: String]? = ["format": "pt"],
                            extraFiles: [String: Data] = [:]) throws {
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        let parent = target.deletingLastPathComponent().path
        let name = target.lastPathComponent
        for file in extraFiles.keys where file.contains("/") || file == weightsFile || file == configFile || file.isEmpty {
            throw CheckpointError(path: directory, problem: "extra file name '\(file)' is not allowed (no folders, not a reserved name)")
        }
        // The save replaces the whole folder: never one that holds something else.
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CheckpointError(path: directory, problem: "is a file, not a folder: choose another path") }
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: target.path)) ?? []).sorted()
            if !entries.isEmpty && !CheckpointFolder.holdsCheckpoint(target.path) {
                throw CheckpointError(path: directory, problem: "holds files that are not a checkpoint (\(entries.prefix(5).joined(separator: ", "))\(entries.count > 5 ? ", ..." : "")): "
                                      + "saving would replace the whole folder, so choose a new or empty folder")
            }
        }
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let tmp = try makeTempDirectory(in: parent, prefix: "." + name + ".tmp-")
        var done = false
        defer { if !done { try? FileManager.default.removeItem(atPath: tmp) } }
        try Safetensors.write(tensors, to: tmp + "/" + weightsFile, dtype: dtype, metadata: metadata)
        for (file, data) in extraFiles { try AtomicFile.write(data, to: tmp + "/" + file) }
        try AtomicFile.write(config, to: tmp + "/" + configFile)
        AtomicFile.syncDirectory(tmp)
        var old: String?
        if FileManager.default.fileExists(atPath: target.path) {
            let aside = try makeTempDirectory(in: parent, prefix: "." + name + ".old-")
            rmdir(aside)
            guard rename(target.path, aside) == 0 else {
                throw CheckpointError(path: directory, problem: "cannot move the old checkpoint aside: \(AtomicFile.errnoText())")
            }
            old = aside
        }
        guard rename(tmp, target.path) == 0 else {
            let e = AtomicFile.errnoText()
            if let o = old { rename(o, target.path) }
            throw CheckpointError(path: directory, problem: "cannot rename \(tmp) into place: \(e)")
        }
        done = true
        AtomicFile.syncDirectory(parent)
        if let o = old { try? FileManager.default.removeItem(atPath: o) }
    }

    /// Writes with a `Codable` config (encoded as JSON with sorted keys).
    public static func save<C: Encodable>(directory: String, tensors: [String: Tensor], dtype: SafetensorsDType = .F32,
                                          config: C, extraFiles: [String: Data] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try save(directory: directory, tensors: tensors, dtype: dtype, config: try encoder.encode(config), extraFiles: extraFiles)
    }

    /// Opens a checkpoint directory: the weights (memory-mapped) and the config bytes.
    public static func load(directory: String) throws -> (weights: SafetensorsFile, config: Data) {
        let weights = try SafetensorsFile(path: directory + "/" + weightsFile)
        let configPath = directory + "/" + configFile
        guard let config = FileManager.default.contents(atPath: configPath) else {
            throw CheckpointError(path: configPath, problem: "missing or unreadable")
        }
        return (weights, config)
    }

    /// Opens a checkpoint and decodes its config.
    public static func load<C: Decodable>(directory: String, configType: C.Type) throws -> (weights: SafetensorsFile, config: C) {
        let (weights, data) = try load(directory: directory)
        do {
            return (weights, try JSONDecoder().decode(C.self, from: data))
        } catch {
            throw CheckpointError(path: directory + "/" + configFile, problem: "bad config: \(error)")
        }
    }

    static func makeTempDirectory(in parent: String, prefix: String) throws -> String {
        var template = Array((parent + "/" + prefix + "XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CheckpointError(path: parent, problem: "cannot create a temporary folder: \(AtomicFile.errnoText())")
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

extension Module {
    /// Saves this module's parameters and `config` as a checkpoint directory (see `Checkpoint`).
    public func save<C: Encodable>(checkpoint directory: String, config: C, dtype: SafetensorsDType = .F32,
                                   extraFiles: [String: Data] = [:]) throws {
        try Checkpoint.save(directory: directory, tensors: stateDict(), dtype: dtype, config: config, extraFiles: extraFiles)
    }

    /// Loads parameters from a safetensors file (converted to Float32). See `load(stateDict:strict:)`.
    @discardableResult
    public func load(safetensors file: SafetensorsFile, strict: Bool = true) throws -> (missing: [String], unexpected: [String]) {
        try load(stateDict: file.allTensors(), strict: strict)
    }
}
