import Foundation
import XCTest
import Tensors
import Autodiff
import NN
import Datasets
@testable import PRM

/// The vision path inside the PRM: image tokens in the question turn, scores that depend on the
/// image, the question and the steps up to the label only, training through the vision tower,
/// checkpoints with the vision weights, text instances unchanged; on the from-scratch decoder and
/// the tiny llama.
final class MultimodalPRMTests: XCTestCase {
    static let folder: String = {
        let dir = PRMFixture.temporaryDirectory()
        // Two pictures that differ only in where the dark square is, one wide picture (2 tiles + thumbnail).
        func picture(_ width: Int, _ height: Int, dark: (Int, Int) -> Bool) -> RGBImage {
            var px = [UInt8](repeating: 255, count: width * height * 3)
            for y in 0..<height { for x in 0..<width where dark(x, y) { for c in 0..<3 { px[(y * width + x) * 3 + c] = 0 } } }
            return RGBImage(width: width, height: height, pixels: px)
        }
        try! PNGImage.save(picture(32, 32) { x, _ in x < 16 }, to: dir + "/left.png")
        try! PNGImage.save(picture(32, 32) { x, _ in x >= 16 }, to: dir + "/right.png")
        try! PNGImage.save(picture(64, 32) { x, y in (x / 8 + y / 8) % 2 == 0 }, to: dir + "/wide.png")
        return dir
    }()

    static func instance(_ image: String?, steps: [String] = ["3 + 4 = 7.", "So 7."], labels: [Float] = [1, 0]) -> PRMInstance {
        PRMInstance(id: image ?? "text", systemPrompt: PRMFixture.system, question: "What is 3 + 4?", steps: steps,
                    labels: labels, image: image.map { folder + "/" + $0 })
    }

    static func visionPRM(seed: UInt64 = 1) throws -> ProcessRewardModel {
        let prm = PRMFixture.tinyPRM(seed: seed)
        try prm.attachVision(VisionConfig.preset("tiny", outputSize: 0), seed: 5, maxTiles: 2)
        return prm
    }

    func testImageTokensSitInTheQuestionTurn() throws {
        let prm = try Self.visionPRM()
        let text = PRMFixture.tinyPRM().template(Self.instance(nil))
        let t = prm.template(Self.instance("wide.png"))
        // 64x32 with at most 2 tiles: a 2x1 grid plus the thumbnail, 4 tokens each.
        XCTAssertEqual(t.pixels?.tiles, 3)
        XCTAssertEqual(t.imagePositions.count, 12)
        XCTAssertEqual(t.imagePositions, Array(t.imagePositions[0]..<(t.imagePositions[0] + 12)))
        let tok = prm.tokenizer
        let start = tok.encode(ChatTemplate.imageStart), end = tok.encode(ChatTemplate.imageEnd)
        let first = t.imagePositions[0], last = t.imagePositions.last!
        XCTAssertEqual(Array(t.tokens[(first - start.count)..<first]), start)
        XCTAssertEqual(Array(t.tokens[(last + 1)..<(last + 1 + end.count)]), end)
        // In the question turn: after the second <|im_start|> (system, then user) and before its <|im_end|>.
        let starts = t.tokens.indices.filter { t.tokens[$0] == tok.imStartID }
        XCTAssertTrue(starts[1] < first && last < t.tokens[starts[1]...].firstIndex(of: tok.imEndID)!)
        // The rest of the conversation is the text template shifted by the image's tokens.
        let shift = t.tokens.count - text.tokens.count
        XCTAssertEqual(t.labelPositions, text.labelPositions.map { $0 + shift })
        XCTAssertEqual(Array(t.tokens.suffix(from: t.labelPositions[0] - 8)), Array(text.tokens.suffix(from: text.labelPositions[0] - 8)))
        // Text-only mode and instances without an image are templated exactly as by a text PRM (exact: integers).
        prm.imageMode = .textOnly
        XCTAssertEqual(prm.template(Self.instance("wide.png")), text)
        prm.imageMode = .images
        XCTAssertEqual(prm.template(Self.instance(nil)), text)
    }

