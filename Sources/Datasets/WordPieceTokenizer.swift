import Foundation
import Support

/// One encoded text: ids with the special tokens, the attention mask (1 for a real token, 0 for
/// padding) and the token type ids (all 0 for a single sequence), all the same length.
public struct WordPieceEncoding: Sendable, Equatable {
    public var ids: [Int]
    public var attentionMask: [Int]
    public var typeIDs: [Int]
    /// Number of real (non-padding) tokens.
    public var length: Int { attentionMask.reduce(0, +) }
}

/// Several texts encoded to one length: row-major `[count, length]` ids and mask, ready for a
/// batched forward pass.
public struct WordPieceBatch: Sendable, Equatable {
    public var encodings: [WordPieceEncoding]
    /// Common length of every row.
    public var length: Int
    public var count: Int { encodings.count }
    /// The ids, row after row.
    public var flatIDs: [Int] { encodings.flatMap(\.ids) }
    /// The attention mask, row after row.
    public var flatMask: [Int] { encodings.flatMap(\.attentionMask) }
}

/// How a batch is padded.
public enum WordPiecePadding: Sendable, Equatable {
    /// No padding (every row keeps its own length; a batch then needs equal lengths to be a matrix).
    case none
    /// To the longest row of the batch.
    case longest
    /// To exactly this length (rows are truncated to it first).
    case fixed(Int)
}

/// BERT's WordPiece tokenizer, reproducing Hugging Face `tokenizers` for a `tokenizer.json` with
/// a `BertNormalizer`, `BertPreTokenizer`, `WordPiece` model and the `[CLS] A [SEP]` template.
///
/// Steps: the text is first cut around the added (special) tokens written literally (`[SEP]`,
/// `[MASK]`, ...; leftmost-longest match on the raw text, as the reference does for tokens that are
/// not normalised); each other piece is normalised (`BertNormalizer`), split into words
/// (`BertPreTokenizer`), and each word is cut into vocabulary pieces greedily, longest match first,
/// later pieces carrying the `##` prefix. A word longer than `maxInputCharsPerWord` scalars, or one
/// with a part that matches no piece, becomes `[UNK]` as a whole.
///
/// As a `Tokenizer` (for the chat template and the PRM): `encode` gives the ids without `[CLS]`/
/// `[SEP]`; the chat markers map to BERT's own delimiters, `imStartID` to `[CLS]` and `imEndID` to
/// `[SEP]`; `plusID`/`minusID` are the ids of `+` and `-`.
public struct WordPieceTokenizer: Tokenizer, Equatable {
    /// Token strings by id.
    public let vocabulary: [String]
    private let index: [String: Int]
    public let normalizer: BertNormalizer
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int
    /// Tokens matched literally in the raw text (longest first), with their ids.
    public let addedTokens: [(content: String, id: Int)]
    public let unkID: Int
    public let clsID: Int
    public let sepID: Int
    public let padID: Int
    /// The longest input the model takes (`model_max_length`; 512 for BERT when not given).
    public let modelMaxLength: Int

    public var vocabularySize: Int { vocabulary.count }
    public var imStartID: Int { clsID }
    public var imEndID: Int { sepID }
    public var plusID: Int { index["+"] ?? unkID }
    public var minusID: Int { index["-"] ?? unkID }

    public static func == (a: WordPieceTokenizer, b: WordPieceTokenizer) -> Bool {
        a.vocabulary == b.vocabulary && a.normalizer == b.normalizer && a.continuingSubwordPrefix == b.continuingSubwordPrefix
            && a.maxInputCharsPerWord == b.maxInputCharsPerWord && a.addedTokens.map(\.content) == b.addedTokens.map(\.content)
            && a.addedTokens.map(\.id) == b.addedTokens.map(\.id)
    }

