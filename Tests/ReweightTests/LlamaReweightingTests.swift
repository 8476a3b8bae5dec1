import Foundation
import XCTest
import Datasets
import PRM
import Reweight

/// Reweighting a language-model PRM (`LlamaPRMBackbone`) on the tiny random llama: the same
/// ReweightRun as for the other backbones, with every weighting model, and with the lower
/// blocks frozen and cached (the lower level and the meta set then reuse their frozen outputs).
final class LlamaReweightingTests: XCTestCase {
    static let tinyFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("NNTests/Fixtures/llama/tiny-llama").path
    static let system = "Check each step."

    func instances() -> [PRMInstance] {
        let rows: [(String, String, [String], [Float], String)] = [
            ("a", "What is 2 + 3?", ["2 + 3 = 5.", "So the answer is 5."], [1, 1], "add"),
            ("b", "What is 4 * 2?", ["4 * 2 = 6.", "So the answer is 6."], [0, 0], "mul"),
            ("c", "What is 7 - 4?", ["7 - 4 = 3.", "So the answer is 3."], [1, 1], "add"),
        ]
        return rows.map { PRMInstance(id: $0.0, domain: $0.4, systemPrompt: Self.system, question: $0.1, steps: $0.2, labels: $0.3) }
    }

    func testReweightingRunsWithEveryWeightingAndAFrozenCachedBackbone() throws {
        let data = instances()
        let meta = data.map { MetaInstance(id: $0.id, systemPrompt: Self.system, question: $0.question,
                                           steps: $0.steps, label: !$0.labels.contains(0)) }
        let model = try loadLanguageModel(path: Self.tinyFolder)
        let weightings: [() throws -> InstanceWeighting] = [
            { try InstanceTable(instances: data) }, { InstanceNet(hiddenDim: 4, seed: 1) }, { try DomainTable(instances: data) },
        ]
        for (k, make) in weightings.enumerated() {
            let weighting = try make()
            let prm = try ProcessRewardModel(languageModel: model, trainableLayers: k == 0 ? 1 : nil)
            if k == 0, let llama = prm.network as? LlamaPRMBackbone {
                llama.frozenCache = FrozenPrefixCache(width: llama.hiddenSize, limitBytes: 1 << 20)
            }
            var o = ReweightOptions()
            o.iterations = 2
            o.lr = 1e-3
            o.metaLr = 0.05
            o.batchSize = 2
            o.metaBatchSize = 2
            o.snapshotEvery = 2
            let before = weighting.parameters.map { $0.value.toArray() }
            let run = try ReweightRun(prm: prm, weighting: weighting, train: data, meta: meta, options: o)
            try run.run()
            XCTAssertEqual(run.history.count, 2, weighting.kind)
            XCTAssertTrue(run.history.allSatisfy { $0.metaLoss != nil }, weighting.kind)
            XCTAssertNotEqual(weighting.parameters.map { $0.value.toArray() }, before, "\(weighting.kind): the upper level moved")
            if k == 0, let cache = (prm.network as? LlamaPRMBackbone)?.frozenCache {
                // Three training and three meta conversations (the meta ones are templated with
                // placeholders, so they are other token sequences); later visits hit.
                XCTAssertLessThanOrEqual(cache.count, 6)
                XCTAssertGreaterThan(cache.hits, 0)
            }
        }
    }
}
