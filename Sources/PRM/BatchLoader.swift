import Tensors
import Support

/// Batches of a fixed list, shuffled with a seed each epoch, restarting silently at the end of
/// an epoch (as the reference's loader under the engine). The state is (epoch, position), so a
/// checkpoint can resume the exact batch sequence.
public struct BatchLoader<Element> {
    public let items: [Element]
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    /// Completed epochs.
    public private(set) var epoch = 0
    /// Index of the next item within the current epoch's order.
    public private(set) var position = 0
    private var order: [Int]

    public init(_ items: [Element], batchSize: Int, shuffle: Bool = true, seed: UInt64) {
        precondition(!items.isEmpty, "a batch loader needs at least one item")
        self.items = items
        self.batchSize = max(1, batchSize)
        self.shuffle = shuffle
        self.seed = seed
        self.order = []
        self.order = makeOrder(epoch: 0)
    }

    private func makeOrder(epoch: Int) -> [Int] {
        var order = Array(items.indices)
        if shuffle {
            var rng = RandomGenerator(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9)
            rng.shuffle(&order)
        }
        return order
    }

    /// The next batch (the last one of an epoch may be smaller; then a new epoch starts).
    public mutating func next() -> [Element] {
        if position >= order.count {
            epoch += 1
            position = 0
            order = makeOrder(epoch: epoch)
        }
        let end = min(position + batchSize, order.count)
        defer { position = end }
        return order[position..<end].map { items[$0] }
    }

    /// Jumps to a saved (epoch, position).
    public mutating func seek(epoch: Int, position: Int) {
        self.epoch = epoch
        self.position = position
        self.order = makeOrder(epoch: epoch)
    }
}
