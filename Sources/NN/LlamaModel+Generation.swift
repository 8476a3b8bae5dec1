import Foundation
import Tensors
import Autodiff
import Support

extension LlamaModel {
    /// Continues `prompt` by up to `maxTokens` tokens with a key/value cache: the prompt is run
    /// once, then each new token costs one position.
    ///
    /// - temperature 0 (or below): greedy, the highest logit (the first on ties), as transformers'
    ///   `do_sample=False`.
    /// - temperature > 0: samples from softmax(logits / temperature) (computed in double
    ///   precision), drawing from a `RandomGenerator` seeded with `seed`, so the same seed gives
    ///   the same text.
    /// Stops after a token of `stopTokens` (default: the config's end-of-sequence ids), which is
    /// included in the result as transformers does. Returns only the new ids.
    public func generate(prompt: [Int], maxTokens: Int, temperature: Float = 0, seed: UInt64 = 0,
                         stopTokens: Set<Int>? = nil) -> [Int] {
        precondition(!prompt.isEmpty, "generate: the prompt has no tokens")
        precondition(maxTokens >= 0, "generate: max tokens must not be negative, got \(maxTokens)")
        let stops = stopTokens ?? Set(config.eosTokenIDs)
        var rng = RandomGenerator(seed: seed)
        let cache = LlamaKVCache(config: config)
        var out: [Int] = []
        noGrad {
            var next = prompt
            while out.count < maxTokens {
                let hidden = hiddenStates(ids: next, batch: 1, length: next.count, cache: cache)
                let last = hidden.selecting(axis: 1, index: next.count - 1)          // [1, hidden]
                let row = logits(hidden: last).value.toArray()
                let token = LlamaModel.pick(row, temperature: temperature, rng: &rng)
                out.append(token)
                if stops.contains(token) { break }
                next = [token]
            }
        }
        return out
    }

    /// The next token from one row of logits (see `generate`).
    public static func pick(_ logits: [Float], temperature: Float, rng: inout RandomGenerator) -> Int {
        precondition(!logits.isEmpty, "pick: no logits")
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        guard temperature > 0 else { return best }
        let top = Double(logits[best]), t = Double(temperature)
        let weights = logits.map { Foundation.exp((Double($0) - top) / t) }
        let total = weights.reduce(0, +)
        var u = rng.uniform() * total
        for (i, w) in weights.enumerated() {
            u -= w
            if u < 0 { return i }
        }
        return best
    }
}
