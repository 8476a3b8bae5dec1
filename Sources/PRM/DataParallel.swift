import Tensors
import Autodiff
import Datasets
import Distributed

/// Data parallelism over the ranks of an MPI job (docs/distributed.md): every rank draws the same
/// global batch (the loaders are seeded alike), computes the loss of its shard scaled so that the
/// shards' losses add up to the global batch's loss, and the gradients are summed over the ranks
/// (`World.allReduceSum`, rank order) before clipping and the optimizer step. Every rank then
/// holds the same gradient, so the same parameters after every step.
public enum DataParallel {
    /// Sums every parameter's gradient over the ranks (a missing gradient counts as zeros), in
    /// one message, and sets the sum as each parameter's gradient on every rank. A parameter
    /// that has no gradient on any rank keeps none (optimizers skip such parameters, as torch's
    /// do, so a zero tensor there would change the step). With one rank it does nothing.
    public static func allReduceGradients(_ parameters: [Variable], world: World = .shared) throws {
        guard world.isDistributed else { return }
        let total = parameters.reduce(0) { $0 + $1.value.count }
        // The values, then one 0/1 flag per parameter: "has a gradient here".
        var flat = [Float](repeating: 0, count: total + parameters.count)
        var offset = 0
        flat.withUnsafeMutableBufferPointer { out in
            for (k, p) in parameters.enumerated() {
                let n = p.value.count
                if let g = p.grad {
                    g.withContiguousPointer { src in (out.baseAddress! + offset).update(from: src, count: n) }
                    out[total + k] = 1
                }
                offset += n
            }
        }
        try world.allReduceSum(&flat, "gradient allreduce (\(parameters.count) tensors, \(total) values)")
        offset = 0
        for (k, p) in parameters.enumerated() {
            let n = p.value.count
            p.grad = flat[total + k] > 0 ? Tensor(shape: p.value.shape, scalars: Array(flat[offset..<(offset + n)])) : nil
            offset += n
        }
    }

    /// The elementwise sums over the ranks of `tensors` (every rank passes the same shapes), in
    /// one message; every rank gets the same bits. With one rank: `tensors` unchanged.
    public static func allReduce(_ tensors: [Tensor], _ what: String = "allreduce", world: World = .shared) throws -> [Tensor] {
        guard world.isDistributed else { return tensors }
        var flat: [Float] = []
        flat.reserveCapacity(tensors.reduce(0) { $0 + $1.count })
        for t in tensors { flat += t.toArray() }
        try world.allReduceSum(&flat, what)
        var offset = 0
        return tensors.map { t in
            defer { offset += t.count }
            return Tensor(shape: t.shape, scalars: Array(flat[offset..<(offset + t.count)]))
        }
    }

    /// The number of next-token rows `ProcessRewardModel.forward` averages its language-model
    /// loss over for `instance`: every position but the last and the label positions.
    public static func languageModelRows(_ instance: TemplatedInstance) -> Int {
        let last = instance.tokens.count - 1
        guard last > 0 else { return 0 }
        return last - Set(instance.labelPositions).filter { $0 < last }.count
    }
}

extension ProcessRewardModel {
    /// This shard's part of `meanLoss(batch, languageModelWeight:)`: the sum of the per-instance
    /// losses of `batch[shard]` divided by the GLOBAL batch size, plus `languageModelWeight` times
    /// the shard's language-model loss weighted by its share of the batch's text rows. The parts
    /// of disjoint shards covering the batch add up to `meanLoss` (up to rounding: the terms are
    /// added in another order). nil for an empty shard (it contributes nothing).
    public func shardMeanLoss(_ batch: [TemplatedInstance], shard: Range<Int>, languageModelWeight: Float = 0) -> Variable? {
        guard !shard.isEmpty else { return nil }
        let part = Array(batch[shard])
        let f = forward(part, languageModel: languageModelWeight > 0)
        let losses = perInstanceLoss(part, stacked: f.logits, counts: f.counts)
        var total = losses[0]
        for l in losses.dropFirst() { total = total + l }
        let mean = total / Float(batch.count)
        guard let lm = f.languageModelLoss else { return mean }
        let rows = part.reduce(0) { $0 + DataParallel.languageModelRows($1) }
        let allRows = batch.reduce(0) { $0 + DataParallel.languageModelRows($1) }
        return mean + lm * (languageModelWeight * Float(rows) / Float(allRows))
    }
}

extension ProcessRewardModel {
    /// Scores `batches` (lists of indices into `instances`) with `score` and returns every
    /// instance's scores in input order. Under mpirun rank r scores batches r, r + N, r + 2N, ...
    /// (round robin: the batches come sorted by length, so every rank gets short and long ones)
    /// and the scores are gathered, so every rank returns all of them. Each batch is scored as
    /// one process scores it, so the scores are the same as a single process's.
    /// nil when `score` returns nil (stopped). A failed gather ends the job (`World.abort`).
    func shardedScores(_ instances: [TemplatedInstance], batches: [[Int]], world: World = .shared,
                       score: ([Int]) -> [[Float]]?) -> [[Float]]? {
        var out = [[Float]](repeating: [], count: instances.count)
        var mine: [Float] = []
        for b in batches.indices where b % world.size == world.rank {
            guard let scores = score(batches[b]) else { return nil }
            for (i, s) in zip(batches[b], scores) {
                out[i] = s
                if world.isDistributed { mine += s }
            }
        }
        guard world.isDistributed else { return out }
        let all: [[Float]]
        do { all = try world.allGather(mine, "gather of step scores (\(instances.count) instances in \(batches.count) batches)") } catch {
            world.abort("\(error)")
        }
        for r in 0..<world.size where r != world.rank {
            // Rank r's scores come in its batches' order, one per label position.
            var k = 0
            for b in batches.indices where b % world.size == r {
                for i in batches[b] {
                    let n = instances[i].labelPositions.count
                    guard k + n <= all[r].count else { world.abort("step scores: rank \(r) sent \(all[r].count) scores, fewer than its batches hold") }
                    out[i] = Array(all[r][k..<(k + n)])
                    k += n
                }
            }
            if k != all[r].count { world.abort("step scores: rank \(r) sent \(all[r].count) scores, its batches hold \(k)") }
        }
        return out
    }
}
