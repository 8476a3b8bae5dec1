import Foundation
import NN
import Support

extension BPETokenizer {
    // MARK: GGUF

    /// The tokenizer of a GGUF file (`tokenizer.ggml.model` "gpt2": byte-level BPE), from its
    /// metadata: `tokens`, `merges` ("left right", best first), `pre` (the pre-tokenizer, see
    /// `BPEPreTokenizer.gguf`), `token_type` (3, control, and 4, user-defined, are added tokens
    /// matched in the text; control ones are special), and the `bos`/`eos`/`padding`/`unknown`
    /// token ids. Errors name the file and the key.
    public static func load(gguf file: GGUFFile) throws -> BPETokenizer {
        let path = file.path
        func bad(_ why: String) -> DatasetError { DatasetError(file: path, problem: .invalid(why)) }
        let model = file["tokenizer.ggml.model"]?.stringValue
        guard model == "gpt2" else {
            throw bad("tokenizer.ggml.model is \(model.map { "'\($0)'" } ?? "absent"); dprm reads byte-level BPE vocabularies ('gpt2')")
        }
        guard let tokens = file["tokenizer.ggml.tokens"]?.stringArray else {
            throw bad("tokenizer.ggml.tokens is \(file["tokenizer.ggml.tokens"].map { "not an array of strings (\($0.type))" } ?? "absent")")
        }
        guard let mergeStrings = file["tokenizer.ggml.merges"]?.stringArray else {
            throw bad("tokenizer.ggml.merges is \(file["tokenizer.ggml.merges"].map { "not an array of strings (\($0.type))" } ?? "absent")")
        }
        let merges = try mergeStrings.enumerated().map { i, m -> (String, String) in
            let parts = m.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw bad("tokenizer.ggml.merges[\(i)] '\(m)' is not two tokens separated by one space") }
            return (String(parts[0]), String(parts[1]))
        }
        let preName = file["tokenizer.ggml.pre"]?.stringValue ?? "default"
        guard let pre = BPEPreTokenizer.gguf(preName) else {
            throw bad("tokenizer.ggml.pre '\(preName)' is not a pre-tokenizer dprm knows (known: \(BPEPreTokenizer.knownGGUFNames.joined(separator: ", ")))")
        }
        var added: [AddedToken] = []
        if let typesValue = file["tokenizer.ggml.token_type"] {
            guard let types = typesValue.intArray, types.count == tokens.count else {
                throw bad("tokenizer.ggml.token_type must be \(tokens.count) integers, one per token")
            }
            for (id, t) in types.enumerated() where t == 3 || t == 4 {
                added.append(AddedToken(content: tokens[id], id: id, special: t == 3))
            }
        }
        func id(_ key: String) throws -> Int? {
            guard let v = file[key] else { return nil }
            guard let i = v.intValue else { throw bad("\(key) is \(v.type), not an integer") }
            return i
        }
        let addPrefix = file["tokenizer.ggml.add_space_prefix"]?.boolValue ?? false
        var tokenizer = try BPETokenizer(vocabulary: tokens, merges: merges,
                                preTokenizer: BPEPreTokenizer(steps: pre.steps, addPrefixSpace: addPrefix),
                                addedTokens: added, bosID: try id("tokenizer.ggml.bos_token_id"),
                                eosID: try id("tokenizer.ggml.eos_token_id"), padID: try id("tokenizer.ggml.padding_token_id"),
                                unkID: try id("tokenizer.ggml.unknown_token_id"), source: path)
        tokenizer.chatTemplate = file["tokenizer.chat_template"]?.stringValue
        return tokenizer
    }

    /// The tokenizer of the GGUF file at `path`.
    public static func load(ggufPath path: String) throws -> BPETokenizer {
        try load(gguf: try GGUFFile(path: path))
    }

    // MARK: tokenizer.json

    /// A Hugging Face model folder's tokenizer: `tokenizer.json`, with the bos/eos/pad/unk tokens
    /// of `tokenizer_config.json` when it is there.
    public static func load(directory: String) throws -> BPETokenizer {
        let config = directory + "/tokenizer_config.json"
        return try load(tokenizerJSON: directory + "/tokenizer.json",
                        config: FileManager.default.fileExists(atPath: config) ? config : nil)
    }

    /// A byte-level BPE `tokenizer.json`: model BPE (no byte fallback, no subword prefix or
    /// suffix), normalizer none or NFC, pre-tokenizer ByteLevel / Split (a known regex, Isolated)
    /// / Digits, or a Sequence of them, decoder ByteLevel, and the added tokens. Anything else is
    /// an error naming the file, the key and what dprm supports. `config` is a
    /// `tokenizer_config.json` whose `bos_token`, `eos_token`, `pad_token`, `unk_token` name
    /// special tokens.
    public static func load(tokenizerJSON path: String, config: String? = nil) throws -> BPETokenizer {
        func bad(_ why: String) -> DatasetError { DatasetError(file: path, problem: .invalid(why)) }
        let root: JSONValue
        do { root = try JSONValue.parse(bytes: try FileLoading.bytes(path)) } catch let e as JSONParseError {
            throw DatasetError(file: path, problem: .invalidJSON("\(e)"))
        }
        guard let model = root["model"] else { throw DatasetError(file: path, problem: .missingKey("model")) }
        guard model["type"]?.stringValue == "BPE" else {
            throw bad("model.type is \(model["type"].map { "\($0)" } ?? "absent"); this reader takes BPE models (WordPiece: WordPieceTokenizer)")
        }
        if model["byte_fallback"]?.boolValue == true { throw bad("model.byte_fallback is true: SentencePiece-style BPE is not supported (byte-level BPE only)") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let s = model[key]?.stringValue, !s.isEmpty { throw bad("model.\(key) '\(s)' is not supported (byte-level BPE has none)") }
        }
        guard let vocabPairs = model["vocab"]?.objectValue else { throw DatasetError(file: path, problem: .missingKey("model.vocab")) }
        var byID: [Int: String] = [:]
        for (token, v) in vocabPairs {
            guard let n = v.numberValue, n >= 0, n == n.rounded(), n < 1e9 else { throw bad("model.vocab['\(token)'] is not a token id: \(v)") }
            byID[Int(n)] = token
        }
        let addedList = root["added_tokens"]?.arrayValue ?? []
        var added: [AddedToken] = []
        for (i, t) in addedList.enumerated() {
            guard let content = t["content"]?.stringValue, let n = t["id"]?.numberValue, n >= 0, n == n.rounded(), n < 1e9 else {
                throw bad("added_tokens[\(i)] needs a string 'content' and an integer 'id'")
            }
            for flag in ["lstrip", "rstrip", "single_word"] where t[flag]?.boolValue == true {
                throw bad("added token '\(content)' sets \(flag), which dprm does not support")
            }
            added.append(AddedToken(content: content, id: Int(n), special: t["special"]?.boolValue ?? false))
            byID[Int(n)] = content
        }
        let size = (byID.keys.max() ?? -1) + 1
        var vocabulary: [String] = []
        vocabulary.reserveCapacity(size)
        for id in 0..<size {
            guard let t = byID[id] else { throw bad("token id \(id) is missing: ids must be 0..<\(size) without gaps") }
            vocabulary.append(t)
        }
        guard let mergeList = model["merges"]?.arrayValue else { throw DatasetError(file: path, problem: .missingKey("model.merges")) }
        let merges = try mergeList.enumerated().map { i, m -> (String, String) in
            if let s = m.stringValue {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                if parts.count == 2 { return (String(parts[0]), String(parts[1])) }
            } else if let a = m.arrayValue, a.count == 2, let l = a[0].stringValue, let r = a[1].stringValue {
                return (l, r)
            }
            throw bad("model.merges[\(i)] is neither \"left right\" nor [left, right]: \(m)")
        }
        let nfc = try normalizer(root["normalizer"] ?? .null, bad)
        var steps: [BPEPreTokenizer.Step] = []
        var prefix = false
        try preTokenizerSteps(root["pre_tokenizer"] ?? .null, into: &steps, addPrefixSpace: &prefix, bad)
        if let decoder = root["decoder"], decoder != .null {
            let type = decoder["type"]?.stringValue
            guard type == "ByteLevel" else { throw bad("decoder.type \(type.map { "'\($0)'" } ?? "absent") is not supported (ByteLevel)") }
        }

        var bos: Int?, eos: Int?, pad: Int?, unk: Int?
        var chatTemplate: String?
        let idOf = Dictionary(vocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        if let unkName = model["unk_token"]?.stringValue { unk = idOf[unkName] }
        if let config {
            let c: JSONValue
            do { c = try JSONValue.parse(bytes: try FileLoading.bytes(config)) } catch let e as JSONParseError {
                throw DatasetError(file: config, problem: .invalidJSON("\(e)"))
            }
            func tokenID(_ key: String) throws -> Int? {
                guard let v = c[key], v != .null else { return nil }
                guard let name = v.stringValue ?? v["content"]?.stringValue else {
                    throw DatasetError(file: config, problem: .wrongType(key: key, expected: "a token string or {\"content\": ...}", found: v.typeName))
                }
                guard let id = idOf[name] else { throw DatasetError(file: config, problem: .invalid("\(key) '\(name)' is not in the vocabulary of \(path)")) }
                return id
            }
            bos = try tokenID("bos_token")
            eos = try tokenID("eos_token")
            pad = try tokenID("pad_token")
            unk = try tokenID("unk_token") ?? unk
            chatTemplate = c["chat_template"]?.stringValue
        }
        var tokenizer = try BPETokenizer(vocabulary: vocabulary, merges: merges,
                                preTokenizer: BPEPreTokenizer(steps: steps, addPrefixSpace: prefix), nfc: nfc,
                                ignoreMerges: model["ignore_merges"]?.boolValue ?? false,
                                addedTokens: added, bosID: bos, eosID: eos, padID: pad, unkID: unk, source: path)
        tokenizer.chatTemplate = chatTemplate
        return tokenizer
    }

    /// True when the normalizer is NFC; nil/none is false; anything else is an error.
    private static func normalizer(_ n: JSONValue, _ bad: (String) -> DatasetError) throws -> Bool {
        if n == .null { return false }
        switch n["type"]?.stringValue {
        case "NFC": return true
        case "Sequence":
            let list = n["normalizers"]?.arrayValue ?? []
            guard list.count <= 1 else { throw bad("normalizer: a Sequence of \(list.count) normalizers is not supported (none or NFC)") }
            return try list.first.map { try normalizer($0, bad) } ?? false
        case let t: throw bad("normalizer type \(t.map { "'\($0)'" } ?? "absent") is not supported (none or NFC)")
        }
    }

    private static func preTokenizerSteps(_ p: JSONValue, into steps: inout [BPEPreTokenizer.Step], addPrefixSpace: inout Bool,
                                          _ bad: (String) -> DatasetError) throws {
        if p == .null { return }
        switch p["type"]?.stringValue {
        case "Sequence":
            for q in p["pretokenizers"]?.arrayValue ?? [] { try preTokenizerSteps(q, into: &steps, addPrefixSpace: &addPrefixSpace, bad) }
        case "ByteLevel":
            // The prefix space is added before any splitting, as Hugging Face does.
            if p["add_prefix_space"]?.boolValue == true {
                guard steps.isEmpty else { throw bad("pre_tokenizer: ByteLevel with add_prefix_space after another step is not supported") }
                addPrefixSpace = true
            }
            if p["use_regex"]?.boolValue ?? true { steps.append(.regex(.gpt2)) }
        case "Digits":
            steps.append(p["individual_digits"]?.boolValue == true ? .individualDigits : .digitRuns)
        case "Split":
            guard p["behavior"]?.stringValue == "Isolated", p["invert"]?.boolValue != true else {
                throw bad("pre_tokenizer Split with behavior \(p["behavior"]?.stringValue ?? "?") and invert \(p["invert"]?.boolValue ?? false) is not supported (Isolated, not inverted)")
            }
            guard let regex = p["pattern"]?["Regex"]?.stringValue else {
                throw bad("pre_tokenizer Split needs a pattern {\"Regex\": ...}")
            }
            guard let pattern = BPESplitPattern(regex: regex) else {
                throw bad("pre_tokenizer Split regex \(regex) is not one dprm knows (known: \(BPESplitPattern.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            steps.append(.regex(pattern))
        case let t:
            throw bad("pre_tokenizer type \(t.map { "'\($0)'" } ?? "absent") is not supported (ByteLevel, Split, Digits, Sequence)")
        }
    }
}