    /// A step's score depends only on the image, the question and the steps up to it: editing a
    /// later step leaves the earlier score unchanged, changing the picture changes it.
    func testScoresDependOnTheImageAndEarlierStepsOnly() throws {
        let prm = try Self.visionPRM()
        let a = prm.template(Self.instance("left.png", steps: ["3 + 4 = 7.", "So 7."]))
        let b = prm.template(Self.instance("left.png", steps: ["3 + 4 = 7.", "Therefore the answer is 9."]))
        let c = prm.template(Self.instance("right.png", steps: ["3 + 4 = 7.", "So 7."]))
        let s = prm.stepScores([a, b, c])
        // Batched with other rows: float32 sums of other shapes may round differently (1e-6).
        XCTAssertEqual(s[0][0], s[1][0], accuracy: 1e-6)
        XCTAssertNotEqual(s[0][1], s[1][1])
        XCTAssertNotEqual(s[0][0], s[2][0], "the picture must change the score")
        // Alone or batched with others (and their images): the same score.
        XCTAssertEqual(prm.stepScores([c])[0][0], s[2][0], accuracy: 1e-5)
        // Blanked: the same tokens, every pixel at the normalised 0, so both pictures score alike.
        prm.imageMode = .blanked
        let blank = prm.stepScores([prm.template(Self.instance("left.png")), prm.template(Self.instance("right.png"))])
        XCTAssertEqual(blank[0], blank[1])
    }

    /// Without images (or text-only) a vision PRM scores exactly as the same network without one.
    func testTextInstancesScoreAsATextPRM() throws {
        let prm = try Self.visionPRM(seed: 3)
        let text = PRMFixture.tinyPRM(seed: 3)
        let x = [Self.instance(nil), Self.instance(nil, steps: ["1 + 1 = 2."], labels: [1])]
        // Exact: same weights, same tokens, the same ops (no vision forward without an image).
        XCTAssertEqual(prm.stepScores(x.map(prm.template)), text.stepScores(x.map(text.template)))
        prm.imageMode = .textOnly
        XCTAssertEqual(prm.stepScores([prm.template(Self.instance("left.png"))]), text.stepScores([text.template(Self.instance("left.png"))]))
    }

    func testGradientsReachTheVisionTowerAndColdStartLearnsThePicture() throws {
        let prm = try Self.visionPRM()
        // The label is the picture: the same text is right with the left picture, wrong with the right one.
        let data = [Self.instance("left.png", steps: ["3 + 4 = 7."], labels: [1]), Self.instance("right.png", steps: ["3 + 4 = 7."], labels: [0])]
        let batch = data.map(prm.template)
        prm.meanLoss(batch).backward()
        for (name, p) in prm.namedParameters where name.hasPrefix("vision.") {
            XCTAssertNotNil(p.grad, name)
        }
        XCTAssertGreaterThan(prm.namedParameters.filter { $0.0.hasPrefix("vision.") }.count, 10)
        var o = ColdStartOptions()
        o.lr = 3e-3; o.iterations = 60; o.batchSize = 2; o.schedulerType = "constant"; o.warmupRatio = 0; o.progress = false
        _ = try coldStart(prm, train: data, options: o)
        let s = prm.stepScores(batch)
        XCTAssertGreaterThan(s[0][0], s[1][0] + 0.3, "left \(s[0]) right \(s[1])")
        // Blanked, the two pictures look alike (exact: same tokens and pixels in one batch row
        // shape each); the text alone cannot tell them apart.
        prm.imageMode = .blanked
        let blank = prm.stepScores(data.map(prm.template))
        XCTAssertEqual(blank[0], blank[1])
    }

