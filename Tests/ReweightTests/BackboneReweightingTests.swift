import Foundation
import XCTest
import Datasets
import PRM
import Reweight

/// A reweighting run over a PRM on the real pretrained MiniLM: the bi-level method works the
/// same with either backbone (the PRM side of the backbone: `BertBackbonePRMTests`).
final class BackboneReweightingTests: XCTestCase {
    static let system = "Check each step."

    func pretrained() throws -> PretrainedModel {
        guard let data = SharedData.directory() else {
            throw XCTSkip("shared data not found at ../shared/data (set DPRM_SHARED to the shared folder)")
        }
        let dir = URL(fileURLWithPath: data).deletingLastPathComponent().appendingPathComponent("models/minilm-l6-v2").path
        guard FileManager.default.fileExists(atPath: dir + "/model.safetensors") else {
            throw XCTSkip("real model not found at \(dir) (set DPRM_SHARED to the shared folder)")
        }
        return try loadModel(path: dir)
    }

    /// Two right and one wrong solution, labelled per step: (id, question, steps, labels).
    func instances() -> [PRMInstance] {
        let rows: [(String, String, [String], [Float])] = [
            ("a", "What is 2 + 3?", ["2 + 3 = 5.", "So the answer is 5."], [1, 1]),
            ("b", "What is 4 * 2?", ["4 * 2 = 6.", "So the answer is 6."], [0, 0]),
            ("c", "What is 7 - 4?", ["7 - 4 = 3.", "So the answer is 3."], [1, 1]),
        ]
        return rows.map { PRMInstance(id: $0.0, systemPrompt: Self.system, question: $0.1, steps: $0.2, labels: $0.3) }
    }

    func testReweightingRunsUnchangedWithTheBackbone() throws {
        // The same ReweightRun as for the generative PRM: an Instance Table and an Instance Net
        // over a MiniLM PRM, two bi-level iterations each; the upper level must move.
        let data = instances()
        let meta = data.map { MetaInstance(id: $0.id, systemPrompt: Self.system, question: $0.question,
                                           steps: $0.steps, label: !$0.labels.contains(0)) }
        for weighting in [try InstanceTable(instances: data) as InstanceWeighting, InstanceNet(hiddenDim: 4, seed: 1)] {
            let prm = try ProcessRewardModel(pretrained: try pretrained(), seed: 2, maxLength: 96)
            var o = ReweightOptions()
            o.iterations = 2
            o.lr = 1e-4
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
            XCTAssertEqual(run.allWeights().count, data.count)
        }
    }
}
