import XCTest
import Foundation

/// The tiny random llama fixture copied into `dir` with 4096 positions, for the examples that
/// run end to end on it instead of SmolLM2 (rotary embeddings take any length; the fixture's 128
/// would truncate every PRMBench conversation). Returns the copied model folder.
func tinyLlamaWithLongContext(in dir: String, repo: URL) throws -> String {
    let model = dir + "/tiny-llama"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: repo.appendingPathComponent("Tests/NNTests/Fixtures/llama/tiny-llama").path, toPath: model)
    let config = try String(contentsOfFile: model + "/config.json", encoding: .utf8)
    XCTAssertTrue(config.contains("\"max_position_embeddings\": 128"))
    try config.replacingOccurrences(of: "\"max_position_embeddings\": 128", with: "\"max_position_embeddings\": 4096")
        .write(toFile: model + "/config.json", atomically: true, encoding: .utf8)
    return model
}