    func testCheckpointHoldsTheVisionWeights() throws {
        let prm = try Self.visionPRM()
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try prm.save(to: dir + "/ckpt")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/ckpt/vision.safetensors"))
        let back = try ProcessRewardModel.load(from: dir + "/ckpt")
        XCTAssertEqual(back.vision?.config, prm.vision?.config)
        XCTAssertEqual(back.images?.tiling.maxTiles, 2)
        let x = [prm.template(Self.instance("wide.png")), prm.template(Self.instance("left.png"))]
        // Exact: float32 weights read back bit for bit, same input, same batch.
        XCTAssertEqual(back.stepScores(x.map { _ in x[0] }), prm.stepScores(x.map { _ in x[0] }))
        XCTAssertEqual(back.stepScores(x), prm.stepScores(x))
        let copy = try prm.copy()
        XCTAssertEqual(copy.stepScores(x), prm.stepScores(x))
        // A vision config far larger than its weights is refused before the tower is built.
        let meta = try String(contentsOfFile: dir + "/ckpt/vision.json", encoding: .utf8)
        try meta.replacingOccurrences(of: "\"hidden_size\" : 48", with: "\"hidden_size\" : 48000")
            .replacingOccurrences(of: "\"num_attention_heads\" : 4", with: "\"num_attention_heads\" : 1")
            .write(toFile: dir + "/ckpt/vision.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ProcessRewardModel.load(from: dir + "/ckpt")) { XCTAssertTrue("\($0)".contains("hidden_size"), "\($0)") }
        // A broken vision file is an error naming it.
        try "{\"format\": \"other\"}".write(toFile: dir + "/ckpt/vision.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ProcessRewardModel.load(from: dir + "/ckpt")) { XCTAssertTrue("\($0)".contains("vision.json"), "\($0)") }
    }

    func testMissingImageIsAnErrorNamingIt() throws {
        let prm = try Self.visionPRM()
        var o = ColdStartOptions()
        o.iterations = 1; o.progress = false
        XCTAssertThrowsError(try coldStart(prm, train: [Self.instance("nope.png")], options: o)) {
            XCTAssertTrue("\($0)".contains("nope.png"), "\($0)")
        }
    }

    func testLlamaBackboneTakesImageTokens() throws {
        let prm = try LlamaPRMTests.tinyPRM()
        try prm.attachVision(VisionConfig.preset("tiny", outputSize: 0), seed: 2, maxTiles: 2)
        XCTAssertEqual(prm.vision?.config.outputSize, prm.network.hiddenSize)
        let data = [Self.instance("left.png", labels: [1, 1]), Self.instance("right.png", labels: [0, 0])]
        let batch = data.map(prm.template)
        let s = prm.stepScores(batch)
        XCTAssertGreaterThan(abs(s[0][0] - s[1][0]), 1e-7, "the picture must change the llama's score")
        let edited = prm.template(Self.instance("left.png", steps: ["3 + 4 = 7.", "No, 8."], labels: [1, 1]))
        XCTAssertEqual(prm.stepScores([edited])[0][0], prm.stepScores([batch[0]])[0][0], accuracy: 1e-5)
        var o = ColdStartOptions()
        o.lr = 3e-3; o.iterations = 6; o.batchSize = 2; o.schedulerType = "constant"; o.warmupRatio = 0; o.progress = false
        let before = noGrad { prm.meanLoss(batch).value.item }
        let visionBefore = prm.vision!.stateDict().mapValues { $0.copy() }
        _ = try coldStart(prm, train: data, options: o)
        XCTAssertLessThan(noGrad { prm.meanLoss(batch).value.item }, before)
        XCTAssertNotEqual(prm.vision!.embeddings.projection.weight.value.toArray(), visionBefore["embeddings.patch_embedding.weight"]!.toArray())
        let dir = PRMFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try prm.save(to: dir + "/ckpt")
        let back = try ProcessRewardModel.load(from: dir + "/ckpt")
        XCTAssertTrue(back.isLanguageModelBackbone)
        XCTAssertEqual(back.stepScores(batch)[0], prm.stepScores(batch)[0], "exact: same weights and input")
        // A frozen-block llama cannot take image tokens (its cache is keyed by token ids).
        let frozen = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        XCTAssertThrowsError(try frozen.attachVision(VisionConfig(), seed: 0)) { XCTAssertTrue("\($0)".contains("trainable_layers")) }
    }
}
