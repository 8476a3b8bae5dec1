import XCTest
import Foundation
import Lang
import Tensors
import NN
import Stdlib

/// `load_model` of llama-family language models in the language, on the tiny random llama that
/// `scripts/make_llama_fixtures.py` saves (Tests/NNTests/Fixtures/llama: a Hugging Face folder
/// with a byte-level BPE tokenizer, and the same model as GGUF), against the references
/// transformers computed there; and on the real SmolLM2 of the model cache when it is there.
final class LanguageModelBuiltinsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("NNTests/Fixtures/llama").path

    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/reference.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func interpreter() -> Interpreter {
        Stdlib.makeInterpreter(options: .init(searchPaths: [], output: { _ in }))
    }

    func tensor(_ v: Value) throws -> Tensor {
        guard case .native(let n) = v, let t = n as? TensorValue else { throw XCTSkip("not a tensor: \(v)") }
        return t.variable.value
    }

    /// The reference logits of fixture sequence `i` of tiny-llama, [tokens, vocab] flattened.
    func referenceLogits(_ i: Int) throws -> [Float] {
        try SafetensorsFile(path: Self.fixtures + "/reference.safetensors").tensor("tiny-llama.seq\(i)").toArray()
    }

    func checkModel(_ path: String) throws {
        let ref = try Self.reference()
        let e = ref["tiny-llama"] as! [String: Any]
        let texts = ref["texts"] as! [String]
        let sequences = (e["sequences"] as! [[NSNumber]]).map { $0.map(\.intValue) }
        let greedy = (e["greedy"] as! [NSNumber]).map(\.intValue)
        let interp = interpreter()
        _ = try interp.evaluate("let m = load_model(\"\(path)\")")
        XCTAssertEqual(try interp.evaluate("[m.architecture, m.vocab_size, m.hidden_size, m.num_layers, m.max_length]").description,
                       "[\"llama\", 300, 32, 2, 128]")
        for (i, text) in texts.enumerated() {
            let quoted = text.replacingOccurrences(of: "\"", with: "\\\"")
            XCTAssertEqual(try interp.evaluate("m.tokenize(\"\(quoted)\")").description, "\(sequences[i])", "tokenize text \(i)")
            let logits = try tensor(try interp.evaluate("m.logits(\"\(quoted)\")"))
            XCTAssertEqual(logits.shape, [sequences[i].count, 300])
            let expected = try referenceLogits(i)
            let worst = zip(logits.toArray(), expected).map { Swift.abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-4, "logits of text \(i)")
        }
        // Greedy ids exactly (the fixture script checked every step's top-2 margin > 1e-3).
        XCTAssertEqual(try interp.evaluate("m.generate(\(sequences[0]), max_tokens: \(greedy.count))").description, "\(greedy)")
        let t0 = texts[0]
        XCTAssertEqual(try interp.evaluate("m.generate(\"\(t0)\", max_tokens: 12) == m.detokenize(m.generate(m.tokenize(\"\(t0)\"), max_tokens: 12), skip_special_tokens: true)").description, "true")
        XCTAssertEqual(try interp.evaluate("m.detokenize(m.tokenize(\"\(t0)\"))").description, t0)
        XCTAssertEqual(try interp.evaluate("m.generate([42, 265], max_tokens: 6, temperature: 1, seed: 3) == m.generate([42, 265], max_tokens: 6, temperature: 1, seed: 3)").description, "true")
        let chat = ref["chat"] as! [String: Any]
        guard case .string(let rendered) = try interp.evaluate("m.chat_template([{role: \"user\", content: \"Hello\"}])") else {
            return XCTFail("chat_template did not return a string")
        }
        XCTAssertEqual(rendered, chat["text"] as? String)
    }

    func testTinyLlamaFolder() throws { try checkModel(Self.fixtures + "/tiny-llama") }

    func testTinyLlamaGGUF() throws { try checkModel(Self.fixtures + "/tiny-llama.gguf") }

    /// A cache name whose folder holds one GGUF file (as scripts/fetch-models leaves SmolLM2).
    func testCacheNameFindsTheGGUF() throws {
        let cache = NSTemporaryDirectory() + "dprm-lm-cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        try FileManager.default.createDirectory(atPath: cache + "/tiny", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/tiny-llama.gguf", toPath: cache + "/tiny/tiny.Q.gguf")
        let saved = ProcessInfo.processInfo.environment["DPRM_MODEL_CACHE"]
        setenv("DPRM_MODEL_CACHE", cache, 1)
        defer { if let saved { setenv("DPRM_MODEL_CACHE", saved, 1) } else { unsetenv("DPRM_MODEL_CACHE") } }
        let interp = interpreter()
        XCTAssertEqual(try interp.evaluate("load_model(\"tiny\").source").description, cache + "/tiny/tiny.Q.gguf")
    }

    func testErrorsNameTheProblem() throws {
        let interp = interpreter()
        _ = try interp.evaluate("let m = load_model(\"\(Self.fixtures)/tiny-llama\")")
        let cases: [(String, String)] = [
            // The Qwen2 fixture has weights but no tokenizer.
            ("load_model(\"\(Self.fixtures)/tiny-qwen2\")", "tiny-qwen2/tokenizer.json: cannot read file"),
            ("m.generate([999], max_tokens: 2)", "token id 999 is outside the vocabulary 0..<300"),
            ("m.generate([5], max_tokens: -1)", "max_tokens must not be negative"),
            ("m.logits([])", "logits of an empty sequence"),
            ("m.chat_template([{role: \"user\"}])", "message 1 must be a dict with string 'role' and 'content'"),
        ]
        for (code, needle) in cases {
            XCTAssertThrowsError(try interp.evaluate(code), code) { XCTAssertTrue("\($0)".contains(needle), "\(code): \($0)") }
        }
        let dir = NSTemporaryDirectory() + "dprm-lm-gpt2-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"model_type": "gpt2"}"#.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try interp.evaluate("load_model(\"\(dir)\")")) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("model_type 'gpt2'") && text.contains("'bert'") && text.contains("LlamaForCausalLM"), text)
        }
    }

    /// The real SmolLM2-135M-Instruct by its cache name: the reference prompt's ids and greedy
    /// answer (scripts/make_smollm_reference.py; text 0 is a ChatML question whose greedy answer
    /// ends with <|im_end|>, the end-of-sequence token).
    func testRealSmolLM2ByName() throws {
        let cache = ProcessInfo.processInfo.environment["DPRM_MODEL_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.cache/dprm/models"
        let file = cache + "/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
        guard FileManager.default.fileExists(atPath: file) else {
            throw XCTSkip("\(file) is absent: run scripts/fetch-models smollm2-135m-instruct")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/smollm2.json"))
        let ref = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let text0 = (ref["texts"] as! [[String: Any]])[0]
        let prompt = text0["text"] as! String
        let ids = (text0["ids"] as! [NSNumber]).map(\.intValue)
        let interp = interpreter()
        let literal = prompt.replacingOccurrences(of: "\n", with: "\\n")
        _ = try interp.evaluate("let m = load_model(\"smollm2-135m-instruct\")\nlet p = \"\(literal)\"")
        XCTAssertEqual(try interp.evaluate("[m.architecture, m.vocab_size, m.hidden_size, m.num_layers]").description, "[\"llama\", 49152, 576, 30]")
        XCTAssertEqual(try interp.evaluate("m.tokenize(p)").description, "\(ids)")
        // Exact text: the reference's greedy steps all have a top-2 logit margin of at least 0.05
        // (greedy_min_margin), far above the float32 differences (< 1e-3), so no argmax can flip.
        XCTAssertEqual(try interp.evaluate("m.generate(p, max_tokens: 12)").description, "The capital of France is Paris.")
    }
}
