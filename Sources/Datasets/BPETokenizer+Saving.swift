import Foundation
import Support

extension BPETokenizer {
    /// The merges as token-string pairs, best (lowest rank) first.
    public var mergePairs: [(String, String)] {
        merges.sorted { $0.value.rank < $1.value.rank }.map { key, _ in
            (vocabulary[Int(key >> 32)], vocabulary[Int(key & 0xFFFF_FFFF)])
        }
    }

    /// The tokenizer as a Hugging Face `tokenizer.json` (the `tokenizers` library's format), so a
    /// tokenizer read from a GGUF file can be saved with a checkpoint that transformers loads:
    /// a byte-level `BPE` model (vocabulary and merges), the added tokens, NFC when asked, a
    /// `Sequence` pre-tokenizer of the digit and `Split` steps (the regex as written in Hugging
    /// Face files, `Isolated`) followed by `ByteLevel` without its own regex, and a `ByteLevel`
    /// decoder. Reading it back (`load(tokenizerJSON:)`) gives the same ids.
    /// Throws when the tokenizer cannot be written faithfully (a prefix space, which `ByteLevel`
    /// would add per piece rather than once; a token string used twice).
    public func huggingFaceTokenizerJSON() throws -> JSONValue {
        func bad(_ why: String) -> DatasetError { DatasetError(file: source, problem: .invalid("cannot write tokenizer.json: \(why)")) }
        guard !preTokenizer.addPrefixSpace else { throw bad("add_prefix_space is not supported when saving") }
        var seen = Set<String>()
        for (id, t) in vocabulary.enumerated() where !seen.insert(t).inserted {
            throw bad("token '\(t)' appears twice in the vocabulary (again at id \(id)); tokenizer.json maps each string to one id")
        }
        var steps: [JSONValue] = []
        for step in preTokenizer.steps {
            switch step {
            case .individualDigits: steps.append(.object([("type", .string("Digits")), ("individual_digits", .bool(true))]))
            case .digitRuns: steps.append(.object([("type", .string("Digits")), ("individual_digits", .bool(false))]))
            case .regex(let p):
                steps.append(.object([("type", .string("Split")), ("pattern", .object([("Regex", .string(p.regex))])),
                                      ("behavior", .string("Isolated")), ("invert", .bool(false))]))
            }
        }
        steps.append(.object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                              ("trim_offsets", .bool(true)), ("use_regex", .bool(false))]))
        let added: [JSONValue] = addedTokens.sorted { $0.id < $1.id }.map { t in
            .object([("id", .number(Double(t.id))), ("content", .string(t.content)), ("single_word", .bool(false)),
                     ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)), ("special", .bool(t.special))])
        }
        let model: JSONValue = .object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
            ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)),
            ("ignore_merges", .bool(ignoreMerges)),
            ("vocab", .object(vocabulary.enumerated().map { (key: $1, value: .number(Double($0))) })),
            ("merges", .array(mergePairs.map { .array([.string($0.0), .string($0.1)]) })),
        ])
        return .object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", .array(added)),
            ("normalizer", nfc ? .object([("type", .string("NFC"))]) : .null),
            ("pre_tokenizer", .object([("type", .string("Sequence")), ("pretokenizers", .array(steps))])),
            ("post_processor", .null),
            ("decoder", .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(true)),
                                 ("trim_offsets", .bool(true)), ("use_regex", .bool(true))])),
            ("model", model),
        ])
    }

    /// `tokenizer_config.json` for transformers' `PreTrainedTokenizerFast`: the special tokens by
    /// name, no BOS added, the chat template when there is one, and `modelMaxLength`.
    public func huggingFaceTokenizerConfigJSON(modelMaxLength: Int) -> JSONValue {
        func token(_ id: Int?) -> JSONValue { id.map { .string(vocabulary[$0]) } ?? .null }
        var fields: [(key: String, value: JSONValue)] = [
            ("tokenizer_class", .string("PreTrainedTokenizerFast")),
            ("bos_token", token(bosID)), ("eos_token", token(eosID)), ("pad_token", token(padIDValue ?? eosID)),
            ("unk_token", token(unkIDValue)), ("add_bos_token", .bool(false)), ("add_eos_token", .bool(false)),
            ("clean_up_tokenization_spaces", .bool(false)), ("model_max_length", .number(Double(modelMaxLength))),
            ("additional_special_tokens", .array(addedTokens.filter(\.special).map { .string($0.content) })),
        ]
        if let chatTemplate { fields.append(("chat_template", .string(chatTemplate))) }
        return .object(fields)
    }

    /// `special_tokens_map.json`: the named special tokens and the other special added tokens.
    public func huggingFaceSpecialTokensMapJSON() -> JSONValue {
        var fields: [(key: String, value: JSONValue)] = []
        for (name, id) in [("bos_token", bosID), ("eos_token", eosID), ("pad_token", padIDValue ?? eosID), ("unk_token", unkIDValue)] {
            if let id { fields.append((name, .string(vocabulary[id]))) }
        }
        fields.append(("additional_special_tokens", .array(addedTokens.filter(\.special).map { .string($0.content) })))
        return .object(fields)
    }
}