    /// A tokenizer over `vocabulary` (token strings by id). The special tokens must be in it.
    /// `addedTokens` default to the special tokens that exist in the vocabulary.
    public init(vocabulary: [String], normalizer: BertNormalizer = BertNormalizer(),
                continuingSubwordPrefix: String = "##", maxInputCharsPerWord: Int = 100,
                unkToken: String = "[UNK]", clsToken: String = "[CLS]", sepToken: String = "[SEP]",
                padToken: String = "[PAD]", addedTokens: [String]? = nil, modelMaxLength: Int = 512,
                source: String = "<tokenizer>") throws {
        var index: [String: Int] = [:]
        index.reserveCapacity(vocabulary.count)
        for (i, t) in vocabulary.enumerated() where index[t] == nil { index[t] = i }
        func id(_ token: String, _ role: String) throws -> Int {
            guard let i = index[token] else {
                throw DatasetError(file: source, problem: .invalid("the \(role) token '\(token)' is not in the vocabulary (\(vocabulary.count) tokens)"))
            }
            return i
        }
        self.vocabulary = vocabulary
        self.index = index
        self.normalizer = normalizer
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.unkID = try id(unkToken, "unknown")
        self.clsID = try id(clsToken, "classifier")
        self.sepID = try id(sepToken, "separator")
        self.padID = try id(padToken, "padding")
        self.modelMaxLength = modelMaxLength
        let added = addedTokens ?? [padToken, unkToken, clsToken, sepToken, "[MASK]"].filter { index[$0] != nil }
        self.addedTokens = try added.map { ($0, try id($0, "added")) }
            .sorted { $0.content.unicodeScalars.count > $1.content.unicodeScalars.count }
    }

    // MARK: Loading

    /// Loads `tokenizer.json` (preferred) or `vocab.txt` from a model directory.
    public static func load(directory: String) throws -> WordPieceTokenizer {
        let json = directory + "/tokenizer.json", txt = directory + "/vocab.txt"
        if FileManager.default.fileExists(atPath: json) { return try load(tokenizerJSON: json) }
        if FileManager.default.fileExists(atPath: txt) {
            let config = directory + "/tokenizer_config.json"
            return try load(vocabTxt: txt, config: FileManager.default.fileExists(atPath: config) ? config : nil)
        }
        throw DatasetError(file: directory, problem: .unreadable("no tokenizer.json or vocab.txt in the model directory"))
    }

    /// Loads a Hugging Face `tokenizer.json` whose model is WordPiece. The normaliser must be a
    /// `BertNormalizer` (or absent) and the pre-tokeniser a `BertPreTokenizer` (or absent).
    public static func load(tokenizerJSON path: String) throws -> WordPieceTokenizer {
        let root = try jsonObject(path)
        func bad(_ why: String) -> DatasetError { DatasetError(file: path, problem: .invalid(why)) }
        guard let model = root["model"], model.objectValue != nil else { throw DatasetError(file: path, problem: .missingKey("model")) }
        let type = model["type"]?.stringValue ?? "WordPiece"
        guard type == "WordPiece" else { throw bad("tokenizer model type '\(type)' is not supported (only WordPiece)") }
        guard let vocabObject = model["vocab"]?.objectValue else { throw DatasetError(file: path, problem: .missingKey("model.vocab")) }
        var byID: [String?] = Array(repeating: nil, count: vocabObject.count)
        for (token, value) in vocabObject {
            guard let n = value.intValue, n >= 0, n < byID.count, byID[n] == nil else {
                throw bad("model.vocab: token '\(token)' has id \(value), expected distinct ids 0..<\(vocabObject.count)")
            }
            byID[n] = token
        }
        let vocabulary = byID.map { $0! }
        var normalizer = BertNormalizer()
        if let n = root["normalizer"], n.objectValue != nil {
            guard n["type"]?.stringValue == "BertNormalizer" else {
                throw bad("normalizer type '\(n["type"]?.stringValue ?? "?")' is not supported (only BertNormalizer)")
            }
            let lower = n["lowercase"]?.boolValue ?? true
            normalizer = BertNormalizer(cleanText: n["clean_text"]?.boolValue ?? true,
                                        handleChineseCharacters: n["handle_chinese_chars"]?.boolValue ?? true,
                                        stripAccents: n["strip_accents"]?.boolValue, lowercase: lower)
        } else if let n = root["normalizer"], n != .null {
            throw bad("normalizer is not an object")
        }
        if let p = root["pre_tokenizer"], p.objectValue != nil, p["type"]?.stringValue != "BertPreTokenizer" {
            throw bad("pre_tokenizer type '\(p["type"]?.stringValue ?? "?")' is not supported (only BertPreTokenizer)")
        }
        let added = (root["added_tokens"]?.arrayValue ?? []).compactMap { $0["content"]?.stringValue }
        let unk = model["unk_token"]?.stringValue ?? "[UNK]"
        var maxLength = 512
        let configPath = (path as NSString).deletingLastPathComponent + "/tokenizer_config.json"
        if let c = try? jsonObject(configPath), let m = c["model_max_length"]?.intValue, m > 0, m < 1_000_000 {
            maxLength = m
        }
        return try WordPieceTokenizer(vocabulary: vocabulary, normalizer: normalizer,
                                      continuingSubwordPrefix: model["continuing_subword_prefix"]?.stringValue ?? "##",
                                      maxInputCharsPerWord: model["max_input_chars_per_word"]?.intValue ?? 100,
                                      unkToken: unk, addedTokens: added.isEmpty ? nil : added,
                                      modelMaxLength: maxLength, source: path)
    }

