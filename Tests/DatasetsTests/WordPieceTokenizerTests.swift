import Foundation
import XCTest
@testable import Datasets

/// The WordPiece tokenizer against the Hugging Face reference (fixture written by
/// `scripts/make_bert_fixtures.py`) on the real model's `tokenizer.json` and `vocab.txt`,
/// plus small hand-built vocabularies for the rules and the errors.
final class WordPieceTokenizerTests: XCTestCase {
    /// `$DPRM_SHARED/models/minilm-l6-v2` (DPRM_SHARED may name the shared folder or its data
    /// folder), else `../shared/models/minilm-l6-v2` beside the repository.
    static func modelDirectory() throws -> String {
        var shared = TestPaths.repoRoot.deletingLastPathComponent().appendingPathComponent("shared").standardizedFileURL.path
        if let env = ProcessInfo.processInfo.environment["DPRM_SHARED"], !env.isEmpty {
            shared = env.hasSuffix("/data") ? String(env.dropLast(5)) : env
        }
        let dir = shared + "/models/minilm-l6-v2"
        guard FileManager.default.fileExists(atPath: dir + "/tokenizer.json") else {
            throw XCTSkip("real model not found at \(dir) (set DPRM_SHARED to the shared folder)")
        }
        return dir
    }

    struct Fixture: Decodable {
        struct Sentence: Decodable { let text: String; let ids: [Int]; let tokens: [String]; let vocab_txt_ids: [Int] }
        struct Truncated: Decodable { let text: String; let ids: [Int]; let attention_mask: [Int] }
        let sentences: [Sentence]
        let truncated_12_padded_16: [Truncated]
    }

