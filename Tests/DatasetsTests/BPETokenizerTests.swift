import Foundation
import XCTest
import Support
@testable import Datasets

/// The byte-level BPE tokenizer against Hugging Face `tokenizers` (fixtures written by
/// `scripts/make_bpe_fixtures.py`): three small trained tokenizer.json files (Qwen2, GPT-2 and
/// Llama 3 splitting rules) and the real SmolLM2 GGUF file from the model cache, on an edge-case
/// corpus and on every text of the shared data.
final class BPETokenizerTests: XCTestCase {
    static let folder = TestPaths.fixtures + "/bpe"
    static let tinyNames = ["tiny-qwen2", "tiny-gpt2", "tiny-llama3"]

    static var smollmPath: String {
        let env = ProcessInfo.processInfo.environment
        let cache = env["DPRM_MODEL_CACHE"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache/dprm/models")
        return cache + "/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    /// SmolLM2's tokenizer, or an XCTSkip naming the missing file.
    static func smollm() throws -> BPETokenizer {
        guard FileManager.default.fileExists(atPath: smollmPath) else {
            throw XCTSkip("\(smollmPath) is absent: run scripts/fetch-models smollm2-135m-instruct")
        }
        return try BPETokenizer.load(ggufPath: smollmPath)
    }

    static func tiny(_ name: String) throws -> BPETokenizer {
        try BPETokenizer.load(tokenizerJSON: folder + "/\(name).tokenizer.json")
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONValue.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))))
    }

    static func ints(_ v: JSONValue) -> [Int] { v.arrayValue!.map { Int($0.numberValue!) } }

    // MARK: Edge cases

    func checkEdgeCorpus(_ tok: BPETokenizer, _ name: String) throws {
        let edge = try Self.json("edge_ids.json")
        let texts = edge["texts"]!.arrayValue!.map { $0.stringValue! }
        let ids = edge[name]!["ids"]!.arrayValue!
        let decoded = edge[name]!["decoded"]!.arrayValue!
        XCTAssertEqual(texts.count, ids.count)
        for (k, text) in texts.enumerated() {
            let got = tok.encode(text)
            XCTAssertEqual(got, Self.ints(ids[k]), "\(name): ids of \(text.debugDescription)")
            XCTAssertEqual(tok.decode(got), decoded[k].stringValue, "\(name): decoded \(text.debugDescription)")
        }
    }

    func testTinyTokenizersMatchReferenceOnEdgeCases() throws {
        for name in Self.tinyNames { try checkEdgeCorpus(try Self.tiny(name), name) }
    }

    /// The same small tokenizer written as GGUF metadata by gguf-py: the GGUF path without the
    /// real model.
    func testTinyGGUFMatchesItsTokenizerJSON() throws {
        let tok = try BPETokenizer.load(ggufPath: Self.folder + "/tiny-gpt2.gguf")
        XCTAssertEqual(tok.vocabularySize, 801)
        XCTAssertEqual(tok.addedTokens.map(\.content), ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<step>"])
        XCTAssertEqual(tok.addedTokens.map(\.special), [true, true, true, false], "token type 3 is special, 4 is not")
        XCTAssertEqual([tok.bosID, tok.eosID], [1, 2])
        XCTAssertEqual(tok.imStartID, 1)
        try checkEdgeCorpus(tok, "tiny-gpt2")
        XCTAssertEqual(tok.decode(tok.encode("<|im_start|>a<step>b"), skipSpecialTokens: true), "a<step>b")
        XCTAssertThrowsError(try BPETokenizer.load(ggufPath: Self.folder + "/bad-model.gguf")) {
            XCTAssertTrue("\($0)".contains("bad-model.gguf"), "\($0)")
            XCTAssertTrue("\($0)".contains("tokenizer.ggml.model is 'llama'; dprm reads byte-level BPE vocabularies ('gpt2')"), "\($0)")
        }
        XCTAssertThrowsError(try BPETokenizer.load(ggufPath: Self.folder + "/bad-pre.gguf")) {
            XCTAssertTrue("\($0)".contains("tokenizer.ggml.pre 'tekken' is not a pre-tokenizer dprm knows (known: gpt2"), "\($0)")
        }
    }

    func testSmolLM2MatchesReferenceOnEdgeCases() throws {
        try checkEdgeCorpus(try Self.smollm(), "smollm2")
    }

    // MARK: Every text of the shared data

    /// FNV-1a with 64-bit state taking one id per step, and 0xFFFFFFFF after each text, as the
    /// fixture script computes it.
    static func fnv1a(_ ids: [Int], into h: inout UInt64) {
        for i in ids { h = (h ^ UInt64(i)) &* 0x0000_0100_0000_01B3 }
        h = (h ^ 0xFFFF_FFFF) &* 0x0000_0100_0000_01B3
    }

    static func walk(_ v: JSONValue, into out: inout [String]) {
        switch v {
        case .string(let s): out.append(s)
        case .array(let a): for x in a { walk(x, into: &out) }
        case .object(let pairs): for (_, x) in pairs { walk(x, into: &out) }
        default: break
        }
    }

    /// The records of every JSON / JSONL file of the shared data, by relative path (read once
    /// for all the tests).
    static func sharedRecords() throws -> [(String, [JSONValue])] {
        if let r = parsedShared { return r }
        let r = try readSharedRecords()
        parsedShared = r
        return r
    }

    nonisolated(unsafe) static var parsedShared: [(String, [JSONValue])]?

    static func readSharedRecords() throws -> [(String, [JSONValue])] {
        let root = TestPaths.shared
        guard FileManager.default.fileExists(atPath: root) else {
            throw XCTSkip("shared data not found at \(root) (set DPRM_SHARED to the data folder)")
        }
        var out: [(String, [JSONValue])] = []
        let names = (FileManager.default.subpaths(atPath: root) ?? []).filter { $0.hasSuffix(".json") || $0.hasSuffix(".jsonl") }
        for rel in names.sorted() {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + rel)))
            if rel.hasSuffix(".jsonl") {
                var records: [JSONValue] = []
                for line in bytes.split(separator: UInt8(ascii: "\n")) where line.contains(where: { $0 > 32 }) {
                    records.append(try JSONValue.parse(bytes: Array(line)))
                }
                out.append((rel, records))
            } else {
                let v = try JSONValue.parse(bytes: bytes)
                out.append((rel, v.arrayValue ?? [v]))
            }
        }
        return out
    }

    /// Compares the digests of every file's records; `chunks` limits the check to the first
    /// chunks of each file.
    func checkShared(_ tok: BPETokenizer, _ name: String, records: [(String, [JSONValue])], chunks limit: Int = .max) throws {
        let all = try Self.json("shared_digests.json")
        let chunk = Int(all["chunk"]!.numberValue!)
        let expected = all[name]!
        XCTAssertEqual(Set(records.map(\.0)), Set(expected.objectValue!.map(\.key)), "\(name): the same files")
        var totalIDs = 0
        for (rel, recs) in records {
            guard let e = expected[rel] else { continue }
            XCTAssertEqual(recs.count, Int(e["records"]!.numberValue!), "\(rel): records")
            let chunks = e["chunks"]!.arrayValue!.map { $0.stringValue! }
            var ids = 0
            var texts = 0
            for (c, start) in stride(from: 0, to: recs.count, by: chunk).enumerated() where c < limit {
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for r in recs[start..<min(start + chunk, recs.count)] {
                    var strings: [String] = []
                    Self.walk(r, into: &strings)
                    texts += strings.count
                    for s in strings {
                        let t = tok.encode(s)
                        ids += t.count
                        Self.fnv1a(t, into: &h)
                    }
                }
                let hex = String(h, radix: 16)
                XCTAssertEqual(String(repeating: "0", count: 16 - hex.count) + hex, chunks[c],
                               "\(name): \(rel) records \(start)..<\(min(start + chunk, recs.count)) differ from the reference "
                               + "(scripts/make_bpe_fixtures.py --dump \(rel) RECORD prints a record's ids)")
            }
            if limit == .max {
                XCTAssertEqual(texts, Int(e["texts"]!.numberValue!), "\(rel): texts")
                XCTAssertEqual(ids, Int(e["ids"]!.numberValue!), "\(name): \(rel) ids")
            }
            totalIDs += ids
        }
        print("\(name): \(totalIDs) ids over \(records.count) shared files")
    }

    func testSmolLM2MatchesReferenceOnEverySharedText() throws {
        let tok = try Self.smollm()
        let records = try Self.sharedRecords()
        let start = Date()
        try checkShared(tok, "smollm2", records: records)
        print("smollm2: shared corpus tokenised in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
    }

    /// The Qwen2 and Llama 3 splitting rules (SmolLM2 covers GPT-2's) on the first 64 records of
    /// every shared file (the fixture has every record for all three small tokenizers, and they
    /// all matched when it was made; the whole corpus again would take minutes in a debug build).
    func testTinyTokenizersMatchReferenceOnSharedTexts() throws {
        let records = try Self.sharedRecords()
        for name in ["tiny-qwen2", "tiny-llama3"] { try checkShared(try Self.tiny(name), name, records: records, chunks: 1) }
    }

    // MARK: SmolLM2 specifics and the chat template

    func testSmolLM2SpecialTokensAndChatML() throws {
        let tok = try Self.smollm()
        XCTAssertEqual(tok.vocabularySize, 49152)
        XCTAssertEqual([tok.bosID, tok.eosID], [1, 2])
        XCTAssertEqual([tok.imStartID, tok.imEndID, tok.padID, tok.unkID], [1, 2, 2, 0])
        XCTAssertEqual([tok.plusID, tok.minusID], [27, 29])
        XCTAssertEqual(tok.addedTokens.count, 17, "the 17 control tokens <|endoftext|> ... <empty_output>")
        XCTAssertTrue(tok.addedTokens.allSatisfy(\.special))
        XCTAssertEqual(tok.encode("<|im_start|>user\n"), [1, 4093, 198])
        XCTAssertEqual(tok.encode("hi", addBOS: true), [1] + tok.encode("hi"))
        XCTAssertEqual(tok.decode([1, 4093, 198, 2], skipSpecialTokens: true), "user\n")
        XCTAssertEqual(tok.decode([1, 4093, 198, 2]), "<|im_start|>user\n<|im_end|>")

        let template = try XCTUnwrap(ChatMLTemplate(chatTemplate: try XCTUnwrap(tok.chatTemplate)))
        XCTAssertEqual(template.defaultSystemPrompt, "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let chats = try Self.json("chat.json").arrayValue!
        XCTAssertEqual(chats.count, 5)
        for c in chats {
            let messages = c["messages"]!.arrayValue!.map { ChatMessage(role: $0["role"]!.stringValue!, content: $0["content"]!.stringValue!) }
            let text = template.render(messages, addGenerationPrompt: c["add_generation_prompt"]!.boolValue!)
            XCTAssertEqual(text, c["text"]!.stringValue!, "transformers' apply_chat_template")
            XCTAssertEqual(tok.encode(text), Self.ints(c["ids"]!), text.debugDescription)
        }

        // The PRM's template tokenises segment by segment; with special tokens cut out first,
        // that is the same as tokenising the whole conversation.
        let prm = ChatTemplate(tokenizer: tok)
        let steps = ["Step 1: 12 * 12 = 144.", "  So the answer is 144 "]
        let encoded = prm.encode(systemPrompt: "Judge each step.", question: "What is 12 * 12?", steps: steps, labels: [1, 0])
        let whole = ChatMLTemplate().render([ChatMessage(role: "system", content: "Judge each step."),
                                             ChatMessage(role: "user", content: "What is 12 * 12?"),
                                             ChatMessage(role: "user", content: steps[0]), ChatMessage(role: "assistant", content: "+"),
                                             ChatMessage(role: "user", content: steps[1]), ChatMessage(role: "assistant", content: "-")])
        XCTAssertEqual(encoded.tokens, tok.encode(whole))
        XCTAssertEqual(encoded.labelPositions.map { encoded.tokens[$0 + 1] }, [tok.plusID, tok.minusID])
        XCTAssertEqual(encoded.labelPositions.map { encoded.tokens[$0] }, [198, 198], "the newline after 'assistant' predicts the label")
    }

    func testChatMLTemplateRecognition() {
        XCTAssertNil(ChatMLTemplate(chatTemplate: "{{ bos_token }}{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}"))
        // Qwen2.5-style: the system literal that concatenates the first message is not a default.
        let qwen = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
            + "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
        XCTAssertEqual(ChatMLTemplate(chatTemplate: qwen)?.defaultSystemPrompt, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        let plain = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
        let t = ChatMLTemplate(chatTemplate: plain)
        XCTAssertNotNil(t)
        XCTAssertNil(t?.defaultSystemPrompt)
        XCTAssertEqual(t?.render([ChatMessage(role: "user", content: "a")], addGenerationPrompt: true),
                       "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n")
    }

    // MARK: Errors

    func write(_ json: String) throws -> String { try TestPaths.write(json, name: "tokenizer.json") }

    func assertRefused(_ json: String, _ needle: String, line: UInt = #line) throws {
        let path = try write(json)
        XCTAssertThrowsError(try BPETokenizer.load(tokenizerJSON: path), line: line) {
            XCTAssertTrue("\($0)".contains(path), "\($0)", line: line)
            XCTAssertTrue("\($0)".contains(needle), "'\($0)' lacks '\(needle)'", line: line)
        }
    }

    func testTokenizerJSONErrorsNameTheFileAndTheProblem() throws {
        let vocab = #"{"a": 0, "b": 1, "ab": 2}"#
        func file(model: String = #""type": "BPE""#, merges: String = #"["a b"]"#, pre: String = "null", normalizer: String = "null",
                  decoder: String = #"{"type": "ByteLevel"}"#, added: String = "[]") -> String {
            #"{"added_tokens": \#(added), "normalizer": \#(normalizer), "pre_tokenizer": \#(pre), "decoder": \#(decoder), "#
                + #""model": {\#(model), "vocab": \#(vocab), "merges": \#(merges)}}"#
        }
        // A valid one first: merges as strings or as pairs.
        let ok = try BPETokenizer.load(tokenizerJSON: try write(file(merges: #"[["a", "b"]]"#)))
        XCTAssertEqual(ok.encode("ab"), [2])
        XCTAssertEqual(ok.encode("abc"), [2], "a byte without a token is dropped, as Hugging Face does without unk")
        try assertRefused(file(model: #""type": "WordPiece""#), "this reader takes BPE models")
        try assertRefused(file(model: #""type": "BPE", "byte_fallback": true"#), "byte_fallback")
        try assertRefused(file(model: #""type": "BPE", "continuing_subword_prefix": "@@""#), "continuing_subword_prefix")
        try assertRefused(file(merges: #"["a c"]"#), "merge 0 'a c': c is not in the vocabulary")
        try assertRefused(file(merges: #"["b a"]"#), "the merged token 'ba' is not in the vocabulary")
        try assertRefused(file(merges: #"["a b c"]"#), "model.merges[0]")
        try assertRefused(file(pre: #"{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated", "invert": false}"#),
                          "Split regex \\w+ is not one dprm knows (known: gpt2, qwen2, llama3)")
        try assertRefused(file(pre: #"{"type": "Split", "pattern": {"Regex": "x"}, "behavior": "Removed", "invert": false}"#),
                          "behavior Removed")
        try assertRefused(file(pre: #"{"type": "Metaspace"}"#), "pre_tokenizer type 'Metaspace' is not supported")
        try assertRefused(file(normalizer: #"{"type": "Lowercase"}"#), "normalizer type 'Lowercase' is not supported")
        try assertRefused(file(decoder: #"{"type": "WordPiece"}"#), "decoder.type 'WordPiece' is not supported")
        try assertRefused(file(added: #"[{"id": 5, "content": "<x>", "special": true}]"#), "token id 3 is missing")
        try assertRefused(file(added: #"[{"id": 3, "content": "<x>", "lstrip": true}]"#), "sets lstrip")
        try assertRefused("{\"model\": ", "invalid JSON")
        XCTAssertThrowsError(try BPETokenizer.load(tokenizerJSON: "/nonexistent/tokenizer.json")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/tokenizer.json"), "\($0)")
        }
    }

    /// The heap merge (long pieces) and the rescanning merge (short ones) agree, on pieces of
    /// every length of real and repetitive text; and a hostile run of spaces is fast.
    func testHeapMergeEqualsRescanningMerge() throws {
        let tok = try Self.tiny("tiny-gpt2")
        let texts = ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", String(repeating: "the", count: 40),
                     "pneumonoultramicroscopicsilicovolcanoconiosis" + String(repeating: "ing", count: 20),
                     String(repeating: " ", count: 70), String(repeating: "ab", count: 33) + "c", "日本語のテキストを分割する日本語のテキスト"]
        for t in texts {
            let symbols = Array(t.utf8).map { Int32(tok.id(of: String(ByteLevelAlphabet.characters[Int($0)]))!) }
            for n in 1...symbols.count {
                let prefix = Array(symbols.prefix(n))
                XCTAssertEqual(tok.mergeWithHeap(prefix), tok.mergeByRescanning(prefix), "\(t.prefix(n).debugDescription)")
            }
        }
        let start = Date()
        let ids = tok.encode(String(repeating: " ", count: 50_000))
        XCTAssertEqual(tok.decode(ids), String(repeating: " ", count: 50_000))
        print("50,000 spaces: \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        XCTAssertLessThan(Date().timeIntervalSince(start), 20, "50,000 spaces are one piece; the heap keeps that n log n")
    }

    func testPreTokenizerSplitsLikeTheRegexes() {
        func pieces(_ p: BPEPreTokenizer, _ text: String) -> [String] {
            let s = Array(text.unicodeScalars)
            return p.pieces(s).map { r in var v = String.UnicodeScalarView(); v.append(contentsOf: s[r]); return String(v) }
        }
        let gpt2 = BPEPreTokenizer(steps: [.regex(.gpt2)])
        XCTAssertEqual(pieces(gpt2, "Hello  world's 123\n\n x"), ["Hello", " ", " world", "'s", " 123", "\n\n", " x"])
        XCTAssertEqual(pieces(BPEPreTokenizer.gguf("smollm")!, " 123"), [" ", "1", "2", "3"])
        let qwen = BPEPreTokenizer(steps: [.regex(.qwen2)])
        XCTAssertEqual(pieces(qwen, "(abc) 1234 IT'S\r\n\n  x"), ["(abc", ")", " ", "1", "2", "3", "4", " IT", "'S", "\r\n\n", " ", " x"])
        XCTAssertEqual(pieces(BPEPreTokenizer(steps: [.regex(.llama3)]), "1234567"), ["123", "456", "7"])
        XCTAssertNil(BPEPreTokenizer.gguf("tekken"))
    }
}
