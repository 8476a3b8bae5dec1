import Tensors
import Autodiff

/// InternVL's `pixel_shuffle` followed by `extract_feature`'s reshape: patch tokens
/// [tiles, side*side, C] (raster order) become [tiles, (side/k)^2, C*k*k] for `factor` k
/// (k = 2 for `downsample_ratio` 0.5), i.e. each k x k block of neighbouring patches is one token.
///
/// Written as InternVL writes it (`ps_version` v2), with the same views and permutes, so the
/// channel order inside a merged token is theirs: with x viewed as [n, w, h, c] (InternVL names
/// the first grid axis w), view [n, w, h/k, c*k], permute to [n, h/k, w, c*k], view
/// [n, h/k, w/k, c*k*k], permute back to [n, w/k, h/k, c*k*k]. A pure permutation of the entries,
/// so its gradient is the inverse permutation (the autodiff reshape and permute rules).
/// Checked against numpy (`scripts/make_vision_fixtures.py`).
public func pixelShuffle(_ x: Variable, factor k: Int) -> Variable {
    precondition(x.shape.count == 3, "pixelShuffle: expected [tiles, patches, channels], got \(Tensor.describe(x.shape))")
    let (n, p, c) = (x.shape[0], x.shape[1], x.shape[2])
    let side = Int(Double(p).squareRoot().rounded())
    precondition(side * side == p && side % k == 0, "pixelShuffle: \(p) patches is not a square grid divisible by \(k)")
    if k == 1 { return x }
    var y = x.reshaped([n, side, side / k, c * k])
    y = y.permuted([0, 2, 1, 3]).reshaped([n, side / k, side / k, c * k * k])
    y = y.permuted([0, 2, 1, 3])
    return y.reshaped([n, (side / k) * (side / k), c * k * k])
}
