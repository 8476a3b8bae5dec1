import Foundation
import Tensors
import Autodiff

extension BertModel {
    /// Loads a Hugging Face BERT directory: `config.json` and `model.safetensors` (memory-mapped;
    /// F32, F16 or BF16, converted to Float32).
    ///
    /// Tensor names are Hugging Face's (`embeddings.word_embeddings.weight`,
    /// `encoder.layer.0.attention.self.query.weight`, ...), optionally all under a `bert.` prefix
    /// (checkpoints of `BertFor*` heads); old `LayerNorm.gamma`/`beta` names are accepted too.
    /// `pooler.dense.*` is optional: without it the model has no pooler. Extra tensors (heads,
    /// `position_ids`) are ignored. Errors name the file and every missing tensor or the
    /// mismatched shapes. The model is returned in eval mode.
    public static func load(directory: String) throws -> BertModel {
        let config = try BertConfig.load(path: directory + "/config.json")
        let weightsPath = directory + "/model.safetensors"
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw CheckpointError(path: weightsPath, problem: "missing model weights (model.safetensors)"
                                  + (FileManager.default.fileExists(atPath: directory + "/pytorch_model.bin")
                                     ? "; pytorch_model.bin is not read, convert it to safetensors" : ""))
        }
        let file = try SafetensorsFile(path: weightsPath)
        return try load(config: config, weights: file)
    }

    /// A model for `config` with the tensors of `weights` (see `load(directory:)`).
    public static func load(config: BertConfig, weights file: SafetensorsFile) throws -> BertModel {
        let prefix = file.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        let hasPooler = file.entries[prefix + "pooler.dense.weight"] != nil
        // Before the model is built: a config far larger than the weights would allocate first.
        try ConfigBounds.check(config.parameterLowerBound, configPath: (file.path as NSString).deletingLastPathComponent + "/config.json", weightsPath: file.path,
                               held: ConfigBounds.elements(of: file))
        let model = BertModel(config: config, pooler: hasPooler)
        func stored(_ name: String) -> String? {
            let full = prefix + name
            if file.entries[full] != nil { return full }
            if name.hasSuffix("LayerNorm.weight") { let g = String(full.dropLast(6)) + "gamma"; if file.entries[g] != nil { return g } }
            if name.hasSuffix("LayerNorm.bias") { let b = String(full.dropLast(4)) + "beta"; if file.entries[b] != nil { return b } }
            return nil
        }
        let named = model.namedParameters()
        var missing: [String] = []
        var mismatched: [String] = []
        for (name, p) in named {
            guard let s = stored(name) else { missing.append(prefix + name); continue }
            let shape = file.entries[s]!.shape
            if shape != p.value.shape {
                mismatched.append("\(s): file \(Tensor.describe(shape)), config needs \(Tensor.describe(p.value.shape))")
            }
        }
        if !missing.isEmpty {
            throw CheckpointError(path: file.path, problem: "missing tensor\(missing.count == 1 ? "" : "s") for a BERT model (\(missing.count)): "
                                  + missing.prefix(12).joined(separator: ", ") + (missing.count > 12 ? ", ..." : ""))
        }
        if !mismatched.isEmpty {
            throw CheckpointError(path: file.path, problem: "shape mismatch with config.json: " + mismatched.joined(separator: "; "))
        }
        for (name, p) in named { p.value = try file.tensor(stored(name)!) }
        model.colocateAttentionProjections()
        model.eval()
        return model
    }

    /// Saves the model as a Hugging Face-style directory (`config.json` + `model.safetensors`)
    /// that `load(directory:)` (and transformers' `BertModel.from_pretrained`) reads back.
    public func save(directory: String, dtype: SafetensorsDType = .F32) throws {
        try save(checkpoint: directory, config: config, dtype: dtype)
    }
}
