import Foundation
import Support

/// Turns text into token ids and back. The chat template and the PRM need the ids of the
/// special tokens and of the two label tokens `+` and `-`.
public protocol Tokenizer: Sendable {
    /// Token ids of `text`; the special tokens written literally (`<|im_start|>`) map to their ids.
    func encode(_ text: String) -> [Int]
    /// The text of `ids` (padding is dropped; unknown ids decode as `<unk>`).
    func decode(_ ids: [Int]) -> String
    var vocabularySize: Int { get }
    var imStartID: Int { get }
    var imEndID: Int { get }
    /// The label token for a correct step.
    var plusID: Int { get }
    /// The label token for a wrong step.
    var minusID: Int { get }
    var padID: Int { get }
    var unkID: Int { get }
}

/// A word-level tokenizer with character fallback, trained on a corpus; small and deterministic.
///
/// Pre-tokenisation cuts text into pieces: the special tokens; a run of letters with at most one
/// leading space (" word" is one piece, as in GPT-style vocabularies, which keeps sequences short);
/// a run of ASCII digits (a number is a word: "12" is one token when the corpus had it, so a
/// model compares numbers as single tokens; an unseen number is spelled digit by digit); every
/// other character alone. Tokenizers saved as version 1 split every digit and keep doing so
/// (`numbersAsWords` false).
/// A piece in the vocabulary is one token; otherwise it is spelled with character tokens, and a
/// character outside the vocabulary is `<unk>`.
///
/// The vocabulary is: `<pad>`, `<unk>`, `<|im_start|>`, `<|im_end|>`, then `\n`, `\t` and the
/// printable ASCII characters (so `+`, `-`, digits and letters always exist), then other
/// characters and word pieces seen at least `minFrequency` times in the corpus, most frequent
/// first, ties in code-point order, up to `maxVocabulary` entries in all.
public struct WordTokenizer: Tokenizer, Equatable {
    public static let specialTokens = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]

    /// Token strings by id.
    public let vocabulary: [String]
    private let ids: [String: Int]
    /// Digit runs are one piece (version 2); false for version 1 tokenizers.
    public let numbersAsWords: Bool

    public var vocabularySize: Int { vocabulary.count }
    public var padID: Int { 0 }
    public var unkID: Int { 1 }
    public var imStartID: Int { 2 }
    public var imEndID: Int { 3 }
    public var plusID: Int { ids["+"]! }
    public var minusID: Int { ids["-"]! }

    public static func == (a: WordTokenizer, b: WordTokenizer) -> Bool {
        a.vocabulary == b.vocabulary && a.numbersAsWords == b.numbersAsWords
    }

    /// The base vocabulary: special tokens, `\n`, `\t`, printable ASCII.
    public static var baseVocabulary: [String] {
        specialTokens + ["\n", "\t"] + (32...126).map { String(UnicodeScalar(UInt8($0))) }
    }

    /// A tokenizer over an explicit vocabulary, which must start with `baseVocabulary`.
    public init(vocabulary: [String], numbersAsWords: Bool = true) throws {
        let base = WordTokenizer.baseVocabulary
        guard vocabulary.count >= base.count, Array(vocabulary.prefix(base.count)) == base else {
            throw DatasetError(file: "<tokenizer>", problem: .invalid("the vocabulary must start with the \(base.count) base tokens (special tokens, \\n, \\t, printable ASCII)"))
        }
        var ids: [String: Int] = [:]
        for (i, t) in vocabulary.enumerated() {
            if ids[t] != nil {
                throw DatasetError(file: "<tokenizer>", problem: .invalid("token '\(t)' appears twice in the vocabulary (id \(ids[t]!) and \(i))"))
            }
            ids[t] = i
        }
        self.vocabulary = vocabulary
        self.ids = ids
        self.numbersAsWords = numbersAsWords
    }

    /// Trains on `corpus`: counts pieces and adds the frequent ones (see the type's doc). The
    /// pieces of `required` (e.g. `ChatTemplate.templateTexts`) come first, whatever their count.
    public static func train(corpus: [String], maxVocabulary: Int = 2000, minFrequency: Int = 2,
                             required: [String] = []) -> WordTokenizer {
        var counts: [String: Int] = [:]
        for text in corpus {
            for piece in pieces(of: text, numbersAsWords: true) where !piece.isSpecial {
                counts[piece.text, default: 0] += 1
                if piece.text.count > 1 {
                    for c in piece.text { counts[String(c), default: 0] += 1 }
                }
            }
        }
        var vocab = baseVocabulary
        for text in required {
            for piece in pieces(of: text, numbersAsWords: true) where !piece.isSpecial && !vocab.contains(piece.text) {
                vocab.append(piece.text)
            }
        }
        let known = Set(vocab)
        let candidates = counts.filter { $0.value >= minFrequency && !known.contains($0.key) }
            .sorted { a, b in
                a.value != b.value ? a.value > b.value
                    : Array(a.key.unicodeScalars.map(\.value)).lexicographicallyPrecedes(b.key.unicodeScalars.map(\.value))
            }
        for (token, _) in candidates where vocab.count < maxVocabulary { vocab.append(token) }
        return try! WordTokenizer(vocabulary: vocab)
    }

    struct Piece { let text: String; let isSpecial: Bool }

    static func pieces(of text: String, numbersAsWords: Bool) -> [Piece] {
        var out: [Piece] = []
        let chars = Array(text)
        var i = 0
        outer: while i < chars.count {
            if chars[i] == "<" {
                for special in specialTokens {
                    let s = Array(special)
                    if i + s.count <= chars.count, chars[i..<(i + s.count)].elementsEqual(s) {
                        out.append(Piece(text: special, isSpecial: true))
                        i += s.count
                        continue outer
                    }
                }
            }
            var j = i
            if chars[j] == " ", j + 1 < chars.count, chars[j + 1].isLetter { j += 1 }
            if numbersAsWords, chars[i].isASCII, chars[i].isNumber {
                while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
                out.append(Piece(text: String(chars[i..<j]), isSpecial: false))
                i = j
            } else if chars[j].isLetter {
                while j < chars.count, chars[j].isLetter { j += 1 }
                out.append(Piece(text: String(chars[i..<j]), isSpecial: false))
                i = j
            } else {
                out.append(Piece(text: String(chars[i]), isSpecial: false))
                i += 1
            }
        }
        return out
    }

    public func encode(_ text: String) -> [Int] {
        var out: [Int] = []
        for piece in WordTokenizer.pieces(of: text, numbersAsWords: numbersAsWords) {
            if let id = ids[piece.text] {
                out.append(id)
            } else {
                for c in piece.text { out.append(ids[String(c)] ?? unkID) }
            }
        }
        return out
    }

    public func decode(_ tokens: [Int]) -> String {
        var out = ""
        for t in tokens where t != padID {
            out += (t >= 0 && t < vocabulary.count) ? vocabulary[t] : "<unk>"
        }
        return out
    }

    /// The id of `token`, if it is in the vocabulary.
    public func id(of token: String) -> Int? { ids[token] }

    // MARK: Saving

    /// The tokenizer as JSON: `{"type": "dprm-word", "version": 2, "vocabulary": [...]}`
    /// (version 1 when digits are split).
    public func json() -> JSONValue {
        .object([("type", .string("dprm-word")), ("version", .number(numbersAsWords ? 2 : 1)),
                 ("vocabulary", .array(vocabulary.map { .string($0) }))])
    }

    /// Saves the tokenizer as JSON (atomically).
    public func save(to path: String) throws {
        try DatasetIO.writeAtomically(json(), to: path)
    }

    /// Loads a tokenizer saved by `save(to:)`.
    public static func load(from path: String) throws -> WordTokenizer {
        let bytes = try FileLoading.bytes(path)
        let value: JSONValue
        do { value = try JSONValue.parse(bytes: bytes) } catch let e as JSONParseError {
            throw DatasetError(file: path, problem: .invalidJSON(e.location))
        }
        guard value["type"]?.stringValue == "dprm-word" else {
            throw DatasetError(file: path, problem: .invalid("not a dprm word tokenizer (expected \"type\": \"dprm-word\")"))
        }
        guard let list = value["vocabulary"]?.arrayValue else { throw DatasetError(file: path, problem: .missingKey("vocabulary")) }
        let vocab = try list.enumerated().map { i, v -> String in
            guard let s = v.stringValue else {
                throw DatasetError(file: path, problem: .wrongType(key: "vocabulary[\(i)]", expected: "a string", found: v.typeName))
            }
            return s
        }
        let version = value["version"]?.numberValue ?? 1
        guard version == 1 || version == 2 else {
            throw DatasetError(file: path, problem: .invalid("unknown dprm-word tokenizer version \(version) (this dprm reads 1 and 2)"))
        }
        do { return try WordTokenizer(vocabulary: vocab, numbersAsWords: version == 2) } catch let e as DatasetError {
            throw DatasetError(file: path, problem: e.problem)
        }
    }
}