    /// Loads a `vocab.txt` (one token per line, the line number is the id). Lower-casing and
    /// accent stripping come from `tokenizer_config.json` (`do_lower_case`, `strip_accents`,
    /// `tokenize_chinese_chars`) when given, else BERT-uncased defaults.
    public static func load(vocabTxt path: String, config: String? = nil) throws -> WordPieceTokenizer {
        let bytes = try FileLoading.bytes(path)
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw DatasetError(file: path, problem: .invalid("not UTF-8 text")) }
        var lines = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        if lines.last == "" { lines.removeLast() }
        var normalizer = BertNormalizer()
        var maxLength = 512
        if let config {
            let c = try jsonObject(config)
            let lower = c["do_lower_case"]?.boolValue ?? true
            normalizer = BertNormalizer(cleanText: true, handleChineseCharacters: c["tokenize_chinese_chars"]?.boolValue ?? true,
                                        stripAccents: c["strip_accents"]?.boolValue, lowercase: lower)
            if let m = c["model_max_length"]?.intValue, m > 0, m < 1_000_000 { maxLength = m }
        }
        return try WordPieceTokenizer(vocabulary: lines, normalizer: normalizer, modelMaxLength: maxLength, source: path)
    }

    /// A JSON file whose top level is an object.
    static func jsonObject(_ path: String) throws -> JSONValue {
        let bytes = try FileLoading.bytes(path)
        let object: JSONValue
        do { object = try JSONValue.parse(bytes: bytes) } catch let e as JSONParseError {
            throw DatasetError(file: path, problem: .invalidJSON(e.location))
        }
        guard object.objectValue != nil else { throw DatasetError(file: path, problem: .invalid("the JSON is not an object")) }
        return object
    }

    // MARK: Encoding

    /// The id of `token`, if it is in the vocabulary.
    public func id(of token: String) -> Int? { index[token] }

    /// The token string of `id` (`[UNK]` when out of range).
    public func token(of id: Int) -> String { id >= 0 && id < vocabulary.count ? vocabulary[id] : vocabulary[unkID] }

    /// Ids of `text` without `[CLS]`/`[SEP]` (the `Tokenizer` requirement).
    public func encode(_ text: String) -> [Int] {
        var out: [Int] = []
        let scalars = Array(text.unicodeScalars)
        var start = 0, i = 0
        while i < scalars.count {
            if let (length, id) = addedToken(at: i, in: scalars) {
                if start < i { wordPieces(Array(scalars[start..<i]), into: &out) }
                out.append(id)
                i += length
                start = i
            } else {
                i += 1
            }
        }
        if start < scalars.count { wordPieces(Array(scalars[start...]), into: &out) }
        return out
    }

    /// The longest added token starting at `i`, as (length in scalars, id).
    private func addedToken(at i: Int, in s: [Unicode.Scalar]) -> (Int, Int)? {
        for (content, id) in addedTokens {
            let c = content.unicodeScalars
            guard i + c.count <= s.count else { continue }
            var j = i, matched = true
            for u in c { if s[j] != u { matched = false; break }; j += 1 }
            if matched { return (c.count, id) }
        }
        return nil
    }

    /// Normalises, pre-tokenises and cuts `piece` (text between added tokens) into ids.
    private func wordPieces(_ piece: [Unicode.Scalar], into out: inout [Int]) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: piece)
        for word in BertPreTokenizer.split(normalizer.normalize(String(view))) {
            wordPiece(word, into: &out)
        }
    }

    /// Greedy longest-match-first WordPiece of one word.
    private func wordPiece(_ word: [Unicode.Scalar], into out: inout [Int]) {
        if word.count > maxInputCharsPerWord { out.append(unkID); return }
        var pieces: [Int] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int?
            while start < end {
                var view = String.UnicodeScalarView()
                if start > 0 { view.append(contentsOf: continuingSubwordPrefix.unicodeScalars) }
                view.append(contentsOf: word[start..<end])
                if let id = index[String(view)] { found = id; break }
                end -= 1
            }
            guard let id = found else { out.append(unkID); return }
            pieces.append(id)
            start = end
        }
        out += pieces
    }

    /// Ids of `text` with `[CLS]` ... `[SEP]` (when `addSpecialTokens`), as the reference
    /// tokenizer's `encode(text).ids` with no truncation.
    public func tokenize(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        addSpecialTokens ? [clsID] + encode(text) + [sepID] : encode(text)
    }

    /// The token strings of `tokenize(text)`.
    public func tokens(_ text: String, addSpecialTokens: Bool = true) -> [String] {
        tokenize(text, addSpecialTokens: addSpecialTokens).map { token(of: $0) }
    }

    /// One text with `[CLS]`/`[SEP]`, truncated to `maxLength` (the special tokens included, as
    /// the reference's longest-first truncation of a single sequence: the text's tail is cut), then
    /// padded with `[PAD]` (mask 0) on the right to `padTo` when it is longer.
    public func encoding(_ text: String, maxLength: Int? = nil, padTo: Int? = nil) -> WordPieceEncoding {
        var body = encode(text)
        if let m = maxLength {
            precondition(m >= 2, "WordPiece: maxLength \(m) leaves no room for [CLS] and [SEP]")
            if body.count > m - 2 { body.removeLast(body.count - (m - 2)) }
        }
        var ids = [clsID] + body + [sepID]
        var mask = Array(repeating: 1, count: ids.count)
        if let p = padTo, p > ids.count {
            ids += Array(repeating: padID, count: p - ids.count)
            mask += Array(repeating: 0, count: p - mask.count)
        }
        return WordPieceEncoding(ids: ids, attentionMask: mask, typeIDs: Array(repeating: 0, count: ids.count))
    }

    /// Several texts, truncated to `maxLength` (default `modelMaxLength`) and padded as `padding`
    /// says (default: to the longest).
    public func encodeBatch(_ texts: [String], maxLength: Int? = nil, padding: WordPiecePadding = .longest) -> WordPieceBatch {
        var limit = maxLength ?? modelMaxLength
        if case .fixed(let n) = padding { limit = Swift.min(limit, n) }
        var encodings = texts.map { encoding($0, maxLength: limit) }
        let target: Int
        switch padding {
        case .none: target = 0
        case .longest: target = encodings.map(\.ids.count).max() ?? 0
        case .fixed(let n): target = n
        }
        for i in encodings.indices where encodings[i].ids.count < target {
            let extra = target - encodings[i].ids.count
            encodings[i].ids += Array(repeating: padID, count: extra)
            encodings[i].attentionMask += Array(repeating: 0, count: extra)
            encodings[i].typeIDs += Array(repeating: 0, count: extra)
        }
        return WordPieceBatch(encodings: encodings, length: encodings.map(\.ids.count).max() ?? 0)
    }

    /// The text of `ids`, as the reference `WordPiece` decoder with cleanup: `[PAD]` dropped,
    /// `##` pieces glued to the previous token, other tokens joined by spaces, and the spaces
    /// before punctuation and English contractions removed.
    public func decode(_ ids: [Int]) -> String {
        var out = ""
        for id in ids where id != padID {
            let t = token(of: id)
            if t.hasPrefix(continuingSubwordPrefix) && !out.isEmpty {
                out += t.dropFirst(continuingSubwordPrefix.count)
            } else {
                if !out.isEmpty { out += " " }
                out += t
            }
        }
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                       (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            out = out.replacingOccurrences(of: a, with: b)
        }
        return out
    }
}
