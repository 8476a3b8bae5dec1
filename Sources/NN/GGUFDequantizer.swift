import Tensors

/// Turns the bytes of a GGUF tensor into Float32, one block layout per type.
///
/// The layouts (as llama.cpp's ggml-quants.c and gguf-py's quants.py define them; every scale is
/// an IEEE half unless said otherwise):
/// - `Q8_0`: 32 elements in 34 bytes: scale d, 32 signed bytes q; x = d * q.
/// - `Q4_0`: 32 elements in 18 bytes: scale d, 16 bytes whose low nibbles are elements 0...15 and
///   high nibbles elements 16...31; x = d * (q - 8).
/// - `Q4_1`: 32 elements in 20 bytes: scale d, offset m, nibbles as in Q4_0; x = d * q + m.
/// - `Q4_K`: 256 elements in 144 bytes: super-scales d and dmin, 12 bytes packing eight 6-bit
///   (scale, min) pairs, 128 bytes of nibbles. Sub-block j (32 elements) has
///   x = (d * scale_j) * q - dmin * min_j; sub-blocks 2p and 2p+1 share bytes 32p..<32p+32, the
///   low nibbles for 2p and the high ones for 2p+1. Pairs 0...3 are the low 6 bits of bytes j and
///   j+4; pairs 4...7 take their low 4 bits from byte j+4 (scale: low nibble, min: high nibble)
///   and their top 2 bits from the top bits of bytes j-4 (scale) and j (min).
/// - `Q6_K`: 256 elements in 210 bytes: 128 bytes of low nibbles `ql`, 64 bytes of 2-bit high
///   parts `qh`, 16 signed 8-bit scales (one per 16 elements), scale d last. Each half of 128
///   elements uses 64 bytes of ql and 32 of qh; its element 32k + l has low bits from
///   ql[l + 32 (k % 2)] (low nibble for k < 2, high for k >= 2), high bits (qh[l] >> 2k) & 3, and
///   x = (d * scale) * (q - 32).
///
/// The arithmetic is done in the order gguf-py does it (products of Float32 values, no fused
/// multiply-add), which the fixture tests compare against.
enum GGUFDequantizer {
    /// Blocks per parallel chunk: enough work per chunk to amortise a thread hand-off.
    static let blocksPerChunk = 1 << 12

    /// Dequantises `count` elements of `type` from `bytes` (exactly the tensor's bytes) into `out`.
    static func dequantize(_ type: GGMLType, from bytes: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(type.isDequantizable, "dequantize called with \(type)")
        let blocks = count / type.blockSize
        precondition(blocks * type.typeSize == bytes.count, "the tensor's byte count was checked when the file was opened")
        guard blocks > 0, let base = bytes.baseAddress else { return }
        let perChunk = type.blockSize == 1 ? blocksPerChunk * 64 : blocksPerChunk
        parallelChunks(blocks, minimumPerChunk: perChunk) { range in
            for b in range {
                let src = base + b * type.typeSize
                let dst = out + b * type.blockSize
                switch type {
                case .f32: dst.pointee = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(as: UInt32.self)))
                case .f16: dst.pointee = half(src)
                case .bf16: dst.pointee = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(as: UInt16.self))) << 16)
                case .q8_0: q8_0(src, dst)
                case .q4_0: q4_0(src, dst)
                case .q4_1: q4_1(src, dst)
                case .q4_K: q4_K(src, dst)
                case .q6_K: q6_K(src, dst)
                default: preconditionFailure("unreachable: \(type) is not dequantizable")
                }
            }
        }
    }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))))
    }

    @inline(__always)
    static func byte(_ p: UnsafeRawPointer, _ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }

    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src)
        for i in 0..<32 { dst[i] = Float(src.load(fromByteOffset: 2 + i, as: Int8.self)) * d }
    }

    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src)
        for j in 0..<16 {
            let q = byte(src, 2 + j)
            dst[j] = d * Float(Int(q & 0x0F) - 8)
            dst[j + 16] = d * Float(Int(q >> 4) - 8)
        }
    }

    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src), m = half(src + 2)
        for j in 0..<16 {
            let q = byte(src, 4 + j)
            dst[j] = d * Float(q & 0x0F) + m
            dst[j + 16] = d * Float(q >> 4) + m
        }
    }

    /// Scale and min of Q4_K sub-block `j` from the 12 packed bytes at `s`.
    @inline(__always)
    static func scaleMin(_ s: UnsafeRawPointer, _ j: Int) -> (UInt8, UInt8) {
        if j < 4 { return (byte(s, j) & 63, byte(s, j + 4) & 63) }
        return ((byte(s, j + 4) & 0x0F) | ((byte(s, j - 4) >> 6) << 4),
                (byte(s, j + 4) >> 4) | ((byte(s, j) >> 6) << 4))
    }

    static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src), dmin = half(src + 2)
        let scales = src + 4, qs = src + 16
        for p in 0..<4 {
            let (s0, m0) = scaleMin(scales, 2 * p), (s1, m1) = scaleMin(scales, 2 * p + 1)
            let d0 = d * Float(s0), min0 = dmin * Float(m0)
            let d1 = d * Float(s1), min1 = dmin * Float(m1)
            let out = dst + 64 * p
            for l in 0..<32 {
                let q = byte(qs, 32 * p + l)
                out[l] = d0 * Float(q & 0x0F) - min0
                out[l + 32] = d1 * Float(q >> 4) - min1
            }
        }
    }

    static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>) {
        let d = half(src + 208)
        for h in 0..<2 {
            let ql = src + 64 * h, qh = src + 128 + 32 * h
            let scales = src + 192 + 8 * h
            let out = dst + 128 * h
            for l in 0..<32 {
                let lo0 = byte(ql, l), lo1 = byte(ql, l + 32), hi = byte(qh, l)
                let q0 = Int((lo0 & 0x0F) | ((hi & 3) << 4)) - 32
                let q1 = Int((lo1 & 0x0F) | (((hi >> 2) & 3) << 4)) - 32
                let q2 = Int((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32
                let q3 = Int((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32
                let s = l / 16
                out[l] = d * Float(scales.load(fromByteOffset: s, as: Int8.self)) * Float(q0)
                out[l + 32] = d * Float(scales.load(fromByteOffset: s + 2, as: Int8.self)) * Float(q1)
                out[l + 64] = d * Float(scales.load(fromByteOffset: s + 4, as: Int8.self)) * Float(q2)
                out[l + 96] = d * Float(scales.load(fromByteOffset: s + 6, as: Int8.self)) * Float(q3)
            }
        }
    }
}
