import Foundation
import Datasets
import PRM

/// A small generated benchmark and its tokenizer, shared by the PRM tests (generated once).
enum PRMFixture {
    static let benchmark: ArithmeticBenchmark = {
        var c = ArithmeticBenchmark.Config(seed: 11, trainSize: 16, coldStartSize: 0)
        c.metaCount = 4
        c.testQuestions = 2
        c.candidatesPerQuestion = 4
        c.systemPrompt = "Check each step."
        return ArithmeticBenchmark(config: c)
    }()
    static let tokenizer: WordTokenizer = benchmark.makeTokenizer()

    /// The benchmark's (short) system prompt; the reference's default one is longer than the
    /// tiny preset's 256 positions once spelled with this small vocabulary.
    static var system: String { benchmark.config.systemPrompt }

    static func tinyPRM(seed: UInt64 = 1) -> ProcessRewardModel {
        try! ProcessRewardModel(preset: "tiny", tokenizer: tokenizer, seed: seed)
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "dprm-prm-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
