import Tensors
import Autodiff

/// The keys and values a llama-family decoder has already computed, so generating one more token
/// costs one token's work instead of re-running the whole prefix.
///
/// Per layer, keys and values live in buffers [batch, kv heads, capacity, head dim] that grow by
/// doubling; attention reads the filled prefix as a strided view (no copy: BLAS takes the row
/// stride). The cache is for inference: what it returns carries no gradient.
public final class LlamaKVCache {
    /// One layer's keys and values.
    public final class Layer {
        let batch: Int, heads: Int, headDimension: Int
        var keys: Tensor?
        var values: Tensor?
        /// Positions stored.
        public private(set) var length = 0

        init(batch: Int, heads: Int, headDimension: Int) {
            self.batch = batch
            self.heads = heads
            self.headDimension = headDimension
        }

        var capacity: Int { keys?.shape[2] ?? 0 }

        /// Appends new keys and values [B, KV, T, D] and returns all stored ones [B, KV, S, D].
        func append(keys k: Variable, values v: Variable) -> (Variable, Variable) {
            let t = k.shape[2]
            precondition(k.shape == [batch, heads, t, headDimension] && v.shape == k.shape,
                         "KV cache: keys \(Tensor.describe(k.shape)) do not fit [\(batch), \(heads), T, \(headDimension)]")
            let needed = length + t
            if needed > capacity {
                let grown = Swift.max(needed, 2 * capacity, 16)
                keys = Layer.regrow(keys, length: length, to: grown, like: [batch, heads, grown, headDimension])
                values = Layer.regrow(values, length: length, to: grown, like: [batch, heads, grown, headDimension])
            }
            Layer.write(k.value, into: keys!, at: length)
            Layer.write(v.value, into: values!, at: length)
            length = needed
            return (Variable(keys!.sliced(axis: 2, start: 0, end: length)), Variable(values!.sliced(axis: 2, start: 0, end: length)))
        }

        /// A buffer of `shape` holding the first `length` positions of `old`.
        static func regrow(_ old: Tensor?, length: Int, to capacity: Int, like shape: [Int]) -> Tensor {
            let fresh = Tensor.zeros(shape)
            if let old, length > 0 { write(old.sliced(axis: 2, start: 0, end: length), into: fresh, at: 0) }
            return fresh
        }

        /// Copies `source` [B, KV, T, D] into `buffer` [B, KV, capacity, D] at positions start..<start+T.
        static func write(_ source: Tensor, into buffer: Tensor, at start: Int) {
            let src = source.contiguous()
            let (b, h, t, d) = (src.shape[0], src.shape[1], src.shape[2], src.shape[3])
            let capacity = buffer.shape[2]
            let s = src.basePointer, dst = buffer.storage.pointer + buffer.offset
            for i in 0..<(b * h) {
                (dst + (i * capacity + start) * d).update(from: s + i * t * d, count: t * d)
            }
            withExtendedLifetime(src) {}
        }
    }

    public let batch: Int
    public let layers: [Layer]
    /// Positions already processed (the offset of the next token).
    public internal(set) var length = 0

    /// An empty cache for `batch` sequences of a model with `config`.
    public init(config: LlamaConfig, batch: Int = 1) {
        self.batch = batch
        layers = (0..<config.numHiddenLayers).map { _ in
            Layer(batch: batch, heads: config.numKeyValueHeads, headDimension: config.headDimension)
        }
    }
}
