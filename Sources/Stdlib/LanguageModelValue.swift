import Foundation
import Lang
import Tensors
import NN
import Datasets
import PRM

/// A pretrained llama-family language model (`load_model` of a GGUF file or a llama / Qwen2
/// folder) in the language.
public final class LanguageModelValue: TabledObject {
    public let model: PretrainedLanguageModel
    public init(_ model: PretrainedLanguageModel) { self.model = model }
    public var typeName: String { "language_model" }
    public var summary: String {
        let c = model.config
        return "language_model: \(c.architecture.rawValue), \(c.numHiddenLayers) layers, hidden \(c.hiddenSize), "
            + "\(c.numAttentionHeads) heads (\(c.numKeyValueHeads) key/value), vocab \(c.vocabSize), max length \(model.maxLength), "
            + "\(model.model.parameterCount) parameters (\(model.source))"
    }

    /// Token ids from a text (tokenised) or a list of ids.
    static func ids(_ value: Value, _ m: LanguageModelValue, _ what: String) throws -> [Int] {
        if case .string(let s) = value { return m.model.tokenize(s) }
        return try TensorValue.ints(from: value, what: what)
    }

    static func messages(_ value: Value) throws -> [ChatMessage] {
        guard case .list(let l) = value else {
            throw DprmError.type("chat_template() messages must be a list of dicts {role, content}, got \(value.typeName)")
        }
        return try l.items.enumerated().map { i, item in
            guard case .dict(let d) = item, case .string(let role)? = d["role"], case .string(let content)? = d["content"] else {
                throw DprmError.type("chat_template() message \(i + 1) must be a dict with string 'role' and 'content', got \(item)")
            }
            return ChatMessage(role: role, content: content)
        }
    }

    public static let members = MemberTable<LanguageModelValue>([
        .field("architecture", "the model family: \"llama\" or \"qwen2\"") { .string($0.model.config.architecture.rawValue) },
        .field("vocab_size", "number of rows of the token embedding") { .int($0.model.config.vocabSize) },
        .field("hidden_size", "width of the hidden states") { .int($0.model.config.hiddenSize) },
        .field("num_layers", "number of decoder blocks") { .int($0.model.config.numHiddenLayers) },
        .field("max_length", "the context length the model was trained for") { .int($0.model.maxLength) },
        .field("parameter_count", "number of parameters") { .int($0.model.model.parameterCount) },
        .field("source", "the GGUF file or folder it was loaded from") { .string($0.model.source) },
        .method("tokenize", parameters: [.positional("text", "string", "the text"), .keyword("add_special_tokens", "bool", default: .bool(false), "prepend the BOS id")], "token ids of a text, nothing added unless add_special_tokens: true (the BOS id)") { m, args in
            return Convert.ints(m.model.tokenize(try args.string(0, "text"),
                                                 addSpecialTokens: try args.bool(nil, "add_special_tokens", default: false)))
        },
        .method("detokenize", parameters: [.positional("ids", "list of whole numbers", "the token ids"), .keyword("skip_special_tokens", "bool", default: .bool(false), "leave special tokens out of the text")], "the text of token ids, special tokens kept unless skip_special_tokens: true") { m, args in
            let ids = try args.ints(0, "ids")
            try Convert.library("detokenize") { try m.model.check(ids: ids) }
            return .string(m.model.detokenize(ids, skipSpecialTokens: try args.bool(nil, "skip_special_tokens", default: false)))
        },
        .method("logits", parameters: [.positional("text_or_ids", "string or list of whole numbers", "a text or a list of token ids")], "next-token logits at every position, a tensor [tokens x vocab]") { m, args in
            let ids = try ids(try args.value(0, "text_or_ids"), m, "logits() text_or_ids")
            return .native(TensorValue(try Convert.library("logits") { try m.model.logits(ids: ids) }))
        },
        .method("generate", parameters: [.positional("prompt", "string or list of whole numbers", "a text (text comes back) or token ids (ids come back)"), .keyword("max_tokens", "whole number", default: 40, "the most tokens added"), .keyword("temperature", "number", default: 0, "sampling temperature (0: greedy)"), .keyword("seed", "whole number", default: 0, "seeds the sampling")], "continues a prompt (text -> text without special tokens, ids -> ids)") { m, args in
            let prompt = try args.value(0, "prompt")
            let maxTokens = try args.int(nil, "max_tokens", default: 40)
            let temperature = Float(try args.number(nil, "temperature", default: 0))
            let seed = UInt64(truncatingIfNeeded: try args.int(nil, "seed", default: 0))
            if case .string(let text) = prompt {
                return .string(try Convert.library("generate") { try m.model.generate(text, maxTokens: maxTokens, temperature: temperature, seed: seed) })
            }
            let ids = try TensorValue.ints(from: prompt, what: "generate() prompt")
            return Convert.ints(try Convert.library("generate") {
                try m.model.generate(ids: ids, maxTokens: maxTokens, temperature: temperature, seed: seed)
            })
        },
        .method("chat_template", parameters: [.positional("messages", "list of dicts", "a list of {role, content} dicts"), .keyword("add_generation_prompt", "bool", default: .bool(true), "end with an open assistant turn")], "a conversation in the model's chat format (ChatML), ending with an open assistant turn") { m, args in
            let messages = try messages(try args.value(0, "messages"))
            let open = try args.bool(nil, "add_generation_prompt", default: true)
            return .string(try Convert.library("chat_template") { try m.model.applyChatTemplate(messages, addGenerationPrompt: open) })
        },
    ])
}
