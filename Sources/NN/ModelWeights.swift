import Foundation
import Support
import Tensors

/// A source of named tensors a model loads from: one safetensors file, a sharded safetensors
/// checkpoint, or a GGUF file seen under Hugging Face names. Names are the checkpoint's own
/// (`model.layers.0.self_attn.q_proj.weight`).
public protocol ModelWeights {
    /// The file or folder, for error messages.
    var path: String { get }
    /// Every tensor name the source holds.
    var tensorNames: [String] { get }
    /// The shape of `name`, or nil when the source has no such tensor.
    func shape(of name: String) -> [Int]?
    /// The tensor called `name` as Float32.
    func tensor(_ name: String) throws -> Tensor
}

extension SafetensorsFile: ModelWeights {
    public var tensorNames: [String] { names }
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }
}

/// A checkpoint split over several safetensors files by `model.safetensors.index.json`
/// (`{"metadata": {...}, "weight_map": {"tensor name": "model-00001-of-00003.safetensors", ...}}`),
/// as transformers' `save_pretrained(max_shard_size:)` writes it. Each shard is memory-mapped
/// once; the index is checked against the shards when opened (every shard present and every
/// listed tensor in its shard).
public final class ShardedSafetensors: ModelWeights {
    public let path: String
    /// Shard file name by tensor name.
    public let weightMap: [String: String]
    private let shards: [String: SafetensorsFile]

    public init(indexPath: String) throws {
        path = indexPath
        let o = try JSONFile.object(indexPath, what: "shard index")
        guard let map = o["weight_map"]?.objectValue else {
            throw CheckpointError(path: indexPath, problem: "not a shard index: no 'weight_map' object")
        }
        var weightMap: [String: String] = [:]
        for (name, file) in map {
            // A file name beside the index: no absolute path, no way out of the folder.
            guard let f = file.stringValue, !f.isEmpty, !f.hasPrefix("/"), !f.contains("..") else {
                throw CheckpointError(path: indexPath, problem: "weight_map entry '\(name)' is not a shard file name beside the index")
            }
            weightMap[name] = f
        }
        let folder = (indexPath as NSString).deletingLastPathComponent
        var shards: [String: SafetensorsFile] = [:]
        for file in Set(weightMap.values).sorted() {
            let shardPath = (folder as NSString).appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw CheckpointError(path: indexPath, problem: "shard '\(file)' listed in the index is missing")
            }
            shards[file] = try SafetensorsFile(path: shardPath)
        }
        for (name, file) in weightMap where shards[file]!.entries[name] == nil {
            throw CheckpointError(path: shards[file]!.path, problem: "the index says it holds '\(name)', but it does not")
        }
        self.weightMap = weightMap
        self.shards = shards
    }

    public var tensorNames: [String] { weightMap.keys.sorted() }

    public func shape(of name: String) -> [Int]? {
        weightMap[name].flatMap { shards[$0]?.entries[name]?.shape }
    }

    public func tensor(_ name: String) throws -> Tensor {
        guard let file = weightMap[name], let shard = shards[file] else {
            throw CheckpointError(path: path, problem: "no tensor named '\(name)' in the shard index")
        }
        return try shard.tensor(name)
    }
}

/// The files of a Hugging Face model folder.
public enum HuggingFaceFolder {
    /// Opens the weights: `model.safetensors`, else the sharded `model.safetensors.index.json`.
    /// The error says what was looked for.
    public static func weights(in directory: String) throws -> ModelWeights {
        let single = (directory as NSString).appendingPathComponent("model.safetensors")
        let index = (directory as NSString).appendingPathComponent("model.safetensors.index.json")
        if FileManager.default.fileExists(atPath: single) { return try SafetensorsFile(path: single) }
        if FileManager.default.fileExists(atPath: index) { return try ShardedSafetensors(indexPath: index) }
        let torchFile = FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("pytorch_model.bin"))
        throw CheckpointError(path: directory, problem: "missing model weights: neither model.safetensors nor model.safetensors.index.json"
                              + (torchFile ? " (pytorch_model.bin is not read; convert it to safetensors)" : ""))
    }
}
