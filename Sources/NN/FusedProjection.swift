import Tensors

/// Several `Linear` layers that read the same input, as one: their weights stacked along the
/// output axis ([sum of outFeatures, inFeatures], row-major) and their biases concatenated.
///
/// The inference path uses it for BERT's query, key and value projections: one matrix product
/// of width 3H instead of three of width H. OpenBLAS packs its input operand once per call, so
/// the fused call packs the activations once instead of three times, and the wider product
/// spends less of its time on partial tiles at the edges.
///
/// `colocate(_:)` (called when a BERT model is built or loaded) moves the layers' parameters into
/// one stacked buffer, leaving each layer's weight and bias as views into it; the projection then
/// reads the parameters in place, so it stays right when an optimiser updates them in place. If a
/// parameter was replaced since (a state dict loaded, say), the stacked copy is made per pass.
struct FusedProjection {
    /// [sum of outFeatures, inFeatures].
    let weight: Tensor
    /// The concatenated biases (zeros for a layer without one); nil when no layer has a bias.
    let bias: Tensor?

    init(concatenating layers: [Linear]) {
        precondition(!layers.isEmpty, "FusedProjection needs at least one layer")
        let inFeatures = layers[0].inFeatures
        precondition(layers.allSatisfy { $0.inFeatures == inFeatures }, "FusedProjection: layers read inputs of different widths")
        // Parameters colocated by `colocate(_:)` and not replaced since: read them in place.
        if let weight = Tensor.adjacentRows(layers.map { $0.weight.value }) {
            let biases = layers.compactMap { $0.bias?.value }
            if biases.isEmpty {
                (self.weight, self.bias) = (weight, nil)
                return
            }
            if biases.count == layers.count, let bias = Tensor.adjacentRows(biases) {
                (self.weight, self.bias) = (weight, bias)
                return
            }
        }
        let (weight, bias) = Self.stacked(layers)
        self.weight = weight
        self.bias = bias
    }

    /// Moves the weights and biases of `layers` into one stacked weight and one bias buffer,
    /// replacing each parameter's value by a view of its rows (same values, same shapes), so that
    /// `init(concatenating:)` needs no copy.
    static func colocate(_ layers: [Linear]) {
        let (weight, bias) = stacked(layers)
        let inFeatures = layers[0].inFeatures
        var row = 0
        for layer in layers {
            layer.weight.value = Tensor(storage: weight.storage, shape: [layer.outFeatures, inFeatures], offset: row * inFeatures)
            if let b = bias, let p = layer.bias {
                p.value = Tensor(storage: b.storage, shape: [layer.outFeatures], offset: row)
            }
            row += layer.outFeatures
        }
    }

    /// Copies of the layers' weights stacked along the output axis, and of their biases
    /// concatenated (zeros for a layer without one; nil when none has a bias).
    private static func stacked(_ layers: [Linear]) -> (weight: Tensor, bias: Tensor?) {
        let inFeatures = layers[0].inFeatures
        let outFeatures = layers.reduce(0) { $0 + $1.outFeatures }
        let weight = Tensor(uninitializedShape: [outFeatures, inFeatures])
        let bias = layers.contains { $0.bias != nil } ? Tensor(uninitializedShape: [outFeatures]) : nil
        var row = 0
        for layer in layers {
            let w = layer.weight.value.contiguous()
            (weight.storage.pointer + row * inFeatures).update(from: w.basePointer, count: layer.outFeatures * inFeatures)
            if let fused = bias {
                let target = fused.storage.pointer + row
                if let b = layer.bias?.value.contiguous() {
                    target.update(from: b.basePointer, count: layer.outFeatures)
                } else {
                    target.update(repeating: 0, count: layer.outFeatures)
                }
            }
            row += layer.outFeatures
            withExtendedLifetime(w) {}
        }
        return (weight, bias)
    }
}
