import XCTest
import Foundation
import Tensors
import Support
@testable import NN

/// Hostile model configs (issue 18, item 4): sizes far beyond the weights used to allocate before
/// any shape was compared (hidden_size / vocab_size 1e9 aborted the process, num_hidden_layers 1e9
/// grew memory without end), BERT's `pad_token_id: -1` corrupted the heap, a negative
/// `layer_norm_eps` gave NaN outputs and mistyped fields were ignored. Each is now an error naming
/// the file and the field, raised before the model is built.
final class HostileConfigTests: XCTestCase {
    var tmp: String!

    override func setUpWithError() throws {
        tmp = NSTemporaryDirectory() + "dprm-hostile-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: tmp) }

    /// A saved tiny BERT folder whose config.json gets `edit` applied.
    func bertFolder(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let dir = tmp + "/" + name
        try BertModel(config: BertModelTests.tinyConfig, seed: 1).save(directory: dir)
        let path = dir + "/config.json"
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&o)
        try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: path))
        return dir
    }

    func assertBertRejects(_ name: String, mentioning words: [String], line: UInt = #line, _ edit: (inout [String: Any]) -> Void) throws {
        let dir = try bertFolder(name, edit)
        XCTAssertThrowsError(try BertModel.load(directory: dir), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(dir), "names the folder: \(text)", line: line)
            for w in words { XCTAssertTrue(text.contains(w), "mentions '\(w)': \(text)", line: line) }
        }
    }

    func testBertConfigIsRangeCheckedAgainstItsWeights() throws {
        // The untouched folder loads: the bounds refuse nothing real.
        XCTAssertNoThrow(try BertModel.load(directory: try bertFolder("fine") { _ in }))
        try assertBertRejects("hidden", mentioning: ["config.json", "hidden_size", "model.safetensors holds"]) { $0["hidden_size"] = 1_000_000_000 * 12 }
        try assertBertRejects("vocab", mentioning: ["config.json", "vocab_size x hidden_size"]) { $0["vocab_size"] = 1_000_000_000 }
        try assertBertRejects("layers", mentioning: ["num_hidden_layers x"]) { $0["num_hidden_layers"] = 1_000_000_000 }
        // The products overflow Int: refused, not wrapped.
        try assertBertRejects("overflow", mentioning: ["more than 2^63"]) { $0["vocab_size"] = 4_000_000_000_000_000_000 as Int64; $0["hidden_size"] = 4_000_000_000 * 12 }
        try assertBertRejects("positions", mentioning: ["max_position_embeddings x hidden_size"]) { $0["max_position_embeddings"] = 1_000_000_000_000 }
        try assertBertRejects("pad", mentioning: ["pad_token_id", "found -1"]) { $0["pad_token_id"] = -1 }
        try assertBertRejects("pad-big", mentioning: ["pad_token_id"]) { $0["pad_token_id"] = 1_000_000 }
        try assertBertRejects("eps", mentioning: ["layer_norm_eps", "found -1"]) { $0["layer_norm_eps"] = -1 }
        try assertBertRejects("eps-zero", mentioning: ["layer_norm_eps"]) { $0["layer_norm_eps"] = 0 }
        try assertBertRejects("eps-type", mentioning: ["layer_norm_eps", "\"tiny\""]) { $0["layer_norm_eps"] = "tiny" }
        try assertBertRejects("dropout", mentioning: ["hidden_dropout_prob"]) { $0["hidden_dropout_prob"] = 1.5 }
        try assertBertRejects("dropout-type", mentioning: ["attention_probs_dropout_prob"]) { $0["attention_probs_dropout_prob"] = [0.1] }
        try assertBertRejects("size-type", mentioning: ["hidden_size", "positive integer"]) { $0["hidden_size"] = "48" }
        try assertBertRejects("size-frac", mentioning: ["num_attention_heads", "positive integer"]) { $0["num_attention_heads"] = 2.5 }
    }

    /// A copy of the tiny llama fixture folder with its config edited.
    func llamaFolder(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let dir = tmp + "/" + name
        try FileManager.default.copyItem(atPath: Fixture.path("llama/tiny-llama"), toPath: dir)
        let path = dir + "/config.json"
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&o)
        try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: path))
        return dir
    }

    func testLlamaConfigIsRangeCheckedAgainstItsWeights() throws {
        XCTAssertNoThrow(try LlamaModel.load(directory: try llamaFolder("fine") { _ in }))
        for (key, value, words) in [("vocab_size", 1_000_000_000, ["vocab_size x hidden_size", "model.safetensors holds"]),
                                    ("hidden_size", 1_000_000_000, ["config.json", "holds"]),
                                    ("intermediate_size", 1_000_000_000, ["hidden_size x intermediate_size"]),
                                    ("num_hidden_layers", 1_000_000_000, ["num_hidden_layers x"]),
                                    ("bos_token_id", -1, ["bos_token_id -1", "vocab_size"]),
                                    ("pad_token_id", 300, ["pad_token_id 300"])] as [(String, Int, [String])] {
            let dir = try llamaFolder(key) { $0[key] = value; if key == "hidden_size" { $0["head_dim"] = nil } }
            XCTAssertThrowsError(try LlamaModel.load(directory: dir), key) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(dir), "names the folder: \(text)")
                for w in words { XCTAssertTrue(text.contains(w), "\(key): mentions '\(w)': \(text)") }
            }
        }
        let eps = try llamaFolder("eps") { $0["rms_norm_eps"] = -1 }
        XCTAssertThrowsError(try LlamaModel.load(directory: eps)) { XCTAssertTrue("\($0)".contains("rms_norm_eps"), "\($0)") }
        let typed = try llamaFolder("typed") { $0["rms_norm_eps"] = "1e-5" }
        XCTAssertThrowsError(try LlamaModel.load(directory: typed)) { XCTAssertTrue("\($0)".contains("'rms_norm_eps' must be a number"), "\($0)") }
    }

    /// GGUF metadata claiming a billion blocks: the weights map used to loop over every block.
    func testGGUFMetadataIsBoundedByItsTensors() throws {
        func file(blocks: UInt32, embedding: UInt32) throws -> String {
            var b = GGUFBuilder()
            b.header(tensors: 1, kvs: 5)
            b.kv("general.architecture", .string) { $0.string("llama") }
            b.kv("llama.block_count", .uint32) { $0.u32(blocks) }
            b.kv("llama.embedding_length", .uint32) { $0.u32(embedding) }
            b.kv("llama.feed_forward_length", .uint32) { $0.u32(8) }
            b.kv("llama.attention.head_count", .uint32) { $0.u32(2) }
            b.tensorInfo("token_embd.weight", dims: [4, 4], type: GGMLType.f32.rawValue, offset: 0)
            b.pad(to: 32)
            for _ in 0..<16 { b.u32(Float(1).bitPattern) }
            let path = tmp + "/b\(blocks)-e\(embedding).gguf"
            try b.write(to: path)
            return path
        }
        for (blocks, embedding, words) in [(1_000_000_000, 4, ["num_hidden_layers x"]),
                                           (1, 1_000_000_000, ["holds 16 values"])] as [(UInt32, UInt32, [String])] {
            let path = try file(blocks: blocks, embedding: embedding)
            XCTAssertThrowsError(try LlamaModel.load(gguf: path)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(path), text)
                for w in words { XCTAssertTrue(text.contains(w), "mentions '\(w)': \(text)") }
            }
        }
    }
}
