import Foundation
import XCTest
import Tensors
import Datasets
@testable import PRM

final class NumberFeaturesTests: XCTestCase {
    func numberConfig() throws -> PRMConfig {
        let c = try PRMConfig.preset("tiny")
        XCTAssertTrue(c.numberFeatures, "the presets have number features")
        return c
    }

    /// Whole-number tokens get their value; words, signs and special tokens none.
    func testValuesReadOffTheTokenizer() {
        let t = PRMFixture.tokenizer
        let values = PRMNetwork.numberValues(of: t)
        XCTAssertEqual(values.count, t.vocabularySize)
        for n in [0, 7, 10] {
            let ids = t.encode(String(n))
            XCTAssertEqual(ids.count, 1, "\(n) is one token")
            XCTAssertEqual(values[ids[0]], n)
        }
        for text in ["+", "-", "=", "Compute"] {
            for id in t.encode(text) { XCTAssertNil(values[id], text) }
        }
        XCTAssertNil(values[t.plusID])
        XCTAssertNil(values[t.imStartID])
        // The feature table: (1, value / 10) at number tokens, saturating at 100; zeros elsewhere.
        let net = PRMNetwork(config: try! PRMConfig.preset("tiny"), vocabularySize: 6, seed: 0,
                             numberValues: [nil, 0, 7, 12, 2024, nil])
        // Exact: value / 10 is one correctly rounded division, as is the literal 0.7 or 1.2.
        XCTAssertEqual(net.numberFeatureTable?.toArray(), [0, 0, 1, 0, 1, 0.7, 1, 1.2, 1, 10, 0, 0])
    }

    /// The value projection is a parameter; changing it changes the state of a number token and
    /// leaves a text without numbers alone.
    func testFeaturesEnterAtNumberTokensOnly() throws {
        let prm = ProcessRewardModel(config: try numberConfig(), tokenizer: PRMFixture.tokenizer, seed: 5)
        XCTAssertTrue(prm.namedParameters.contains { $0.0 == "embed_numbers.weight" })
        let net = try XCTUnwrap(prm.network as? PRMNetwork)
        let ids = PRMFixture.tokenizer.encode("7+5=12")
        let values = net.numberValues
        let before = net.hidden(ids: ids, batch: 1, length: ids.count, lengths: [ids.count]).value.toArray()
        XCTAssertNotNil(values[ids[0]])
        let embedding = try XCTUnwrap(net.numberEmbedding)
        embedding.weight.value = Tensor.zeros(embedding.weight.shape)
        let after = net.hidden(ids: ids, batch: 1, length: ids.count, lengths: [ids.count]).value.toArray()
        let c = prm.config.hiddenSize
        XCTAssertNotEqual(Array(before[0..<c]), Array(after[0..<c]))
        let plus = PRMFixture.tokenizer.encode("+")
        let p0 = net.hidden(ids: plus, batch: 1, length: 1, lengths: [1]).value.toArray()
        embedding.weight.value = Tensor.ones(embedding.weight.shape)
        // Exact: the features of a non-number token are exact zeros, so any projection adds 0.
        XCTAssertEqual(net.hidden(ids: plus, batch: 1, length: 1, lengths: [1]).value.toArray(), p0)
    }

    /// Save and load keep the scores; configs without the key have no number features.
    func testCheckpointRoundTripAndOldConfigs() throws {
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try numberConfig()
        let prm = ProcessRewardModel(config: config, tokenizer: PRMFixture.tokenizer, seed: 3)
        var plainConfig = config
        plainConfig.numberFeatures = false
        let plain = ProcessRewardModel(config: plainConfig, tokenizer: PRMFixture.tokenizer, seed: 3)
        XCTAssertEqual(prm.parameterCount - plain.parameterCount, 2 * config.hiddenSize)
        let sets = PRMFixture.benchmark.test
        let before = prm.candidateScores(sets)
        try prm.save(to: dir + "/numbers")
        let loaded = try ProcessRewardModel.load(from: dir + "/numbers")
        XCTAssertTrue(loaded.config.numberFeatures)
        // Exact: same weights (read back bit for bit, or copied), same batches, same shapes.
        XCTAssertEqual(loaded.candidateScores(sets), before)
        XCTAssertEqual(try prm.copy().candidateScores(sets), before)

        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as! [String: Any]
        old.removeValue(forKey: "number_features")
        let decoded = try JSONDecoder().decode(PRMConfig.self, from: JSONSerialization.data(withJSONObject: old))
        XCTAssertFalse(decoded.numberFeatures)
    }
}
