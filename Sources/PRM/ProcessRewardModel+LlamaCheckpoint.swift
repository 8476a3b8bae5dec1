import Foundation
import Tensors
import NN
import Datasets
import Support

/// `prm.json` of a language-model PRM checkpoint: what the Hugging Face files cannot say.
struct LlamaPRMCheckpointConfig: Codable {
    var format: String
    var backbone: String
    var vocabularySize: Int
    /// Blocks trained from the top (nil: every parameter).
    var trainableLayers: Int?
    var model: PRMConfig

    static let formatTag = "dprm-prm-llama-v1"

    enum CodingKeys: String, CodingKey {
        case format, backbone, vocabularySize = "vocabulary_size", trainableLayers = "trainable_layers", model
    }
}

extension ProcessRewardModel {
    /// Tokenizer files copied from a Hugging Face source folder into a checkpoint.
    static let languageModelTokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"]

    /// Saves a language-model PRM as a Hugging Face model folder that transformers loads
    /// (`AutoTokenizer`, `AutoModelForCausalLM`) and that gives the same ids and scores there:
    /// `config.json` (the llama/Qwen2 config), `model.safetensors` (Float32, Hugging Face names; a
    /// tied head is the embedding matrix alone, as transformers saves it), the tokenizer files
    /// (copied from a source folder, or written from the BPE tokenizer when the source was a GGUF
    /// file: `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`), and `prm.json`
    /// (format, `max_length`, `trainable_layers`). LoRA adapters are merged into the weights they
    /// adapt (`stateDictForSaving`), so the folder is a plain model. Atomic as a whole.
    func saveLanguageModel(_ llama: LlamaPRMBackbone, to directory: String, extraFiles: [String: Data]) throws {
        guard let bpe = tokenizer as? BPETokenizer else {
            throw PRMError.invalidOption("cannot save the PRM to \(directory): a language-model PRM needs its BPE tokenizer")
        }
        var files = extraFiles
        var isFolder: ObjCBool = false
        let fromFolder = FileManager.default.fileExists(atPath: llama.source, isDirectory: &isFolder) && isFolder.boolValue
            && FileManager.default.fileExists(atPath: llama.source + "/tokenizer.json")
        if fromFolder {
            for name in Self.languageModelTokenizerFiles where files[name] == nil {
                if let d = FileManager.default.contents(atPath: llama.source + "/" + name) { files[name] = d }
            }
        } else {
            func bytes(_ v: JSONValue) -> Data { Data((v.serialized(pretty: true) + "\n").utf8) }
            do {
                files["tokenizer.json"] = bytes(try bpe.huggingFaceTokenizerJSON())
            } catch { throw PRMError.invalidOption("cannot save the PRM to \(directory): \(error)") }
            files["tokenizer_config.json"] = bytes(bpe.huggingFaceTokenizerConfigJSON(modelMaxLength: llama.config.maxPositionEmbeddings))
            files["special_tokens_map.json"] = bytes(bpe.huggingFaceSpecialTokensMapJSON())
        }
        let meta = LlamaPRMCheckpointConfig(format: LlamaPRMCheckpointConfig.formatTag, backbone: "llama",
                                            vocabularySize: vocabularySize, trainableLayers: llama.trainableLayers, model: config)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        files[BackboneCheckpointConfig.file] = try encoder.encode(meta)
        let configBytes = Data((llama.config.huggingFaceJSON().serialized(pretty: true) + "\n").utf8)
        try Checkpoint.save(directory: directory, tensors: llama.stateDictForSaving, config: configBytes, extraFiles: files)
    }

    /// Loads a checkpoint written by `saveLanguageModel` (errors: `PRMError.badCheckpoint`).
    static func loadLanguageModelPRM(from directory: String, metaBytes: Data) throws -> ProcessRewardModel {
        func bad(_ problem: String) -> PRMError { .badCheckpoint(path: directory, problem: problem) }
        let meta: LlamaPRMCheckpointConfig
        do { meta = try JSONDecoder().decode(LlamaPRMCheckpointConfig.self, from: metaBytes) } catch {
            throw bad("\(BackboneCheckpointConfig.file) does not parse: \(error)")
        }
        guard meta.format == LlamaPRMCheckpointConfig.formatTag else {
            throw bad("\(BackboneCheckpointConfig.file) has format '\(meta.format)', expected '\(LlamaPRMCheckpointConfig.formatTag)'")
        }
        let model: PretrainedLanguageModel
        do { model = try loadLanguageModel(path: directory) } catch { throw bad("\(error)") }
        let prm: ProcessRewardModel
        do {
            prm = try ProcessRewardModel(languageModel: model, maxLength: meta.model.maxLength, trainableLayers: meta.trainableLayers)
        } catch { throw bad("\(error)") }
        guard prm.vocabularySize == meta.vocabularySize else {
            throw bad("the model has \(prm.vocabularySize) tokens but \(BackboneCheckpointConfig.file) says vocabulary_size \(meta.vocabularySize)")
        }
        return prm
    }
}
