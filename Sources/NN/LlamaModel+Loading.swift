import Foundation
import Tensors
import Autodiff

extension LlamaModel {
    /// Loads a Hugging Face model folder: `config.json` (`LlamaForCausalLM` or `Qwen2ForCausalLM`)
    /// and `model.safetensors` or a sharded `model.safetensors.index.json` (memory-mapped; F32,
    /// F16 or BF16 widened to Float32). The model is returned in eval mode.
    public static func load(directory: String) throws -> LlamaModel {
        let config = try LlamaConfig.load(path: (directory as NSString).appendingPathComponent("config.json"))
        return try load(config: config, weights: try HuggingFaceFolder.weights(in: directory))
    }

    /// A model for `config` with the tensors of `weights`, under Hugging Face names.
    ///
    /// Every parameter must be present with the shape the config gives it; the error names the
    /// source and lists every missing tensor (and what the source does hold when nothing
    /// matches) or every mismatched shape. Extra tensors are ignored (`lm_head.weight` of a tied
    /// model, rotary `inv_freq` buffers). Nothing is half-loaded: all names and shapes are
    /// checked before any tensor is read.
    public static func load(config: LlamaConfig, weights: ModelWeights) throws -> LlamaModel {
        // Before the model is built: a config far larger than the weights would allocate first.
        let configPath = weights.path.hasSuffix(".gguf") ? weights.path : (weights.path as NSString).deletingLastPathComponent + "/config.json"
        try ConfigBounds.check(config.parameterLowerBound, configPath: configPath, weightsPath: weights.path,
                               held: ConfigBounds.elements(of: weights))
        let model = LlamaModel(config: config, initialize: false)
        let named = model.namedParameters()
        var missing: [String] = []
        var mismatched: [String] = []
        for (name, p) in named {
            guard let shape = weights.shape(of: name) else { missing.append(name); continue }
            if shape != p.value.shape {
                mismatched.append("\(name): file \(Tensor.describe(shape)), config needs \(Tensor.describe(p.value.shape))")
            }
        }
        if !missing.isEmpty {
            let kind = "a \(config.architecture.huggingFaceClass) with \(config.numHiddenLayers) layers"
                + (config.tieWordEmbeddings ? " and tied embeddings" : "")
            var problem = "missing tensor\(missing.count == 1 ? "" : "s") for \(kind) (\(missing.count)): "
                + missing.prefix(12).joined(separator: ", ") + (missing.count > 12 ? ", ..." : "")
            if missing.count == named.count {
                let held = weights.tensorNames
                problem += "; the file holds \(held.count) tensors: " + held.prefix(6).joined(separator: ", ") + (held.count > 6 ? ", ..." : "")
            }
            throw CheckpointError(path: weights.path, problem: problem)
        }
        if !mismatched.isEmpty {
            throw CheckpointError(path: weights.path, problem: "shape mismatch with the config: " + mismatched.joined(separator: "; "))
        }
        for (name, p) in named { p.value = try weights.tensor(name) }
        model.colocateProjections()
        model.eval()
        return model
    }
}
