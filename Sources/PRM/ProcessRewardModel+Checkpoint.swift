import Foundation
import Tensors
import NN
import Datasets

/// What `config.json` of a PRM checkpoint holds: a format tag, the model config, and the
/// vocabulary size (checked against `tokenizer.json` on load).
struct PRMCheckpointConfig: Codable {
    var format: String
    var vocabularySize: Int
    var model: PRMConfig

    static let formatTag = "dprm-prm-v1"

    enum CodingKeys: String, CodingKey {
        case format, vocabularySize = "vocabulary_size", model
    }
}

extension ProcessRewardModel {
    /// The tokenizer file of a checkpoint directory.
    public static let tokenizerFile = "tokenizer.json"

    /// Saves the model as a checkpoint directory: `model.safetensors` (Float32 weights by
    /// parameter name), `config.json` and `tokenizer.json`, written atomically as a whole (NN's
    /// `Checkpoint`). `extraFiles` adds files (for example a training history).
    /// Only a `WordTokenizer` can be saved.
    ///
    /// A BERT-backbone PRM is saved as a Hugging Face-style encoder directory instead (see
    /// `saveBackbone`), which `load(from:)` and `loadModel(path:)` both read; a language-model
    /// PRM as a Hugging Face model folder (`saveLanguageModel`) that transformers and
    /// `load(from:)` / `loadLanguageModel(path:)` read.
    /// A vision path adds `vision.json` and `vision.safetensors` (every kind of checkpoint).
    public func save(to directory: String, extraFiles: [String: Data] = [:]) throws {
        let extraFiles = extraFiles.merging(try visionFiles()) { _, vision in vision }
        if let bert = network as? BertPRMBackbone { return try saveBackbone(bert, to: directory, extraFiles: extraFiles) }
        if let llama = network as? LlamaPRMBackbone { return try saveLanguageModel(llama, to: directory, extraFiles: extraFiles) }
        guard let word = tokenizer as? WordTokenizer else {
            throw PRMError.invalidOption("cannot save a PRM whose tokenizer is \(type(of: tokenizer)); only WordTokenizer is saved in checkpoints")
        }
        var files = extraFiles
        files[Self.tokenizerFile] = Data((word.json().serialized(pretty: true) + "\n").utf8)
        let config = PRMCheckpointConfig(format: PRMCheckpointConfig.formatTag, vocabularySize: vocabularySize, model: self.config)
        try network.save(checkpoint: directory, config: config, extraFiles: files)
    }

    /// Loads a checkpoint directory written by `save(to:)`. A missing directory or file, a
    /// config or tokenizer that does not parse, or weights that do not fit the config give a
    /// `PRMError.badCheckpoint` naming the directory and the problem.
    public static func load(from directory: String) throws -> ProcessRewardModel {
        let prm = try loadText(from: directory)
        try prm.loadVision(from: directory)
        return prm
    }

    /// `load(from:)` without the vision path.
    static func loadText(from directory: String) throws -> ProcessRewardModel {
        func bad(_ problem: String) -> PRMError { .badCheckpoint(path: directory, problem: problem) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw bad("no such directory")
        }
        guard isDirectory.boolValue else { throw bad("not a directory (a checkpoint is a directory with \(Checkpoint.weightsFile), \(Checkpoint.configFile), \(tokenizerFile))") }
        if FileManager.default.fileExists(atPath: directory + "/" + BackboneCheckpointConfig.file) {
            return try loadBackbone(from: directory)
        }
        for file in [Checkpoint.weightsFile, Checkpoint.configFile, tokenizerFile]
        where !FileManager.default.fileExists(atPath: directory + "/" + file) {
            throw bad("missing \(file)")
        }
        let weights: SafetensorsFile
        let config: PRMCheckpointConfig
        do {
            (weights, config) = try Checkpoint.load(directory: directory, configType: PRMCheckpointConfig.self)
        } catch {
            throw bad("\(error)")
        }
        guard config.format == PRMCheckpointConfig.formatTag else {
            throw bad("\(Checkpoint.configFile) has format '\(config.format)', expected '\(PRMCheckpointConfig.formatTag)'")
        }
        do { try config.model.validate() } catch { throw bad("\(Checkpoint.configFile): \(error)") }
        let tokenizer: WordTokenizer
        do { tokenizer = try WordTokenizer.load(from: directory + "/" + tokenizerFile) } catch { throw bad("\(error)") }
        guard tokenizer.vocabularySize == config.vocabularySize else {
            throw bad("\(tokenizerFile) has \(tokenizer.vocabularySize) tokens but \(Checkpoint.configFile) says vocabulary_size \(config.vocabularySize)")
        }
        do {
            try ConfigBounds.check(config.model.parameterLowerBound(vocabularySize: config.vocabularySize),
                                   configPath: directory + "/" + Checkpoint.configFile, weightsPath: weights.path,
                                   held: ConfigBounds.elements(of: weights))
        } catch { throw bad("\(error)") }
        let model = ProcessRewardModel(config: config.model, tokenizer: tokenizer, seed: 0)
        do { try model.network.load(safetensors: weights) } catch { throw bad("\(Checkpoint.weightsFile): \(error)") }
        return model
    }
}