    static func fixture() throws -> Fixture {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixtures + "/wordpiece/ids.json"))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    func testTokenizerJSONMatchesReference() throws {
        let tok = try WordPieceTokenizer.load(tokenizerJSON: try Self.modelDirectory() + "/tokenizer.json")
        XCTAssertEqual(tok.vocabularySize, 30522)
        XCTAssertEqual([tok.padID, tok.unkID, tok.clsID, tok.sepID], [0, 100, 101, 102])
        for s in try Self.fixture().sentences {
            XCTAssertEqual(tok.tokenize(s.text), s.ids, "ids of \(s.text.debugDescription)")
            XCTAssertEqual(tok.tokens(s.text), s.tokens, "tokens of \(s.text.debugDescription)")
        }
    }

    /// Real texts of the shared data (PRMBench, DreamPRM-1.5, BIG-Bench-Mistake), read in place;
    /// the fixture holds only their reference ids and where each text is.
    func testSharedDataTextsMatchReference() throws {
        struct Item: Decodable { let file: String; let record: Int; let field: String; let ids: [Int] }
        let tok = try WordPieceTokenizer.load(tokenizerJSON: try Self.modelDirectory() + "/tokenizer.json")
        let items = try JSONDecoder().decode([Item].self, from: Data(contentsOf: URL(fileURLWithPath: TestPaths.fixtures + "/wordpiece/shared_ids.json")))
        var records: [String: [Any]] = [:]
        var mismatches = 0
        for item in items {
            if records[item.file] == nil {
                let data = try Data(contentsOf: URL(fileURLWithPath: try TestPaths.sharedFile(item.file)))
                if item.file.hasSuffix(".jsonl") {
                    records[item.file] = try data.split(separator: UInt8(ascii: "\n")).prefix(40).map { try JSONSerialization.jsonObject(with: Data($0)) }
                } else {
                    records[item.file] = try JSONSerialization.jsonObject(with: data) as? [Any]
                }
            }
            var value: Any = records[item.file]![item.record]
            for key in item.field.split(separator: ".") {
                if let i = Int(key) { value = (value as! [Any])[i] } else { value = (value as! [String: Any])[String(key)]! }
            }
            let text = value as! String
            if tok.tokenize(text) != item.ids {
                mismatches += 1
                XCTAssertEqual(tok.tokens(text), item.ids.map { tok.token(of: $0) }, "\(item.file) record \(item.record) \(item.field)")
            }
        }
        XCTAssertEqual(mismatches, 0, "of \(items.count) texts")
        XCTAssertGreaterThan(items.count, 300)
    }

    func testVocabTxtMatchesReference() throws {
        let dir = try Self.modelDirectory()
        let tok = try WordPieceTokenizer.load(vocabTxt: dir + "/vocab.txt", config: dir + "/tokenizer_config.json")
        for s in try Self.fixture().sentences {
            XCTAssertEqual(tok.tokenize(s.text), s.vocab_txt_ids, "ids of \(s.text.debugDescription)")
        }
    }

    func testTruncationAndPaddingMatchReference() throws {
        let tok = try WordPieceTokenizer.load(directory: try Self.modelDirectory())
        for r in try Self.fixture().truncated_12_padded_16 {
            let e = tok.encoding(r.text, maxLength: 12, padTo: 16)
            XCTAssertEqual(e.ids, r.ids, "ids of \(r.text.debugDescription)")
            XCTAssertEqual(e.attentionMask, r.attention_mask, "mask of \(r.text.debugDescription)")
        }
        let batch = tok.encodeBatch(["Hello, world!", "The quick brown fox."], padding: .longest)
        XCTAssertEqual(batch.length, 7)
        XCTAssertEqual(batch.encodings[0].attentionMask, [1, 1, 1, 1, 1, 1, 0])
        XCTAssertEqual(batch.encodings[1].ids.count, 7)
        XCTAssertEqual(batch.flatIDs.count, 14)
        let fixed = tok.encodeBatch(["a b c d e f g h"], padding: .fixed(5))
        XCTAssertEqual(fixed.encodings[0].ids.count, 5)
        XCTAssertEqual(fixed.encodings[0].ids.first, tok.clsID)
        XCTAssertEqual(fixed.encodings[0].ids.last, tok.sepID)
    }

    /// A small vocabulary exercising each rule without the real model.
    func tiny() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able",
                                            "cafe", "!", "+", "-", "中", "$", "a", "##a"], maxInputCharsPerWord: 9)
    }

    func testRulesOnTinyVocabulary() throws {
        let t = try tiny()
        XCTAssertEqual(t.tokens("UNAFFABLE!", addSpecialTokens: false), ["un", "##aff", "##able", "!"])
        XCTAssertEqual(t.tokens("Café", addSpecialTokens: false), ["cafe"])
        XCTAssertEqual(t.tokens("x中$", addSpecialTokens: false), ["[UNK]", "中", "$"])   // 中 split off, $ is punctuation
        XCTAssertEqual(t.tokens("unaffx", addSpecialTokens: false), ["[UNK]"])             // a part matches nothing
        XCTAssertEqual(t.tokens("aaaaaaaaaa aaaaa", addSpecialTokens: false), ["[UNK]", "a", "##a", "##a", "##a", "##a"])
        XCTAssertEqual(t.tokens("a[MASK]a\u{0}\t", addSpecialTokens: true), ["[CLS]", "a", "[MASK]", "a", "[SEP]"])
        XCTAssertEqual(t.tokenize(""), [2, 3])
        XCTAssertEqual(t.decode([2, 5, 6, 7, 9, 0, 0]), "[CLS] unaffable!")
        XCTAssertEqual([t.imStartID, t.imEndID, t.plusID, t.minusID], [2, 3, 10, 11])
    }

    func testNormalizerAndPunctuation() {
        let n = BertNormalizer()
        XCTAssertEqual(String(String.UnicodeScalarView(n.normalize("Déjà\u{200B}\tVU 東"))), "deja vu  東 ")
        XCTAssertTrue(BertPreTokenizer.isPunctuation("^"))
        XCTAssertTrue(BertPreTokenizer.isPunctuation("«"))
        XCTAssertFalse(BertPreTokenizer.isPunctuation("×"))
        let cased = BertNormalizer(lowercase: false)
        XCTAssertFalse(cased.stripAccents)
        XCTAssertEqual(String(String.UnicodeScalarView(cased.normalize("Café"))), "Café")
    }

    func testErrors() throws {
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: ["[PAD]", "[CLS]", "[SEP]"])) { e in
            XCTAssertTrue("\(e)".contains("'[UNK]' is not in the vocabulary"), "\(e)")
        }
        let dir = try TestPaths.scratch()
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: dir)) { e in
            XCTAssertTrue("\(e)".contains("no tokenizer.json or vocab.txt"), "\(e)")
        }
        try #"{"model": {"type": "BPE", "vocab": {}}}"#.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: dir)) { e in
            XCTAssertTrue("\(e)".contains("'BPE' is not supported"), "\(e)")
        }
    }
}
