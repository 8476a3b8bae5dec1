/// Resampling exactly as Pillow's `Image.resize(size, Image.BICUBIC)` does for 8-bit RGB
/// (libImaging/Resample.c): a separable convolution with the bicubic kernel (a = -0.5), support
/// widened by the scale factor when shrinking (antialiasing), coefficients normalised and turned
/// into 22-bit fixed point, a horizontal pass rounded and clipped to 8 bits, then a vertical pass.
/// A pass whose size does not change is skipped, as in Pillow.
extension RGBImage {
    static let precisionBits = 32 - 8 - 2

    static func bicubic(_ x: Double) -> Double {
        let a = -0.5
        let x = abs(x)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`: per output index, the first input
    /// index, the number of taps and the fixed-point weights.
    static func coefficients(inSize: Int, outSize: Int) -> (ksize: Int, bounds: [(min: Int, count: Int)], weights: [Int]) {
        let support0 = 2.0
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = support0 * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var bounds: [(min: Int, count: Int)] = []
        var weights = [Int](repeating: 0, count: outSize * ksize)
        var k = [Double](repeating: 0, count: ksize)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1.0 / filterScale
            var xmin = Int(center - support + 0.5)
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inSize { xmax = inSize }
            xmax -= xmin
            var ww = 0.0
            for x in 0..<xmax {
                let w = bicubic((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            for x in 0..<xmax {
                let v = ww != 0 ? k[x] / ww : k[x]
                let fixed = v * Double(1 << precisionBits)
                weights[xx * ksize + x] = v < 0 ? Int(-0.5 + fixed) : Int(0.5 + fixed)
            }
            bounds.append((xmin, xmax))
        }
        return (ksize, bounds, weights)
    }

    @inline(__always) static func clip8(_ v: Int) -> UInt8 {
        if v >= (1 << precisionBits) << 8 { return 255 }
        if v <= 0 { return 0 }
        return UInt8(v >> precisionBits)
    }

    /// This image resized to `width` x `height` with Pillow's bicubic filter.
    public func resizedBicubic(width outW: Int, height outH: Int) -> RGBImage {
        precondition(outW > 0 && outH > 0, "resize to an empty image")
        var current = self
        let half = 1 << (RGBImage.precisionBits - 1)
        if outW != width {
            let (ksize, bounds, weights) = RGBImage.coefficients(inSize: width, outSize: outW)
            var out = [UInt8](repeating: 0, count: outW * height * 3)
            current.pixels.withUnsafeBufferPointer { src in
                for y in 0..<height {
                    let row = y * width * 3
                    for xx in 0..<outW {
                        let (xmin, count) = bounds[xx]
                        var s0 = half, s1 = half, s2 = half
                        for x in 0..<count {
                            let w = weights[xx * ksize + x]
                            let p = row + (x + xmin) * 3
                            s0 += Int(src[p]) * w
                            s1 += Int(src[p + 1]) * w
                            s2 += Int(src[p + 2]) * w
                        }
                        let o = (y * outW + xx) * 3
                        out[o] = RGBImage.clip8(s0)
                        out[o + 1] = RGBImage.clip8(s1)
                        out[o + 2] = RGBImage.clip8(s2)
                    }
                }
            }
            current = RGBImage(width: outW, height: height, pixels: out)
        }
        if outH != height {
            let w = current.width
            let (ksize, bounds, weights) = RGBImage.coefficients(inSize: height, outSize: outH)
            var out = [UInt8](repeating: 0, count: w * outH * 3)
            current.pixels.withUnsafeBufferPointer { src in
                for yy in 0..<outH {
                    let (ymin, count) = bounds[yy]
                    for x in 0..<w {
                        var s0 = half, s1 = half, s2 = half
                        for y in 0..<count {
                            let wt = weights[yy * ksize + y]
                            let p = ((y + ymin) * w + x) * 3
                            s0 += Int(src[p]) * wt
                            s1 += Int(src[p + 1]) * wt
                            s2 += Int(src[p + 2]) * wt
                        }
                        let o = (yy * w + x) * 3
                        out[o] = RGBImage.clip8(s0)
                        out[o + 1] = RGBImage.clip8(s1)
                        out[o + 2] = RGBImage.clip8(s2)
                    }
                }
            }
            current = RGBImage(width: w, height: outH, pixels: out)
        }
        return current
    }
}
