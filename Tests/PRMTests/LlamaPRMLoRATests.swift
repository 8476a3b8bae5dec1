import Foundation
import XCTest
import Tensors
import Autodiff
import NN
import Datasets
@testable import PRM

/// LoRA on the language-model PRM (LlamaPRMBackbone+LoRA.swift), on the tiny random llama
/// fixture: only the adapters train, the loss falls, every other weight keeps its exact bits,
/// and the merged model (what a checkpoint holds; saved and reloaded) gives the adapted PRM's scores.
final class LlamaPRMLoRATests: XCTestCase {
    func batch(_ prm: ProcessRewardModel) -> [TemplatedInstance] {
        LlamaPRMTests.reference["tiny-llama"]!.enumerated().map { i, c in
            prm.chatTemplate.encode(systemPrompt: c.system, question: c.question, steps: c.steps,
                                    labels: c.steps.indices.map { ($0 + i) % 2 == 0 ? 1 : 0 })
        }
    }

    func testColdStartWithLoRATrainsOnlyTheAdaptersAndMergesForSaving() throws {
        let lm = try loadLanguageModel(path: LlamaPRMTests.tinyFolder)
        let prm = try ProcessRewardModel(languageModel: lm, trainableLayers: 1)
        let llama = try XCTUnwrap(prm.network as? LlamaPRMBackbone)
        llama.frozenCache = FrozenPrefixCache(width: llama.hiddenSize, limitBytes: 1 << 24)
        try llama.attachLoRA(rank: 4, alpha: 8, seed: 1)
        XCTAssertEqual(llama.loraRank, 4)
        let top = llama.config.numHiddenLayers - 1
        // The trainable set: the 7 adapters of the top block, A and B each.
        XCTAssertEqual(prm.namedParameters.count, 14)
        XCTAssertTrue(prm.namedParameters.allSatisfy { $0.0.hasPrefix("model.layers.\(top).") && $0.0.contains(".lora.") })
        XCTAssertThrowsError(try llama.setTrainableLayers(2))
        XCTAssertThrowsError(try llama.attachLoRA(rank: 2, alpha: 4))

        let before = llama.stateDict().filter { !$0.key.contains(".lora.") }.mapValues { $0.toArray() }
        let data = batch(prm)
        let optimizer = AdamW(prm.namedParameters, lr: 3e-2)
        let first = prm.meanLoss(data).value.item
        for _ in 0..<15 {
            optimizer.zeroGrad()
            prm.meanLoss(data).backward()
            optimizer.step()
        }
        let last = prm.meanLoss(data).value.item
        XCTAssertLessThan(last, first * 0.8, "loss \(first) -> \(last)")
        for (name, values) in llama.stateDict() where !name.contains(".lora.") {
            XCTAssertEqual(values.toArray(), before[name]!, "\(name) changed")   // exact: frozen weights are never written
        }
        XCTAssertGreaterThan(llama.frozenCache!.hits, 0, "the frozen block's outputs were reused")

        // The merged weights: plain Hugging Face names, no adapter entries, the adapted scores.
        let merged = llama.stateDictForSaving
        XCTAssertEqual(Set(merged.keys), Set(before.keys))
        XCTAssertNotEqual(merged["model.layers.\(top).self_attn.q_proj.weight"]!.toArray(),
                          before["model.layers.\(top).self_attn.q_proj.weight"]!)
        let plain = try ProcessRewardModel(languageModel: PretrainedLanguageModel(source: lm.source, model: try llama.languageModel(),
                                                                                  tokenizer: lm.tokenizer, chatTemplate: lm.chatTemplate))
        XCTAssertTrue((plain.network as! LlamaPRMBackbone).adapters.isEmpty)
        let adapted = prm.stepScores(data), reloaded = plain.stepScores(data)
        for (a, b) in zip(adapted.joined(), reloaded.joined()) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        // The checkpoint is that merged model: a plain Hugging Face folder that reloads (without
        // adapters) with the adapted PRM's scores.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lora-checkpoint-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try prm.save(to: folder)
        let loaded = try ProcessRewardModel.load(from: folder)
        let loadedLlama = try XCTUnwrap(loaded.network as? LlamaPRMBackbone)
        XCTAssertTrue(loadedLlama.adapters.isEmpty)
        XCTAssertEqual(Set(loadedLlama.stateDict().keys), Set(before.keys))
        for (a, b) in zip(adapted.joined(), loaded.stepScores(data).joined()) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        // A copy keeps the adapters (same values), so it trains as the original would.
        let twin = try prm.copy()
        let twinLlama = try XCTUnwrap(twin.network as? LlamaPRMBackbone)
        XCTAssertEqual(twinLlama.loraRank, 4)
        XCTAssertEqual(twin.namedParameters.map(\.0), prm.namedParameters.map(\.0))
        for ((_, p), (_, q)) in zip(twin.namedParameters, prm.namedParameters) { XCTAssertEqual(p.value.toArray(), q.value.toArray()) }
        for (name, t) in twinLlama.stateDict() where !name.contains(".lora.") { XCTAssertEqual(t.toArray(), before[name]!, name) }
    }

    func testLoRAOnEveryBlockWithoutTrainableLayersAndABadRank() throws {
        let prm = try LlamaPRMTests.tinyPRM()
        let llama = prm.network as! LlamaPRMBackbone
        XCTAssertThrowsError(try llama.attachLoRA(rank: 0, alpha: 1)) { XCTAssertTrue("\($0)".contains("lora_rank"), "\($0)") }
        try llama.attachLoRA(rank: 2, alpha: 2)
        XCTAssertEqual(llama.adapters.count, 7 * llama.config.numHiddenLayers)
        XCTAssertEqual(prm.namedParameters.count, 14 * llama.config.numHiddenLayers)
        XCTAssertFalse(llama.decoder.embedTokens.weight.requiresGrad)
    }
}
