import Foundation
import Tensors
import Autodiff

/// Rotary position embedding (RoPE, as in LLaMA / Qwen, the families of the reference PRMs):
/// each query and key vector is rotated by an angle proportional to its position, so the score
/// of query t against key s depends on their content and on the offset t - s only. A head can
/// then learn "look k tokens back" once, for every position, instead of learning it separately
/// for each absolute position as learned position embeddings require.
///
/// Layout as Hugging Face's `rotate_half`: the head dimension D is split into halves x1, x2 and
/// `rope(x)_t = x_t * cos(t w) + [-x2, x1]_t * sin(t w)` with frequencies
/// `w_i = theta^(-2i/D)` repeated over both halves.
public struct RotaryEmbedding: Sendable {
    public let headDimension: Int
    public let theta: Float

    public init(headDimension: Int, theta: Float = 10_000) {
        precondition(headDimension > 0 && headDimension % 2 == 0, "rotary embedding: head dimension \(headDimension) must be even")
        self.headDimension = headDimension
        self.theta = theta
    }

    /// cos and sin of every (position, dimension) angle for positions offset..<offset + length:
    /// [length, D] each. (A decoder with a key/value cache rotates new tokens from `offset`.)
    public func tables(length: Int, offset: Int = 0) -> (cos: Tensor, sin: Tensor) {
        let d = headDimension, half = d / 2
        var c = [Float](repeating: 0, count: length * d), s = c
        for i in 0..<half {
            // Angles in double precision: float32 t * w loses digits for long sequences.
            let w = pow(Double(theta), -2 * Double(i) / Double(d))
            for t in 0..<length {
                let a = Double(t + offset) * w
                let (ca, sa) = (Float(Foundation.cos(a)), Float(Foundation.sin(a)))
                c[t * d + i] = ca; c[t * d + i + half] = ca
                s[t * d + i] = sa; s[t * d + i + half] = sa
            }
        }
        return (Tensor(shape: [length, d], scalars: c), Tensor(shape: [length, d], scalars: s))
    }

    /// Rotates `x` [..., T, D] (positions offset..<offset + T along the second-to-last axis).
    public func callAsFunction(_ x: Variable, offset: Int = 0) -> Variable {
        let r = x.shape.count
        precondition(r >= 2 && x.shape[r - 1] == headDimension,
                     "rotary embedding expects [..., tokens, \(headDimension)], got \(Tensor.describe(x.shape))")
        let (c, s) = tables(length: x.shape[r - 2], offset: offset)
        return rotate(x, cos: c, sin: s)
    }

    /// Rotates `x` [..., T, D] with precomputed `tables` ([T, D] each), so a model computes them
    /// once per forward pass for all its layers, and multiplies by `scale` (attention folds its
    /// 1/sqrt(D) into the queries here, saving a pass). One fused primitive
    /// (`Variable.rotaryEmbedding`) that reads strided views (the permuted heads) in place; the
    /// result is contiguous.
    public func rotate(_ x: Variable, cos c: Tensor, sin s: Tensor, scale: Float = 1) -> Variable {
        let r = x.shape.count
        precondition(r >= 2 && x.shape[r - 1] == headDimension && c.shape == [x.shape[r - 2], headDimension],
                     "rotary embedding: input \(Tensor.describe(x.shape)) does not fit tables \(Tensor.describe(c.shape))")
        return x.rotaryEmbedding(cos: c, sin: s, scale: scale)
    }
}
