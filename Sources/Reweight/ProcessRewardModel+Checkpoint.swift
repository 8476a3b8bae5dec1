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
    public func save(to directory: String, extraFiles: [String: Data] = [:]) throws {
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
        func bad(_ problem: String) -> PRMError { .badCheckpoint(path: directory, problem: problem) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw bad("no such directory")
        }
        guard isDirectory.boolValue else { throw bad("not a directory (a checkpoint is a directory with \(Checkpoint.weightsFile), \(Checkpoint.configFile), \(tokenizerFile))") }
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
        let model = ProcessRewardModel(config: config.model, tokenizer: tokenizer, seed: 0)
        do { try model.network.load(safetensors: weights) } catch { throw bad("\(Checkpoint.weightsFile): \(error)") }
        return model
    }
}
