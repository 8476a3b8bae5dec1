import Foundation
import Tensors
import Autodiff
import NN
import Datasets
import Support

/// A pretrained llama-family causal language model with its byte-level BPE tokenizer and chat
/// template, loaded from a GGUF file or a Hugging Face model folder (`loadLanguageModel`).
public final class PretrainedLanguageModel {
    /// The GGUF file or the folder it was loaded from.
    public let source: String
    public let model: LlamaModel
    public let tokenizer: BPETokenizer
    /// The chat format, when the model's template is ChatML (dprm does not run Jinja templates).
    public let chatTemplate: ChatMLTemplate?

    public init(source: String, model: LlamaModel, tokenizer: BPETokenizer, chatTemplate: ChatMLTemplate?) {
        self.source = source
        self.model = model
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
    }

    public var config: LlamaConfig { model.config }
    /// The longest context the model was trained for (`max_position_embeddings` / `context_length`).
    public var maxLength: Int { config.maxPositionEmbeddings }

    /// Token ids of `text`; added tokens written in the text (`<|im_start|>`) become their ids.
    /// Nothing is added around the text unless `addSpecialTokens` (then the BOS id, if any).
    public func tokenize(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        tokenizer.encode(text, addBOS: addSpecialTokens)
    }

    /// The text of `ids`; special tokens are kept unless `skipSpecialTokens`.
    public func detokenize(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }

    /// Checks ids against the model's vocabulary (a user error, not a crash).
    public func check(ids: [Int]) throws {
        if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw CheckpointError(path: source, problem: "token id \(bad) is outside the vocabulary 0..<\(config.vocabSize)")
        }
    }

    /// Next-token logits at every position, [tokens, vocab].
    public func logits(ids: [Int]) throws -> Tensor {
        guard !ids.isEmpty else { throw CheckpointError(path: source, problem: "logits of an empty sequence") }
        try check(ids: ids)
        return model.logits(ids)
    }

    /// Continues `prompt` ids by up to `maxTokens` ids (see `LlamaModel.generate`; temperature 0
    /// is greedy, above 0 seeded sampling); stops after an end-of-sequence id.
    public func generate(ids prompt: [Int], maxTokens: Int, temperature: Float = 0, seed: UInt64 = 0) throws -> [Int] {
        guard !prompt.isEmpty else { throw CheckpointError(path: source, problem: "generate: the prompt has no tokens") }
        guard maxTokens >= 0 else { throw CheckpointError(path: source, problem: "generate: max_tokens must not be negative, got \(maxTokens)") }
        try check(ids: prompt)
        var stops = Set(config.eosTokenIDs)
        if let eos = tokenizer.eosID { stops.insert(eos) }
        return model.generate(prompt: prompt, maxTokens: maxTokens, temperature: temperature, seed: seed, stopTokens: stops)
    }

    /// The text that continues `prompt` (special tokens such as `<|im_end|>` left out).
    public func generate(_ prompt: String, maxTokens: Int, temperature: Float = 0, seed: UInt64 = 0) throws -> String {
        detokenize(try generate(ids: tokenize(prompt), maxTokens: maxTokens, temperature: temperature, seed: seed),
                   skipSpecialTokens: true)
    }

    /// A conversation in the model's chat format; `addGenerationPrompt` opens the assistant's turn.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws -> String {
        guard let chatTemplate else {
            throw CheckpointError(path: source, problem: tokenizer.chatTemplate == nil
                                  ? "the model has no chat template"
                                  : "the model's chat template is not ChatML; dprm renders ChatML templates only (it does not run Jinja)")
        }
        return chatTemplate.render(messages, addGenerationPrompt: addGenerationPrompt)
    }
}

/// Loads a llama-family language model with its tokenizer from a GGUF file, a Hugging Face
/// folder (`config.json`, safetensors weights, `tokenizer.json`, `tokenizer_config.json` or
/// `chat_template.jinja` for the chat template) or a model name (see `ModelStore.locate`).
public func loadLanguageModel(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PretrainedLanguageModel {
    switch try ModelStore.locate(path, environment: environment) {
    case .gguf(let file):
        let gguf = try GGUFFile(path: file)
        let config = try LlamaConfig(gguf: gguf)
        let model = try LlamaModel.load(config: config, weights: GGUFLlamaWeights(file: gguf, config: config))
        let tokenizer = try BPETokenizer.load(gguf: gguf)
        return try PretrainedLanguageModel(checking: file, model: model, tokenizer: tokenizer)
    case .languageModelFolder(let dir):
        let model = try LlamaModel.load(directory: dir)
        var tokenizer = try BPETokenizer.load(directory: dir)
        if tokenizer.chatTemplate == nil { tokenizer.chatTemplate = chatTemplateFile(in: dir) }
        return try PretrainedLanguageModel(checking: dir, model: model, tokenizer: tokenizer)
    case .encoderFolder(let dir):
        throw CheckpointError(path: dir, problem: "not a llama-family language model (supported: \(LlamaArchitecture.supportedDescription), or a GGUF file)")
    }
}

/// transformers 5 saves the chat template as `chat_template.jinja`; older versions put it in
/// `tokenizer_config.json` as `chat_template`.
func chatTemplateFile(in dir: String) -> String? {
    let jinja = (dir as NSString).appendingPathComponent("chat_template.jinja")
    if let data = FileManager.default.contents(atPath: jinja) { return String(decoding: data, as: UTF8.self) }
    let config = (dir as NSString).appendingPathComponent("tokenizer_config.json")
    guard let data = FileManager.default.contents(atPath: config) else { return nil }
    return (try? JSONValue.parse(bytes: [UInt8](data)))?["chat_template"]?.stringValue
}

extension PretrainedLanguageModel {
    /// Pairs a model and a tokenizer after checking they fit (the tokenizer's ids must be rows of
    /// the embedding).
    convenience init(checking source: String, model: LlamaModel, tokenizer: BPETokenizer) throws {
        guard tokenizer.vocabularySize <= model.config.vocabSize else {
            throw CheckpointError(path: source, problem: "the tokenizer has \(tokenizer.vocabularySize) tokens but the model's vocabulary has \(model.config.vocabSize)")
        }
        self.init(source: source, model: model, tokenizer: tokenizer,
                  chatTemplate: tokenizer.chatTemplate.flatMap { ChatMLTemplate(chatTemplate: $0) })
    }
}
