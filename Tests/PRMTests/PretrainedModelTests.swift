import Foundation
import XCTest
import Tensors
import Autodiff
import NN
import Datasets
@testable import PRM

/// `loadModel` on the real MiniLM: tokenize, encode and embed agree with the reference fixtures
/// (written by scripts/make_bert_fixtures.py), and a saved copy loads back.
final class PretrainedModelTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func sharedEnvironment() throws -> [String: String] {
        var shared = Self.repoRoot.deletingLastPathComponent().appendingPathComponent("shared").standardizedFileURL.path
        if let env = ProcessInfo.processInfo.environment["DPRM_SHARED"], !env.isEmpty {
            shared = env.hasSuffix("/data") ? String(env.dropLast(5)) : env
        }
        guard FileManager.default.fileExists(atPath: shared + "/models/minilm-l6-v2/model.safetensors") else {
            throw XCTSkip("real model not found at \(shared)/models/minilm-l6-v2 (set DPRM_SHARED to the shared folder)")
        }
        return ["DPRM_SHARED": shared, "DPRM_MODEL_CACHE": NSTemporaryDirectory() + "dprm-empty-cache-\(UUID().uuidString)"]
    }

    struct Reference: Decodable { let sentences: [String]; let input_ids: [[Int]]; let lengths: [Int] }

    func testLoadByNameTokenizeEncodeEmbed() throws {
        let model = try loadModel(path: "minilm-l6-v2", environment: try sharedEnvironment())
        let fixtures = Self.repoRoot.appendingPathComponent("Tests/NNTests/Fixtures/bert").path
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/reference.json")))
        let file = try SafetensorsFile(path: fixtures + "/reference.safetensors")
        for (i, s) in ref.sentences.enumerated() {
            XCTAssertEqual(model.tokenize(s), Array(ref.input_ids[i].prefix(ref.lengths[i])), s)
        }
        let h = model.encode(ref.sentences[0])
        XCTAssertEqual(h.shape, [ref.lengths[0], 384])
        let expected = try file.tensor("hidden_first").toArray()
        XCTAssertLessThanOrEqual(zip(h.toArray(), expected).map { abs($0 - $1) }.max()!, 1e-4)

        let pooled = model.embed(ref.sentences)
        let expectedPooled = try file.tensor("pooled").toArray()
        XCTAssertEqual(pooled.shape, [ref.sentences.count, 384])
        XCTAssertLessThanOrEqual(zip(pooled.toArray(), expectedPooled).map { abs($0 - $1) }.max()!, 1e-4)

        // A saved copy (weights + tokenizer files) loads back by path and gives the same numbers.
        let dir = NSTemporaryDirectory() + "dprm-pretrained-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try model.save(directory: dir)
        let back = try loadModel(path: dir)
        XCTAssertEqual(back.tokenize("Café déjà vu"), model.tokenize("Café déjà vu"))
        // Exact: the float32 weights read back bit for bit; same input, same shapes.
        XCTAssertEqual(back.encode("Hello, world!").toArray(), model.encode("Hello, world!").toArray())
    }
}