/// `prm.json` of a BERT-backbone PRM checkpoint: what `config.json` (the encoder's, Hugging Face
/// style) cannot say.
struct BackboneCheckpointConfig: Codable {
    var format: String
    var backbone: String
    var head: String
    var attention: String
    var vocabularySize: Int
    var model: PRMConfig

    static let file = "prm.json"
    static let formatTag = "dprm-prm-bert-v1"

    enum CodingKeys: String, CodingKey {
        case format, backbone, head, attention, vocabularySize = "vocabulary_size", model
    }
}

extension ProcessRewardModel {
    /// Saves a BERT-backbone PRM as an encoder directory: `config.json` (the encoder's, Hugging
    /// Face keys), `model.safetensors` (`bert.*` encoder weights and `step_head.bias`), the
    /// tokenizer files of the pretrained model (`tokenizer.json`, `vocab.txt`, ...), and
    /// `prm.json` (format tag, head, attention, `max_length`). `loadModel(path:)` reads it as a
    /// plain encoder (the `bert.` prefix is accepted, the head bias ignored); `load(from:)` reads
    /// it as this PRM. Atomic as a whole, like every checkpoint.
    func saveBackbone(_ bert: BertPRMBackbone, to directory: String, extraFiles: [String: Data]) throws {
        var files = extraFiles
        if let source = pretrained?.directory {
            for name in ["tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"] where files[name] == nil {
                if let d = FileManager.default.contents(atPath: source + "/" + name) { files[name] = d }
            }
        }
        guard files["tokenizer.json"] != nil || files["vocab.txt"] != nil else {
            throw PRMError.invalidOption("cannot save the PRM to \(directory): its pretrained model's tokenizer files (tokenizer.json or vocab.txt) are not available")
        }
        let meta = BackboneCheckpointConfig(format: BackboneCheckpointConfig.formatTag, backbone: "bert",
                                            head: "tied_word_embeddings_bias", attention: "causal",
                                            vocabularySize: vocabularySize, model: config)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        files[BackboneCheckpointConfig.file] = try encoder.encode(meta)
        try bert.save(checkpoint: directory, config: bert.bert.config, extraFiles: files)
    }

    /// Loads a checkpoint written by `saveBackbone` (errors: `PRMError.badCheckpoint`).
    static func loadBackbone(from directory: String) throws -> ProcessRewardModel {
        func bad(_ problem: String) -> PRMError { .badCheckpoint(path: directory, problem: problem) }
        let metaPath = directory + "/" + BackboneCheckpointConfig.file
        let metaBytes = FileManager.default.contents(atPath: metaPath) ?? Data()
        struct Kind: Decodable { var backbone: String? }
        if (try? JSONDecoder().decode(Kind.self, from: metaBytes))?.backbone == "llama" {
            return try loadLanguageModelPRM(from: directory, metaBytes: metaBytes)
        }
        let meta: BackboneCheckpointConfig
        do {
            meta = try JSONDecoder().decode(BackboneCheckpointConfig.self, from: metaBytes)
        } catch { throw bad("\(BackboneCheckpointConfig.file) does not parse: \(error)") }
        guard meta.format == BackboneCheckpointConfig.formatTag, meta.backbone == "bert" else {
            throw bad("\(BackboneCheckpointConfig.file) has format '\(meta.format)' backbone '\(meta.backbone)', expected '\(BackboneCheckpointConfig.formatTag)' 'bert'")
        }
        // The only head and attention this format has; another value is a different model, not a default.
        guard meta.head == "tied_word_embeddings_bias", meta.attention == "causal" else {
            throw bad("\(BackboneCheckpointConfig.file): head '\(meta.head)' attention '\(meta.attention)', expected 'tied_word_embeddings_bias' 'causal'")
        }
        do { try meta.model.validate() } catch { throw bad("\(BackboneCheckpointConfig.file): \(error)") }
        let model: PretrainedModel
        do { model = try loadModel(path: directory) } catch { throw bad("\(error)") }
        let prm = try ProcessRewardModel(pretrained: model, seed: 0, maxLength: meta.model.maxLength)
        guard prm.vocabularySize == meta.vocabularySize else {
            throw bad("the encoder has \(prm.vocabularySize) tokens but \(BackboneCheckpointConfig.file) says vocabulary_size \(meta.vocabularySize)")
        }
        let bert = prm.network as! BertPRMBackbone
        do {
            let weights = try SafetensorsFile(path: directory + "/" + Checkpoint.weightsFile)
            guard weights.entries["step_head.bias"] != nil else { throw bad("\(Checkpoint.weightsFile) has no step_head.bias") }
            let bias = try weights.tensor("step_head.bias")
            guard bias.shape == bert.headBias.value.shape else {
                throw bad("step_head.bias has shape \(Tensor.describe(bias.shape)), expected \(Tensor.describe(bert.headBias.value.shape))")
            }
            bert.headBias.value = bias.contiguous()
        } catch let e as PRMError { throw e } catch { throw bad("\(Checkpoint.weightsFile): \(error)") }
        return prm
    }
}
